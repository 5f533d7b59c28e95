"""How tui-mail logs in: what ``auto`` picks, what it never sends, how often it tries.

Over TLS ``auto`` prefers SCRAM, then PLAIN or USER/PASS; APOP and CRAM-MD5 only without TLS
or by name. After STLS nothing from the cleartext greeting counts (an injected APOP timestamp
is ignored). Only offered methods are sent. A bare ``-ERR`` refusal counts as a wrong password
after two tries per start, so no background loop can lock the account, unless its words say
the maildrop is busy (popa3d): then the session waits, as for ``[IN-USE]``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.certs import CertFiles
from tests.other_servers import Mailutils, Popa3d
from tests.pop3server import DropFault, ErrorFault, Faults, POP3TestServer
from tests.test_session import MESSAGES, account_for, open_store, running, secrets_for, synced
from tests.waiting import until
from tui_mail.accounts import Account, SecretProvider
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.errors import LoginRefused, MailboxInUse, NotSupported
from tui_mail.pop3.sasl import choose_auto
from tui_mail.session.events import ConnectionState, Notice, PasswordWanted, StateChanged
from tui_mail.session.mail_session import MailSession, RetryPolicy
from tui_mail.store import Store

QUICK = RetryPolicy(first=0.01, maximum=0.02, busy=0.02, login_delay=0.02)
ALL_SASL = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"]


def test_auto_over_tls_prefers_scram_then_plain_or_user_never_apop_or_cram() -> None:
    stamp = "<1.2@example.org>"
    assert choose_auto(ALL_SASL, apop_timestamp=stamp, user_offered=True, encrypted=True) == (
        "scram-sha-256"
    )
    assert (
        choose_auto(["CRAM-MD5", "PLAIN"], apop_timestamp=stamp, user_offered=True, encrypted=True)
        == "plain"
    )
    assert choose_auto(["CRAM-MD5"], apop_timestamp=stamp, user_offered=True, encrypted=True) == (
        "user"
    )
    # Without TLS (plaintext allowed by the account) the digests beat sending the password.
    assert choose_auto(["CRAM-MD5", "PLAIN"], apop_timestamp=stamp, user_offered=True) == (
        "cram-md5"
    )
    assert choose_auto(["PLAIN"], apop_timestamp=stamp, user_offered=True) == "apop"


async def test_auto_over_implicit_tls_never_sends_apop_or_cram(certs: CertFiles) -> None:
    context = certs.server_context()
    async with POP3TestServer(
        MESSAGES, tls="implicit", ssl_context=context, sasl=("CRAM-MD5", "PLAIN")
    ) as server:
        client = await POP3Client.connect(
            server.host, server.port, tls="implicit", cafile=certs.cafile, timeout=10
        )
        assert client.apop_timestamp is not None
        assert await client.login(server.user, server.password) == "plain"
        await client.abort()
    assert not any(c.startswith(("APOP", "AUTH CRAM")) for c in server.last_session.commands)


async def test_after_stls_the_cleartext_greeting_decides_nothing(certs: CertFiles) -> None:
    """The APOP timestamp came before TLS, where anyone could have written it."""
    async with POP3TestServer(
        MESSAGES, tls="starttls", ssl_context=certs.server_context(), sasl=("PLAIN",)
    ) as server:
        client = await POP3Client.connect(
            server.host, server.port, tls="starttls", cafile=certs.cafile, timeout=10
        )
        assert client.encrypted and client.apop_timestamp is None
        with pytest.raises(NotSupported, match="server does not offer APOP; it offers: PLAIN"):
            await client.login(server.user, server.password, mechanism="apop")
        assert await client.login(server.user, server.password) == "plain"
        await client.abort()
    assert not any(c.startswith("APOP") for c in server.last_session.commands)


async def test_naming_a_method_the_server_does_not_offer_says_what_it_offers() -> None:
    async with POP3TestServer(MESSAGES, sasl=("PLAIN",), faults=Faults(no_apop=True)) as server:
        client = await POP3Client.connect(
            server.host, server.port, tls="none", allow_plaintext=True, timeout=10
        )
        with pytest.raises(NotSupported) as refused:
            await client.login(server.user, server.password, mechanism="cram-md5")
        assert str(refused.value) == "server does not offer CRAM-MD5; it offers: PLAIN, USER"
        await client.abort()
    assert not any(c.startswith("AUTH") for c in server.last_session.commands)


async def test_auto_without_tls_falls_back_from_a_refused_apop_to_user() -> None:
    """GNU Mailutils' default: a timestamp in every greeting, no APOP secrets behind it."""
    faults = Faults(
        errors=(ErrorFault("APOP", code=None, text="Bad login", session=0, occurrence=0),)
    )
    async with POP3TestServer(MESSAGES, sasl=(), faults=faults) as server:
        client = await POP3Client.connect(
            server.host, server.port, tls="none", allow_plaintext=True, timeout=10
        )
        assert await client.login(server.user, server.password) == "user"
        await client.abort()
        client = await POP3Client.connect(
            server.host, server.port, tls="none", allow_plaintext=True, timeout=10
        )
        with pytest.raises(LoginRefused):  # named: never falls back to sending the password
            await client.login(server.user, server.password, mechanism="apop")
        await client.abort()


async def test_a_bare_err_refusal_counts_as_a_wrong_password_after_two_tries(
    tmp_path: Path,
) -> None:
    faults = Faults(
        errors=(ErrorFault("PASS", code=None, text="Bad login", session=0, occurrence=0),)
    )
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        with open_store(server, tmp_path) as store:
            account = account_for(server)
            secrets = secrets_for(server, account)
            session = MailSession(account, store, secrets, retry=QUICK)
            async with running(session) as events:
                await until(
                    lambda: any(
                        e.state is ConnectionState.OFFLINE for e in events.of(StateChanged)
                    ),
                    "offline for good",
                )
                await until(lambda: len(server.sessions) >= 2, "the second try")
                session.request_refresh()  # even "r" does not send the refused password
                # "r" asks the user for the password (or says no): it never resends it.
                await until(
                    lambda: len(events.of(Notice)) >= 2 or events.of(PasswordWanted),
                    "the refusal said",
                )
            logins = [s for s in server.sessions if "PASS" in s.verbs]
            assert len(logins) == 2
            said = [n.text for n in events.of(Notice)] + [
                w.prompt for w in events.of(PasswordWanted)
            ]
            said += [e.detail for e in events.of(StateChanged)]
            assert any("wrong password" in text or "refused" in text for text in said), said
            assert secrets.lookup_password(account) is None  # forgotten: asked at next start
            assert isinstance(secrets, SecretProvider)
            assert not synced(events, 5)()


@pytest.mark.mailutils
async def test_mailutils_default_config_logs_in_with_auto(mailutils: Mailutils) -> None:
    """Its greeting always has a timestamp, with no APOP secrets behind it."""
    mailutils.reset_mailbox()
    client = await POP3Client.connect(
        mailutils.host, mailutils.port, tls="none", allow_plaintext=True, timeout=10
    )
    assert client.apop_timestamp is not None and not client.capabilities.sasl
    assert await client.login(mailutils.user, mailutils.password) == "user"
    await client.abort()


@pytest.mark.popa3d
async def test_popa3d_refusing_a_wrong_password_is_tried_twice_then_stops(
    popa3d: Popa3d, tmp_path: Path
) -> None:
    """popa3d answers a wrong password with a bare -ERR (no [AUTH]), as many servers do."""
    popa3d.reset_mailbox()
    account = Account(
        name="p",
        host=popa3d.host,
        port=popa3d.port,
        tls="none",
        user=popa3d.user,
        allow_plaintext=True,
    )
    secrets = SecretProvider()
    secrets.accept_typed_password(account, "not-the-password", remember=False)
    assert popa3d.launcher is not None
    before = popa3d.launcher.connections
    with Store.for_account(account, data_dir=tmp_path) as store:
        session = MailSession(account, store, secrets, retry=QUICK)
        async with running(session) as events:
            await until(
                lambda: (
                    any("wrong password" in n.text for n in events.of(Notice))
                    or events.of(PasswordWanted)
                ),
                "the refusal, in words",
                limit=60,
            )
            session.request_refresh()  # even "r" does not send the refused password again
            await until(
                lambda: len(events.of(Notice)) >= 2 or events.of(PasswordWanted),
                "r said no, too",
                limit=60,
            )
    assert popa3d.launcher.connections - before == 2


# popa3d 1.0.3's words (from its binary) for a maildrop another program holds; a real
# popa3d waits on the lock for minutes before it says them, too long for a test.
BUSY_TEXT = "Another MUA active, giving up"


@pytest.mark.parametrize("hangs_up", [False, True], ids=["answers", "hangs-up"])
async def test_a_bare_err_that_says_busy_is_a_busy_mailbox_not_a_password(hangs_up: bool) -> None:
    """popa3d says a locked maildrop with a bare -ERR and hangs up, as for a wrong password."""
    other_words = ErrorFault("PASS", code=None, text="Bad login", session=2)
    faults = (
        Faults(drops=(DropFault("PASS", server_text=BUSY_TEXT, session=1),), errors=(other_words,))
        if hangs_up
        else Faults(errors=(ErrorFault("PASS", code=None, text=BUSY_TEXT, session=1), other_words))
    )
    async with POP3TestServer(MESSAGES, faults=faults, sasl=()) as server:
        client = await POP3Client.connect(
            server.host, server.port, tls="none", allow_plaintext=True, timeout=10
        )
        with pytest.raises(MailboxInUse, match="Another MUA active"):
            await client.login(server.user, server.password, mechanism="user")
        await client.abort()
        client = await POP3Client.connect(
            server.host, server.port, tls="none", allow_plaintext=True, timeout=10
        )
        with pytest.raises(LoginRefused):  # other words: still maybe the password
            await client.login(server.user, server.password, mechanism="user")
        await client.abort()


async def test_a_busy_mailbox_is_waited_for_and_the_password_kept(tmp_path: Path) -> None:
    """Three busy answers in a row: the session waits and retries, never forgets the password."""
    drops = tuple(DropFault("PASS", server_text=BUSY_TEXT, session=n) for n in (1, 2, 3))
    async with POP3TestServer(MESSAGES, faults=Faults(drops=drops), sasl=()) as server:
        with open_store(server, tmp_path) as store:
            account = account_for(server)
            secrets = secrets_for(server, account)
            session = MailSession(account, store, secrets, retry=QUICK)
            async with running(session) as events:
                await until(synced(events, len(MESSAGES)), "in after the lock went away")
                states = [e.state for e in events.of(StateChanged)]
                assert ConnectionState.BUSY in states
                assert not events.of(PasswordWanted)
            kept = secrets.lookup_password(account)
            assert kept is not None and kept.value == server.password
    assert len([s for s in server.sessions if "PASS" in s.verbs]) == 4
