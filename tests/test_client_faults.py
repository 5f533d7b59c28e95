"""POP3Client against the scriptable test server: what Dovecot cannot be made to do.

Broken servers (no CAPA, no UIDL, odd spacing, long UIDs and lines), every response code,
drops and stalls, plaintext refusal, the OAuth mechanisms, and pipelining on and off.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.certs import CertFiles
from tests.pop3server import CONNECT, At, DropFault, ErrorFault, Faults, POP3TestServer
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.errors import (
    AuthFailed,
    CommandTimeout,
    ConnectionLost,
    LoginDelayed,
    MailboxInUse,
    NotSupported,
    PermanentFailure,
    PlaintextNotAllowed,
    POP3Error,
    ServerError,
    TemporaryFailure,
    TLSFailure,
    UTF8Required,
)

USER, PASSWORD, TOKEN = "alice", "correct horse", "ya29.a0AfH6SM-" + "t" * 300


def message(n: int, body: bytes = b"") -> bytes:
    return f"From: sender{n}@example.org\r\nSubject: message {n}\r\n\r\n".encode() + (
        body or f"body of message {n}\r\n.hidden dot line\r\n".encode()
    )


TRICKY = message(0, b".\r\n..\r\n.leading dot\r\nend.\r\n\r\n\r\n")
MESSAGES = [message(n) for n in range(1, 4)]


def make_server(messages: list[bytes] = MESSAGES, **options: Any) -> POP3TestServer:
    options.setdefault("user", USER)
    options.setdefault("password", PASSWORD)
    return POP3TestServer(messages, **options)


async def connect(server: POP3TestServer, **options: Any) -> POP3Client:
    options.setdefault("tls", "none")
    options.setdefault("allow_plaintext", True)
    options.setdefault("timeout", 5)
    return await POP3Client.connect(server.host, server.port, **options)


@asynccontextmanager
async def logged_in(
    server: POP3TestServer, mechanism: str = "user", **options: Any
) -> AsyncIterator[POP3Client]:
    client = await connect(server, **options)
    try:
        await client.login(USER, PASSWORD, mechanism=mechanism)
        yield client
    finally:
        await client.abort()


def expected(messages: list[bytes]) -> list[bytes]:
    """What a client must read back: the messages exactly, as CRLF text."""
    return [m.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for m in messages]


# -- login ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mechanism", ["user", "apop", "plain", "login", "cram-md5", "scram-sha-256"]
)
async def test_every_password_mechanism(mechanism: str) -> None:
    async with make_server() as server, logged_in(server, mechanism) as client:
        assert await client.stat() == (3, sum(len(m) for m in MESSAGES))
    assert server.last_session.mechanism == mechanism


async def test_auto_picks_scram_and_refreshes_capabilities() -> None:
    async with make_server() as server:
        client = await connect(server)
        assert client.capabilities.user and "SCRAM-SHA-256" in client.capabilities.sasl
        assert await client.login(USER, PASSWORD) == "scram-sha-256"
        assert not client.capabilities.sasl  # asked again after login
        await client.abort()


@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
async def test_oauth_token_mechanisms(mechanism: str) -> None:
    async with make_server(token=TOKEN) as server:
        client = await connect(server)
        assert await client.login(USER, TOKEN, mechanism=mechanism) == mechanism
        assert await client.stat() == (3, sum(len(m) for m in MESSAGES))
        await client.abort()
        # a long token never goes on the AUTH line (Microsoft needs the two-step form)
        assert server.last_session.sasl_initial_response is False
        assert server.last_session.commands[0:2] == ["CAPA", f"AUTH {mechanism.upper()}"]

        client = await connect(server)
        with pytest.raises(AuthFailed) as refused:
            await client.login(USER, "expired-token", mechanism=mechanism)
        assert "expired-token" not in str(refused.value)
        await client.abort()


async def test_wrong_password_is_auth_failed_without_the_secret() -> None:
    async with make_server() as server:
        client = await connect(server)
        with pytest.raises(AuthFailed) as refused:
            await client.login(USER, "not the password", mechanism="user")
        assert "not the password" not in repr(refused.value) + str(refused.value)
        await client.abort()


@pytest.mark.parametrize("mechanism", ["auto", "user", "apop", "plain", "scram-sha-256", "xoauth2"])
async def test_plaintext_refused_before_any_secret_is_sent(mechanism: str) -> None:
    async with make_server(token=TOKEN) as server:
        client = await connect(server, allow_plaintext=False)
        with pytest.raises(PlaintextNotAllowed):
            await client.login(USER, PASSWORD, mechanism=mechanism)
        await client.abort()
    session = server.last_session
    assert session.verbs == ["CAPA"]
    assert not session.secrets_in_clear


async def test_plaintext_login_succeeds_when_allowed() -> None:
    async with make_server() as server, logged_in(server, "user") as client:
        assert not client.encrypted
        assert (await client.stat())[0] == 3
    assert server.last_session.secrets_in_clear  # exactly what the user allowed


async def test_server_refusing_plaintext_is_reached_through_stls(certs: CertFiles) -> None:
    async with make_server(
        tls="starttls", ssl_context=certs.server_context(), require_tls_for_login=True
    ) as server:
        client = await connect(server, tls="starttls", cafile=certs.cafile, allow_plaintext=False)
        assert client.encrypted and client.tls_version is not None
        assert client.capabilities.user and not client.capabilities.stls
        assert await client.login(USER, PASSWORD, mechanism="plain") == "plain"
        await client.abort()
    assert server.last_session.encrypted and not server.last_session.secrets_in_clear


async def test_starttls_is_never_skipped_when_the_server_lacks_it() -> None:
    async with make_server() as server:
        with pytest.raises(NotSupported):
            await connect(server, tls="starttls", allow_plaintext=False)
    assert server.last_session.verbs == ["CAPA", "STLS"]


async def test_untrusted_certificate_is_a_tls_failure(certs: CertFiles) -> None:
    async with make_server(tls="implicit", ssl_context=certs.server_context()) as server:
        with pytest.raises(TLSFailure):
            await connect(server, tls="implicit")
        client = await connect(server, tls="implicit", cafile=certs.cafile)
        assert client.encrypted and client.peer_certificate is not None
        await client.abort()


# -- response codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("AUTH", AuthFailed),
        ("IN-USE", MailboxInUse),
        ("LOGIN-DELAY", LoginDelayed),
        ("SYS/TEMP", TemporaryFailure),
        ("SYS/PERM", PermanentFailure),
        ("UTF8", UTF8Required),
    ],
)
async def test_each_response_code_at_login(code: str, error: type[ServerError]) -> None:
    async with make_server(faults=Faults(errors=(ErrorFault("PASS", code=code),))) as server:
        client = await connect(server)
        with pytest.raises(error) as raised:
            await client.login(USER, PASSWORD, mechanism="user")
        assert raised.value.code == code
        await client.abort()


async def test_response_code_in_transaction_leaves_the_session_usable() -> None:
    faults = Faults(errors=(ErrorFault("RETR", code="SYS/TEMP", text="Try later."),))
    async with make_server(faults=faults) as server, logged_in(server) as client:
        with pytest.raises(TemporaryFailure, match="Try later"):
            await client.retr(1, io.BytesIO())
        sink = io.BytesIO()
        await client.retr(1, sink)
        assert sink.getvalue() == MESSAGES[0]


async def test_session_lock_gives_mailbox_in_use() -> None:
    async with make_server(lock_wait=0) as server, logged_in(server):
        second = await connect(server)
        with pytest.raises(MailboxInUse):
            await second.login(USER, PASSWORD, mechanism="user")
        await second.abort()


# -- broken servers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("faults", "chosen"),
    [(Faults(no_capa=True), "apop"), (Faults(no_capa=True, no_apop=True), "user")],
)
async def test_server_without_capa(faults: Faults, chosen: str) -> None:
    async with make_server(faults=faults) as server:
        client = await connect(server)
        assert client.capabilities.raw == ()
        assert await client.login(USER, PASSWORD) == chosen  # RFC 1939 methods only
        assert await client.uidl() == dict(enumerate(server.uids(), start=1))
        await client.abort()


async def test_server_without_uidl_or_top() -> None:
    async with (
        make_server(faults=Faults(no_uidl=True, no_top=True)) as server,
        logged_in(server) as client,
    ):
        assert not client.capabilities.uidl and not client.capabilities.top
        with pytest.raises(POP3Error):
            await client.uidl()
        with pytest.raises(POP3Error):
            await client.top(1, 0)
        assert await client.list() == {
            1: len(MESSAGES[0]),
            2: len(MESSAGES[1]),
            3: len(MESSAGES[2]),
        }


async def test_capabilities_announced_only_after_login() -> None:
    async with make_server(faults=Faults(late_capabilities=True)) as server:
        client = await connect(server)
        before = client.capabilities
        assert not before.top and not before.pipelining
        await client.login(USER, PASSWORD, mechanism="user")
        after = client.capabilities
        assert after.top and after.pipelining
        await client.abort()


async def test_extra_capability_lines() -> None:
    async with make_server(extra_capabilities=["EXPIRE 0", "LOGIN-DELAY 300"]) as server:
        client = await connect(server)
        assert client.capabilities.expire == 0
        assert client.capabilities.login_delay == 300
        await client.abort()


async def test_odd_uidl_spacing() -> None:
    async with (
        make_server(faults=Faults(odd_uidl_spacing=True)) as server,
        logged_in(server) as client,
    ):
        assert await client.uidl() == dict(enumerate(server.uids(), start=1))
        assert await client.uidl_one(2) == server.uids()[1]


async def test_over_long_uids_are_kept_whole() -> None:
    async with make_server(faults=Faults(long_uids=True)) as server, logged_in(server) as client:
        uids = await client.uidl()
        assert sorted(uids) == [1, 2, 3]
        assert all(len(uid) > 70 for uid in uids.values())
        assert [uids[n][:16] for n in (1, 2, 3)] == server.uids()
        assert await client.uidl_one(3) == uids[3]


async def test_two_hundred_kilobyte_line() -> None:
    async with make_server(faults=Faults(long_line=200_000)) as server, logged_in(server) as client:
        header = await client.top(1, 0)
        first_line = header.split(b"\r\n", 1)[0]
        assert len(first_line) == 200_000
        sink = io.BytesIO()
        size = await client.retr(2, sink)
        assert size == len(sink.getvalue()) == await client.list_one(2)
        assert sink.getvalue().endswith(expected(MESSAGES)[1])


async def test_byte_stuffing_round_trips_through_every_fetch() -> None:
    async with make_server([TRICKY, *MESSAGES]) as server, logged_in(server) as client:
        sink = io.BytesIO()
        await client.retr(1, sink)
        assert sink.getvalue() == TRICKY
        assert [data async for _, data in client.retr_many([1, 2])] == [TRICKY, MESSAGES[0]]
        head = TRICKY[: TRICKY.index(b"\r\n\r\n") + 4]
        assert await client.top(1, 3) == head + b".\r\n..\r\n.leading dot\r\n"


# -- pipelining -------------------------------------------------------------------------------


async def _fetch_everything(server: POP3TestServer) -> tuple[Any, ...]:
    async with logged_in(server) as client:
        numbers = list(range(1, 41))
        headers = [item async for item in client.top_many(numbers, 0)]
        bodies = [item async for item in client.retr_many(numbers)]
        return await client.uidl(), headers, bodies


async def test_pipelining_on_and_off_give_identical_results() -> None:
    messages = [message(n) for n in range(40)]
    async with make_server(messages) as pipelined:
        with_pipelining = await _fetch_everything(pipelined)
    async with make_server(messages, faults=Faults(no_pipelining=True)) as sequential:
        without_pipelining = await _fetch_everything(sequential)
    assert with_pipelining == without_pipelining
    assert [data for _, data in with_pipelining[2]] == expected(messages)
    assert pipelined.last_session.pipelined > 0  # commands did travel ahead of answers
    assert sequential.last_session.pipelined == 0  # one at a time without PIPELINING


# -- drops, stalls, delete safety --------------------------------------------------------------


async def test_dele_then_abort_deletes_nothing_and_quit_deletes_exactly_that() -> None:
    async with make_server() as server:
        uids = server.uids()
        async with logged_in(server) as client:
            await client.dele(2)
        assert server.deleted_uids == []
        async with logged_in(server) as client:
            assert await client.uidl() == dict(enumerate(uids, start=1))
            await client.dele(2)
            await client.quit()
            assert client.closed
        assert server.deleted_uids == [uids[1]]
        assert server.uids() == [uids[0], uids[2]]


async def test_drop_mid_retr_is_connection_lost_and_deletes_nothing() -> None:
    faults = Faults(drops=(DropFault("RETR", session=1, partial_bytes=60),))
    async with make_server(faults=faults) as server:
        uids = server.uids()
        async with logged_in(server) as client:
            await client.dele(1)
            with pytest.raises(ConnectionLost):
                await client.retr(2, io.BytesIO())
            assert client.closed
        async with logged_in(server) as client:
            assert await client.uidl() == dict(enumerate(uids, start=1))
    assert server.deleted_uids == []


async def test_unsolicited_error_then_drop_carries_the_server_text() -> None:
    faults = Faults(drops=(DropFault("UIDL", server_text="Server shutting down."),))
    async with make_server(faults=faults) as server, logged_in(server) as client:
        with pytest.raises(ConnectionLost) as lost:
            await client.uidl()
        assert "shutting down" in lost.value.server_text


async def test_drop_at_the_greeting() -> None:
    async with make_server(faults=Faults(drops=(DropFault(CONNECT),))) as server:
        with pytest.raises(ConnectionLost):
            await connect(server)


async def test_error_greeting_with_a_code() -> None:
    faults = Faults(errors=(ErrorFault(CONNECT, code="SYS/TEMP"),))
    async with make_server(faults=faults) as server:
        with pytest.raises(TemporaryFailure):
            await connect(server)


async def test_stall_is_a_command_timeout_and_deletes_nothing() -> None:
    async with make_server(faults=Faults(stalls=(At("UIDL"),))) as server:
        client = await connect(server, timeout=0.3)
        await client.login(USER, PASSWORD, mechanism="user")
        await client.dele(1)
        with pytest.raises(CommandTimeout):
            await client.uidl()
        assert client.closed
        await client.abort()
    assert server.deleted_uids == []


async def test_stall_at_the_greeting_is_a_command_timeout() -> None:
    async with make_server(faults=Faults(stalls=(At(CONNECT),))) as server:
        with pytest.raises(CommandTimeout):
            await connect(server, timeout=0.3)


# -- LIST and UIDL in one round trip -----------------------------------------------------------


@pytest.mark.parametrize("pipelining", [True, False])
async def test_list_and_uidl_match_the_separate_commands(pipelining: bool) -> None:
    async with (
        make_server(faults=Faults(no_pipelining=not pipelining)) as server,
        logged_in(server) as client,
    ):
        sizes, uids = await client.list_and_uidl()
        assert sizes == await client.list() and uids == await client.uidl()
        assert await client.stat() == (3, sum(sizes.values()))  # still in step
    record = server.last_session
    assert record.verbs[-5:] == ["LIST", "UIDL", "LIST", "UIDL", "STAT"]
    assert (record.pipelined > 0) is pipelining


async def test_list_and_uidl_returns_uidls_error_for_a_fallback() -> None:
    async with make_server(faults=Faults(no_uidl=True)) as server, logged_in(server) as client:
        sizes, uids = await client.list_and_uidl()
        assert isinstance(uids, ServerError) and len(sizes) == 3
        assert await client.stat() == (3, sum(sizes.values()))


async def test_list_and_uidl_raises_lists_error_and_stays_in_step() -> None:
    fault = ErrorFault("LIST", code="SYS/TEMP")
    async with make_server(faults=Faults(errors=(fault,))) as server, logged_in(server) as client:
        with pytest.raises(TemporaryFailure):
            await client.list_and_uidl()
        assert len(await client.uidl()) == 3  # the pipelined UIDL answer was consumed
