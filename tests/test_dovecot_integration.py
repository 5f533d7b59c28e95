"""POP3Client against a real Dovecot 2.3: every command, every login method, both TLS modes.

One Dovecot runs for the whole test session (see conftest.py); each test gets a user of its
own, so mailboxes never leak between tests.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.dovecot import Dovecot, DovecotAccount
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.errors import AuthFailed, MailboxInUse, NotSupported, ServerError, TLSFailure

pytestmark = pytest.mark.dovecot

MESSAGES = [
    b"From: a@example.org\r\nSubject: first\r\n\r\nHello.\r\n",
    b"From: b@example.org\r\nSubject: dots\r\n\r\n.\r\n..\r\n.leading\r\nline 4\r\nline 5\r\n",
    b"From: c@example.org\r\nSubject: big\r\n\r\n"
    + b"x" * 20_000
    + b"\r\n" * 3
    + b"y" * 998
    + b"\r\n",
]
TLS_MODES = ["implicit", "starttls"]


def port_for(dovecot: Dovecot, tls: str) -> int:
    return dovecot.pop3s_port if tls == "implicit" else dovecot.pop3_port


async def connect(dovecot: Dovecot, tls: str, **options: Any) -> POP3Client:
    options.setdefault("cafile", dovecot.cafile)
    options.setdefault("timeout", 10)
    return await POP3Client.connect(dovecot.host, port_for(dovecot, tls), tls=tls, **options)


@asynccontextmanager
async def session(
    dovecot: Dovecot, account: DovecotAccount, tls: str = "implicit", mechanism: str = "auto"
) -> AsyncIterator[POP3Client]:
    client = await connect(dovecot, tls)
    try:
        await client.login(account.user, account.password, mechanism=mechanism)
        yield client
    finally:
        await client.abort()


async def logged_login(dovecot: Dovecot, text: str) -> bool:
    """Whether Dovecot's log shows ``text`` (its log process writes a moment later)."""
    for _ in range(100):
        if text in dovecot.log_path.read_text():
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
def mailbox(dovecot_account: DovecotAccount) -> DovecotAccount:
    dovecot_account.deliver(MESSAGES)
    return dovecot_account


@pytest.mark.parametrize("tls", TLS_MODES)
@pytest.mark.parametrize(
    "mechanism", ["user", "apop", "plain", "login", "cram-md5", "scram-sha-256"]
)
async def test_every_login_method(
    dovecot: Dovecot, mailbox: DovecotAccount, tls: str, mechanism: str
) -> None:
    if mechanism == "apop" and tls == "starttls":
        # APOP signs the timestamp of the cleartext greeting, which anyone on the path could
        # have written: after STLS it decides nothing, so APOP is not offered there.
        with pytest.raises(NotSupported, match="server does not offer APOP"):
            async with session(dovecot, mailbox, tls, mechanism):
                pass
        return
    async with session(dovecot, mailbox, tls, mechanism) as client:
        assert client.encrypted and client.tls_version in {"TLSv1.2", "TLSv1.3"}
        assert await client.stat() == (3, sum(len(m) for m in MESSAGES))
    # Dovecot's own word on the method used (it logs USER/PASS as PLAIN).
    logged = "PLAIN" if mechanism == "user" else mechanism.upper()
    assert await logged_login(dovecot, f"user=<{mailbox.user}>, method={logged},")


async def test_auto_picks_the_strongest_method(dovecot: Dovecot, mailbox: DovecotAccount) -> None:
    async with session(dovecot, mailbox) as client:
        pass
    client = await connect(dovecot, "implicit")
    assert await client.login(mailbox.user, mailbox.password) == "scram-sha-256"
    await client.abort()


@pytest.mark.parametrize("tls", TLS_MODES)
async def test_every_command(dovecot: Dovecot, mailbox: DovecotAccount, tls: str) -> None:
    client = await connect(dovecot, tls)
    caps = client.capabilities
    assert caps.top and caps.uidl and caps.pipelining and caps.user and caps.resp_codes
    assert not caps.stls  # gone after STLS, never there on pop3s
    assert {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"} <= set(caps.sasl)
    # The greeting's APOP timestamp counts only when no cleartext greeting preceded TLS.
    assert (client.apop_timestamp is None) == (tls == "starttls")
    await client.login(mailbox.user, mailbox.password, mechanism="plain")
    assert not client.capabilities.sasl and client.capabilities.top

    sizes = {n: len(m) for n, m in enumerate(MESSAGES, start=1)}
    assert await client.stat() == (3, sum(sizes.values()))
    assert await client.list() == sizes
    assert await client.list_one(2) == sizes[2]
    uids = await client.uidl()
    assert sorted(uids) == [1, 2, 3]
    assert all(len(uid) == 16 for uid in uids.values())  # pop3_uidl_format %08Xu%08Xv
    assert await client.uidl_one(3) == uids[3]

    assert await client.top(2, 0) == b"From: b@example.org\r\nSubject: dots\r\n\r\n"
    assert await client.top(2, 3) == MESSAGES[1][: MESSAGES[1].index(b"line 4")]
    assert [data async for _, data in client.top_many([3, 1], 0)] == [
        m[: m.index(b"\r\n\r\n") + 4] for m in (MESSAGES[2], MESSAGES[0])
    ]
    sink = io.BytesIO()
    progress: list[int] = []
    assert await client.retr(3, sink, progress.append) == len(MESSAGES[2])
    assert sink.getvalue() == MESSAGES[2] and progress[-1] == len(MESSAGES[2])
    assert [data async for _, data in client.retr_many([1, 2, 3])] == MESSAGES

    await client.noop()
    await client.dele(1)
    with pytest.raises(ServerError):
        await client.retr(1, io.BytesIO())
    assert await client.stat() == (2, sizes[2] + sizes[3])
    await client.rset()
    assert await client.stat() == (3, sum(sizes.values()))
    with pytest.raises(ServerError):
        await client.list_one(4)
    await client.quit()  # nothing marked after RSET: nothing deleted
    assert client.closed
    assert len(mailbox.message_files()) == 3


@pytest.mark.parametrize("tls", TLS_MODES)
async def test_private_certificate_needs_its_ca_file(dovecot: Dovecot, tls: str) -> None:
    with pytest.raises(TLSFailure):
        await connect(dovecot, tls, cafile=None)
    client = await connect(dovecot, tls)
    assert client.peer_certificate is not None
    assert ("IP Address", "127.0.0.1") in client.peer_certificate["subjectAltName"]
    await client.abort()


async def test_dele_then_dropped_connection_deletes_nothing(
    dovecot: Dovecot, mailbox: DovecotAccount
) -> None:
    async with session(dovecot, mailbox) as client:
        before = await client.uidl()
        await client.dele(1)
        await client.dele(3)
        await client.abort()
    async with session(dovecot, mailbox) as client:
        assert await client.uidl() == before
    assert len(mailbox.message_files()) == 3


async def test_dele_then_quit_deletes_exactly_that_message(
    dovecot: Dovecot, mailbox: DovecotAccount
) -> None:
    async with session(dovecot, mailbox, "starttls") as client:
        before = await client.uidl()
        await client.dele(2)
        await client.quit()
    async with session(dovecot, mailbox) as client:
        assert sorted((await client.uidl()).values()) == sorted([before[1], before[3]])
        sink = io.BytesIO()
        await client.retr(2, sink)
        assert sink.getvalue() == MESSAGES[2]
    assert len(mailbox.message_files()) == 2


@pytest.mark.parametrize("mechanism", ["user", "scram-sha-256"])
async def test_wrong_password_is_auth_failed(
    dovecot: Dovecot, mailbox: DovecotAccount, mechanism: str
) -> None:
    client = await connect(dovecot, "implicit")
    with pytest.raises(AuthFailed) as refused:
        await client.login(mailbox.user, "wrong-password", mechanism=mechanism)
    assert refused.value.code == "AUTH"
    assert "wrong-password" not in str(refused.value)
    await client.abort()


async def test_second_session_is_mailbox_in_use(dovecot: Dovecot) -> None:
    """``lockuser`` has pop3_lock_session=yes: Dovecot waits ~10 s, then answers [IN-USE]."""
    account = dovecot.locked_account
    account.deliver(MESSAGES[:1])
    async with session(dovecot, account) as first:
        assert (await first.stat())[0] >= 1
        second = await connect(dovecot, "implicit", timeout=30)
        with pytest.raises(MailboxInUse):
            await second.login(account.user, account.password, mechanism="plain")
        await second.abort()
