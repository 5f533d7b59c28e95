"""Pipelined USER/PASS against a real Dovecot (it announces PIPELINING and USER before login)."""

from __future__ import annotations

import pytest

from tests.dovecot import Dovecot, DovecotAccount
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.capabilities import PipeliningMode
from tui_mail.pop3.errors import POP3Error
from tui_mail.pop3.user_login import pipelines_login

pytestmark = pytest.mark.dovecot


async def _connect(dovecot: Dovecot, mode: PipeliningMode = "auto") -> POP3Client:
    return await POP3Client.connect(
        dovecot.host,
        dovecot.pop3s_port,
        tls="implicit",
        cafile=dovecot.cafile,
        timeout=10,
        pipelining=mode,
    )


async def test_user_login_is_pipelined_and_reads_the_capabilities_after_it(
    dovecot: Dovecot, dovecot_account: DovecotAccount
) -> None:
    client = await _connect(dovecot)
    try:
        assert pipelines_login(client.pipelining_mode, client.capabilities)
        await client.login(dovecot_account.user, dovecot_account.password, mechanism="user")
        # After login Dovecot lists no USER or SASL: these are the post-login capabilities.
        assert client.capabilities.top and not client.capabilities.user
        assert (await client.stat())[0] == 0
    finally:
        await client.abort()


@pytest.mark.parametrize(("user", "wrong_password"), [("nosuchuser", False), (None, True)])
async def test_refusals_are_the_same_pipelined_or_not(
    dovecot: Dovecot, dovecot_account: DovecotAccount, user: str | None, wrong_password: bool
) -> None:
    name = user or dovecot_account.user
    password = "wrong-password" if wrong_password else dovecot_account.password
    outcomes = []
    modes: tuple[PipeliningMode, ...] = ("auto", "off")
    for mode in modes:
        client = await _connect(dovecot, mode)
        try:
            with pytest.raises(POP3Error) as refused:
                await client.login(name, password, mechanism="user")
            outcomes.append((type(refused.value), str(refused.value)))
        finally:
            await client.abort()
    assert outcomes[0] == outcomes[1]
