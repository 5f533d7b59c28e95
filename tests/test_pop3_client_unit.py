"""POP3Client against small scripted servers on 127.0.0.1: the byte exchanges that matter."""

from __future__ import annotations

import asyncio
import io
import itertools
import socket
import ssl
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from pathlib import Path

import pytest

from tests.certs import CertFiles, make_certificates
from tests.pop3_fake import (
    CAPA_PIPELINING,
    FakeServer,
    Reply,
    close_with,
    message,
    never_answer,
    open_client,
    serve_top,
    top_reply,
)
from tests.waiting import until
from tui_mail.pop3 import POP3Client, connect
from tui_mail.pop3.errors import (
    AuthFailed,
    CommandTimeout,
    ConnectionLost,
    InvalidArgument,
    LoginDelayed,
    MailboxInUse,
    NotSupported,
    PermanentFailure,
    PlaintextNotAllowed,
    ProtocolError,
    ServerError,
    TemporaryFailure,
    TLSFailure,
    UTF8Required,
)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertFiles:
    return make_certificates(tmp_path_factory.mktemp("certs"))


# -- connecting ------------------------------------------------------------------------------------


async def test_greeting_timestamp_and_capabilities() -> None:
    async with FakeServer() as server:
        client = await connect("127.0.0.1", server.port, tls="none", timeout=5)
        assert client.apop_timestamp == "<1896.697170952@dbc.mtview.ca.us>"
        assert client.greeting.startswith("ready")
        assert client.capabilities.top and client.capabilities.resp_codes
        assert not client.encrypted and client.tls_version is None
        await client.quit()
        assert client.closed and server.commands == [b"CAPA", b"QUIT"]


async def test_server_without_capa_gives_empty_capabilities() -> None:
    async with FakeServer(greeting=b"+OK hello\r\n", capa=b"-ERR unknown command\r\n") as server:
        client = await open_client(server)
        assert client.capabilities.raw == () and client.apop_timestamp is None
        assert await client.stat() == (2, 320)
        await client.abort()


async def test_greeting_err_is_connection_lost_with_server_text() -> None:
    async with FakeServer(greeting=b"-ERR too many connections\r\n") as server:
        with pytest.raises(ConnectionLost) as info:
            await open_client(server)
        assert info.value.server_text == "too many connections"


async def test_refused_connection_is_a_pop3_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionLost, match="refused"):
        await POP3Client.connect("127.0.0.1", port, tls="none")


async def test_bad_tls_mode_is_invalid_argument() -> None:
    with pytest.raises(InvalidArgument):
        await POP3Client.connect("127.0.0.1", 1, tls="maybe")


async def test_context_without_verification_is_refused() -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with pytest.raises(InvalidArgument):
        await POP3Client.connect("127.0.0.1", 1, ssl_context=context)


# -- TLS -----------------------------------------------------------------------------------------


async def test_implicit_tls_verified_with_extra_ca(certs: CertFiles) -> None:
    async with FakeServer(tls=certs.server_context()) as server:
        client = await POP3Client.connect("127.0.0.1", server.port, cafile=certs.cafile, timeout=5)
        assert client.encrypted and client.tls_version in ("TLSv1.2", "TLSv1.3")
        assert client.peer_certificate is not None
        assert client.capabilities.top
        await client.quit()


async def test_implicit_tls_untrusted_certificate_fails_clearly(certs: CertFiles) -> None:
    async with FakeServer(tls=certs.server_context()) as server:
        with pytest.raises(TLSFailure, match="not trusted"):
            await POP3Client.connect("127.0.0.1", server.port, timeout=5)


async def test_missing_ca_file_is_tls_failure(tmp_path: Path) -> None:
    with pytest.raises(TLSFailure, match="CA file"):
        await POP3Client.connect("127.0.0.1", 1, cafile=tmp_path / "nope.pem")


async def test_stls_discards_injected_bytes_and_asks_capa_again(certs: CertFiles) -> None:
    server_context = certs.server_context()

    async def stls(
        command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        # A man in the middle appends a forged answer in clear; it must never count.
        writer.write(b"+OK Begin TLS\r\n+OK\r\nSASL PLAIN\r\nPIPELINING\r\n.\r\n")
        await writer.drain()
        await writer.start_tls(server_context)
        server.replies[b"CAPA"] = b"+OK\r\nTOP\r\nUIDL\r\nUSER\r\n.\r\n"
        return True

    capa_before = b"+OK\r\nSTLS\r\nUSER\r\n.\r\n"
    async with FakeServer(capa=capa_before, replies={b"STLS": stls}) as server:
        client = await POP3Client.connect(
            "127.0.0.1", server.port, tls="starttls", cafile=certs.cafile, timeout=5
        )
        assert client.encrypted and client.tls_version is not None
        assert server.commands == [b"CAPA", b"STLS", b"CAPA"]
        assert client.capabilities.top and not client.capabilities.pipelining
        assert client.capabilities.sasl == ()
        assert await client.login("u", "pw", mechanism="user") == "user"
        await client.quit()


async def test_stls_refused_never_downgrades() -> None:
    async with FakeServer(replies={b"STLS": b"-ERR not here\r\n"}) as server:
        with pytest.raises(NotSupported, match="STLS"):
            await POP3Client.connect("127.0.0.1", server.port, tls="starttls", timeout=5)
        assert b"USER" not in server.verbs and b"PASS" not in server.verbs


async def test_stls_with_untrusted_certificate_fails(certs: CertFiles) -> None:
    async def stls(
        command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        writer.write(b"+OK Begin TLS\r\n")
        await writer.drain()
        loop = asyncio.get_running_loop()
        transport = writer.transport
        try:  # not writer.start_tls: on failure it leaves the writer broken (Python 3.11)
            await loop.start_tls(
                transport, transport.get_protocol(), certs.server_context(), server_side=True
            )
        except (ssl.SSLError, ConnectionError):
            pass
        return False

    async with FakeServer(replies={b"STLS": stls}) as server:
        with pytest.raises(TLSFailure, match="not trusted"):
            await POP3Client.connect("127.0.0.1", server.port, tls="starttls", timeout=5)


# -- plaintext guard -----------------------------------------------------------------------------


async def test_no_secret_over_plain_tcp_unless_allowed() -> None:
    async with FakeServer() as server:
        client = await open_client(server, allow_plaintext=False)
        for mechanism in ("auto", "user", "apop", "plain", "scram-sha-256", "xoauth2"):
            with pytest.raises(PlaintextNotAllowed):
                await client.login("u", "hunter2", mechanism=mechanism)
        await client.noop()
        assert server.commands == [b"CAPA", b"NOOP"]
        await client.abort()


# -- response codes and disconnects --------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b"-ERR [AUTH] Authentication failed.\r\n", AuthFailed),
        (b"-ERR [IN-USE] Mailbox is locked.\r\n", MailboxInUse),
        (b"-ERR [LOGIN-DELAY] Too soon.\r\n", LoginDelayed),
        (b"-ERR [SYS/TEMP] Try later.\r\n", TemporaryFailure),
        (b"-ERR [SYS/PERM] Broken.\r\n", PermanentFailure),
        (b"-ERR [UTF8] Need UTF8.\r\n", UTF8Required),
    ],
)
async def test_response_codes_become_distinct_errors(
    reply: bytes, error: type[ServerError]
) -> None:
    async with FakeServer(replies={b"PASS": reply}) as server:
        client = await open_client(server)
        with pytest.raises(error) as info:
            await client.login("u", "pw", mechanism="user")
        assert type(info.value) is error
        assert info.value.text == reply[reply.index(b"]") + 2 :].decode().strip()
        await client.noop()  # a -ERR leaves the session usable
        await client.abort()


async def test_err_then_eof_in_answer_is_connection_lost() -> None:
    async with FakeServer(
        replies={b"NOOP": close_with(b"-ERR Server shutting down.\r\n")}
    ) as server:
        client = await open_client(server)
        with pytest.raises(ConnectionLost) as info:
            await client.noop()
        assert info.value.server_text == "Server shutting down."
        assert client.closed


async def test_unsolicited_err_while_idle_is_connection_lost() -> None:
    async def farewell(
        command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        writer.write(b"+OK\r\n-ERR Disconnected for inactivity.\r\n")
        await writer.drain()
        return False

    async with FakeServer(replies={b"NOOP": farewell}) as server:
        client = await open_client(server)
        await client.noop()
        with pytest.raises(ConnectionLost) as info:
            await client.stat()
        assert info.value.server_text == "Disconnected for inactivity."
        assert client.closed and b"STAT" not in server.verbs


async def test_eof_in_the_middle_of_retr() -> None:
    async def cut(
        command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        writer.write(b"+OK 900 octets\r\nSubject: half\r\n")
        await writer.drain()
        return False

    async with FakeServer(replies={b"RETR": cut}) as server:
        client = await open_client(server)
        with pytest.raises(ConnectionLost):
            await client.retr(1, io.BytesIO())
        assert client.closed
        with pytest.raises(ConnectionLost):
            await client.noop()


async def test_timeout_drops_the_connection_without_quit() -> None:
    async with FakeServer(replies={b"NOOP": never_answer}) as server:
        client = await open_client(server, timeout=0.5)
        with pytest.raises(CommandTimeout):
            await client.noop()
        assert client.closed
        await asyncio.sleep(0)
        await asyncio.wait_for(until(lambda: server.saw_eof), 5)
        assert b"QUIT" not in server.verbs


async def test_garbage_is_protocol_error_and_no_quit() -> None:
    async with FakeServer(replies={b"STAT": b"* 12 EXISTS\r\n"}) as server:
        client = await open_client(server)
        with pytest.raises(ProtocolError):
            await client.stat()
        assert client.closed
        await asyncio.wait_for(until(lambda: server.saw_eof), 5)
        assert b"QUIT" not in server.verbs


# -- listings and fetching ---------------------------------------------------------------------


async def test_list_uidl_tolerant_parsing() -> None:
    long_uid = b"U" * 120
    replies: dict[bytes, Reply] = {
        b"LIST": b"+OK 2 messages\r\n1 120\r\n2   4000\r\n.\r\n",
        b"UIDL": b"+OK\r\n1    abc.def\r\n2 " + long_uid + b"  \r\n.\r\n",
        b"UIDL 2": b"+OK 2   " + long_uid + b"\r\n",
        b"LIST 1": b"+OK 1 120\r\n",
    }
    async with FakeServer(replies=replies) as server:
        client = await open_client(server)
        assert await client.list() == {1: 120, 2: 4000}
        assert await client.uidl() == {1: "abc.def", 2: long_uid.decode()}
        assert await client.uidl_one(2) == long_uid.decode()
        assert await client.list_one(1) == 120
        await client.abort()


async def test_retr_streams_exact_bytes_with_progress() -> None:
    # 6 MB with 300 KB lines and lines that need byte-stuffing.
    lines = [b"." * (k % 3) + bytes([65 + k % 26]) * 300_000 for k in range(20)]
    body = b"".join(line + b"\r\n" for line in lines) + b".\r\n..\r\n"
    stuffed = body.replace(b"\r\n.", b"\r\n..")
    stuffed = (b"." + stuffed) if stuffed.startswith(b".") else stuffed
    reply = b"+OK\r\n" + stuffed + b".\r\n"
    writes: list[int] = []
    progress: list[int] = []

    class Sink(io.BytesIO):
        def write(self, data: bytes) -> int:  # type: ignore[override]
            writes.append(len(data))
            return super().write(data)

    announced = b"+OK 1 %d\r\n" % len(body)  # RETR is bounded by the LISTed size
    async with FakeServer(replies={b"RETR": reply, b"LIST 1": announced}) as server:
        client = await open_client(server)
        sink = Sink()
        assert await client.retr(1, sink, progress.append) == len(body)
        assert sink.getvalue() == body
        assert len(writes) > 1 and max(writes) < 3 * 1024 * 1024  # streamed, not accumulated
        assert progress == sorted(progress) and progress[-1] == len(body)
        await client.quit()


async def test_top_accepts_long_header_lines() -> None:
    header = b"X-Long: " + b"h" * 200_000 + b"\r\n"
    async with FakeServer(replies={b"TOP": b"+OK\r\n" + header + b".\r\n"}) as server:
        client = await open_client(server)
        assert await client.top(1, 0) == header
        await client.abort()


async def test_top_many_pipelines_within_the_window() -> None:
    log: list[tuple[str, str]] = []
    async with FakeServer(capa=CAPA_PIPELINING, replies={b"TOP": serve_top}) as server:
        client = await open_client(
            server, pipeline_window=8, protocol_log=lambda d, line: log.append((d, line))
        )
        numbers = list(range(30, 0, -1))
        got = [item async for item in client.top_many(numbers, 0)]
        assert got == [(n, message(n)) for n in numbers]
        outstanding = peak = 0
        for direction, line in log:
            if direction == "C" and line.startswith("TOP"):
                outstanding += 1
                peak = max(peak, outstanding)
            elif direction == "S" and line == "." and outstanding:
                outstanding -= 1
        assert peak == 8 and outstanding == 0
        await client.quit()


async def test_top_many_one_at_a_time_without_pipelining() -> None:
    log: list[tuple[str, str]] = []
    async with FakeServer(replies={b"TOP": serve_top}) as server:
        client = await open_client(
            server, pipeline_window=8, protocol_log=lambda d, line: log.append((d, line))
        )
        got = [n async for n, _ in client.top_many([1, 2, 3, 4], 0)]
        assert got == [1, 2, 3, 4]
        commands = [i for i, (d, line) in enumerate(log) if d == "C" and line.startswith("TOP")]
        assert all(b - a > 1 for a, b in itertools.pairwise(commands))
        assert all(any(d == "S" for d, _ in log[a:b]) for a, b in itertools.pairwise(commands))
        await client.abort()


async def test_top_many_error_for_one_message_then_session_goes_on() -> None:
    async def top(
        command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        if command == b"TOP 2 0":
            writer.write(b"-ERR [SYS/PERM] no such message\r\n")
        else:
            writer.write(top_reply(command))
        return True

    async with FakeServer(capa=CAPA_PIPELINING, replies={b"TOP": top}) as server:
        client = await open_client(server)
        got: list[int] = []
        with pytest.raises(PermanentFailure):
            async for number, _ in client.top_many([1, 2, 3, 4], 0):
                got.append(number)
        assert got == [1]
        await client.noop()  # the answers to TOP 3 and 4 are skipped, not mistaken for NOOP's
        assert server.verbs[-1] == b"NOOP" and not client.closed
        await client.quit()


async def test_leaving_top_many_early_keeps_the_session_in_step() -> None:
    async with FakeServer(capa=CAPA_PIPELINING, replies={b"TOP": serve_top}) as server:
        client = await open_client(server)
        async with aclosing(client.top_many(range(1, 11), 0)) as headers:
            async for number, _ in headers:
                assert number == 1
                break
        assert await client.stat() == (2, 320)
        assert await client.top(5, 0) == message(5)
        await client.quit()


async def test_retr_many_and_concurrent_commands_are_serialised() -> None:
    async with FakeServer(replies={b"RETR": serve_top, b"TOP": serve_top}) as server:
        client = await open_client(server)
        assert [n async for n, _ in client.retr_many([2, 1])] == [2, 1]
        stat, _, top = await asyncio.gather(client.stat(), client.noop(), client.top(3))
        assert stat == (2, 320) and top == message(3)
        await client.quit()


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.dele(0),
        lambda c: c.top(1, -1),
        lambda c: c.list_one(True),
        lambda c: c.retr(-5, io.BytesIO()),
    ],
)
async def test_bad_message_numbers_are_refused_before_sending(
    call: Callable[[POP3Client], Awaitable[object]],
) -> None:
    async with FakeServer() as server:
        client = await open_client(server)
        with pytest.raises(InvalidArgument):
            await call(client)
        await client.noop()
        assert server.commands == [b"CAPA", b"NOOP"]
        await client.abort()


async def test_async_with_aborts_instead_of_quit() -> None:
    async with FakeServer() as server:
        async with await open_client(server) as client:
            await client.dele(1)
        assert client.closed
        await asyncio.wait_for(until(lambda: server.saw_eof), 5)
        assert b"QUIT" not in server.verbs


async def test_quit_error_is_raised_after_closing() -> None:
    async with FakeServer(
        replies={b"QUIT": b"-ERR [SYS/TEMP] some deletions failed\r\n"}
    ) as server:
        client = await open_client(server)
        with pytest.raises(TemporaryFailure):
            await client.quit()
        assert client.closed
