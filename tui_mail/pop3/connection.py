"""The asyncio side of a POP3 session: one transport, one parser, responses read in order.

:class:`Connection` owns the socket and the :class:`~tui_mail.pop3.protocol.ResponseParser`.
It sends encoded commands (several per write when pipelining), reads events with an
inactivity timeout, turns EOF, -ERR and garbage into the error types of ``errors.py``, and
drops the stream (never QUIT) whenever it is no longer in step with the server.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Final, NoReturn

from tui_mail.keys_first import step_aside
from tui_mail.pop3.errors import (
    AnswerTooLong,
    CommandTimeout,
    ConnectionLost,
    ProtocolError,
    server_error,
)
from tui_mail.pop3.protocol import (
    Challenge,
    Command,
    ConnectionClosed,
    DataChunk,
    DataEnd,
    Event,
    Expect,
    NeedData,
    ResponseParser,
    Status,
    decode_text,
)
from tui_mail.pop3.tcp import SocketLike, rearm_quickack, set_low_latency, socket_of
from tui_mail.pop3.tls import describe_tls_error

#: Stop reading from the socket past this many unparsed bytes (must exceed the line bound).
_HIGH_WATER: Final = 2 * 1024 * 1024
#: After a code-less -ERR, how long to look for the EOF that makes it a disconnect notice.
EOF_GRACE_SECONDS: Final = 0.15

ProtocolLog = Callable[[str, str], None]


class _StreamProtocol(asyncio.Protocol):
    """Feeds received bytes to the parser and wakes the reader; pauses when it falls behind."""

    def __init__(self, parser: ResponseParser, *, low_latency: bool = True) -> None:
        self.parser = parser
        self.transport: asyncio.Transport | None = None
        self.paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._low_latency = low_latency
        self._quickack_socket: SocketLike | None = None  # re-armed after every read

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = socket_of(transport)
        if sock is not None and self._low_latency:
            set_low_latency(sock)
            self._quickack_socket = sock

    def data_received(self, data: bytes) -> None:
        step_aside()  # a key press in hand goes first (keys_first.py); these bytes can wait
        if self._quickack_socket is not None:
            rearm_quickack(self._quickack_socket)
        if self.parser.eof:
            return
        self.parser.feed(data)
        if self.parser.buffered > _HIGH_WATER and not self.paused and self.transport:
            self.transport.pause_reading()
            self.paused = True
        self._wake()

    def eof_received(self) -> bool | None:
        self.parser.feed_eof()
        self._wake()
        return None  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.parser.eof:
            self.parser.feed_eof()
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait_for_data(self) -> None:
        """Return when new bytes or EOF arrived (the parser has something new)."""
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None


class Connection:
    """One POP3 byte stream. Not safe for concurrent use: the client serialises access."""

    def __init__(
        self,
        protocol: _StreamProtocol,
        *,
        host: str,
        port: int,
        timeout: float,
        protocol_log: ProtocolLog | None,
    ) -> None:
        assert protocol.transport is not None
        self._protocol = protocol
        self._transport: asyncio.Transport = protocol.transport
        self.parser = protocol.parser
        self.host = host
        self.port = port
        self.timeout = timeout
        self._protocol_log = protocol_log
        self._orphans = 0  # responses already requested that nobody will read
        self.redactions: list[str] = []  # secrets to hide from logs and error texts
        self.closed = False
        self._deadline: float | None = None  # monotonic end of the current command's answer
        self._deadline_seconds = 0.0

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        *,
        context: ssl.SSLContext | None,
        timeout: float,
        protocol_log: ProtocolLog | None,
        low_latency: bool = True,
    ) -> Connection:
        """Connect (with implicit TLS if ``context``), mapping failures to POP3 errors.

        ``low_latency`` (TCP_NODELAY, TCP_QUICKACK re-armed after reads; see ``tcp.py``)
        is off only for a benchmark's baseline.
        """
        loop = asyncio.get_running_loop()
        protocol = _StreamProtocol(ResponseParser(), low_latency=low_latency)
        try:
            async with asyncio.timeout(timeout):
                await loop.create_connection(
                    lambda: protocol,
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context else None,
                    ssl_handshake_timeout=timeout if context else None,
                )
        except TimeoutError:
            raise CommandTimeout(
                f"timed out connecting to {host}:{port} after {timeout:g} s"
            ) from None
        except ssl.SSLError as exc:
            raise describe_tls_error(exc, host, port) from exc
        except ConnectionRefusedError:
            raise ConnectionLost(f"connection to {host}:{port} refused") from None
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise ConnectionLost(f"cannot connect to {host}:{port}: {reason}") from exc
        return cls(protocol, host=host, port=port, timeout=timeout, protocol_log=protocol_log)

    # -- TLS -------------------------------------------------------------------------------------

    @property
    def ssl_object(self) -> ssl.SSLObject | None:
        """The TLS state of the stream, or None on plain TCP."""
        obj: Any = self._transport.get_extra_info("ssl_object")
        return obj if isinstance(obj, ssl.SSLObject) else None

    async def start_tls(self, context: ssl.SSLContext) -> None:
        """Upgrade after a +OK to STLS; every byte received in clear is thrown away."""
        if self.parser.pending:
            raise ProtocolError("STLS with responses still outstanding")
        self.parser.discard_buffered()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout):
                transport = await loop.start_tls(
                    self._transport,
                    self._protocol,
                    context,
                    server_hostname=self.host,
                    ssl_handshake_timeout=self.timeout,
                )
        except TimeoutError:
            self.abort()
            raise CommandTimeout(f"TLS handshake with {self.host}:{self.port} timed out") from None
        except ssl.SSLError as exc:
            self.abort()
            raise describe_tls_error(exc, self.host, self.port) from exc
        except (OSError, RuntimeError) as exc:  # reset or closed during the handshake
            self.abort()
            raise ConnectionLost(
                f"connection to {self.host}:{self.port} lost during the TLS handshake"
            ) from exc
        if transport is None:
            self.abort()
            raise ConnectionLost("connection closed during the TLS handshake")
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._protocol.transport = transport
        self.parser.discard_buffered()

    # -- logging and redaction -------------------------------------------------------------

    def redact(self, text: str) -> str:
        """Replace every registered secret in ``text`` by ``***``."""
        for secret in self.redactions:
            if secret:
                text = text.replace(secret, "***")
        return text

    def log(self, direction: str, line: str) -> None:
        """Report one protocol line to the caller's log, secrets replaced."""
        if self._protocol_log is not None:
            self._protocol_log(direction, self.redact(line))

    # -- sending ---------------------------------------------------------------------------

    def send(self, commands: Sequence[Command], kind: Expect) -> None:
        """Write commands in one transport write; each expects a response of shape ``kind``."""
        if self.closed:
            raise ConnectionLost("connection already closed")
        for command in commands:
            self.parser.expect(kind)
            self.log("C", command.log)
        self._transport.write(b"".join(command.wire for command in commands))

    def send_mixed(self, commands: Sequence[tuple[Command, Expect]]) -> None:
        """Like :meth:`send`, for commands whose answers differ in shape (one write)."""
        if self.closed:
            raise ConnectionLost("connection already closed")
        for command, kind in commands:
            self.parser.expect(kind)
            self.log("C", command.log)
        self._transport.write(b"".join(command.wire for command, _ in commands))

    def send_line(self, command: Command) -> None:
        """Write a SASL continuation line (it answers a challenge; no new response expected)."""
        if self.closed:
            raise ConnectionLost("connection already closed")
        self.log("C", command.log)
        self._transport.write(command.wire)

    # -- receiving -------------------------------------------------------------------------

    async def event(self, what: str) -> Event:
        """The next parser event; EOF becomes ConnectionLost, silence CommandTimeout."""
        while True:
            try:
                event = self.parser.next_event()
            except ProtocolError as exc:
                self.abort()
                raise ProtocolError(self.redact(str(exc))) from None
            if isinstance(event, NeedData):
                await self._wait(what)
                continue
            if isinstance(event, ConnectionClosed):
                self.log("S", "[connection closed]")
                self.abort()
                text = self.redact(event.server_text)
                detail = f": {text}" if text else ""
                raise ConnectionLost(
                    f"connection closed by server during {what}{detail}", server_text=text
                )
            return event

    def deadline(self, seconds: float) -> _Deadline:
        """The whole answer read inside the block must arrive within ``seconds``.

        The idle timeout alone lets a server that sends one byte a second keep a command (and
        so ``tui-mail check``) alive forever; this bounds the total. (A plain class, not a
        generator: it is entered once per pipelined answer, 20,000 times in a cold sync.)
        """
        return _Deadline(self, seconds)

    async def _wait(self, what: str) -> None:
        wait = self.timeout
        if self._deadline is not None:
            wait = min(wait, self._deadline - time.monotonic())
        try:
            if wait <= 0:
                raise TimeoutError
            async with asyncio.timeout(wait):
                await self._protocol.wait_for_data()
        except TimeoutError:
            self.abort()
            if self._deadline is not None and time.monotonic() >= self._deadline:
                raise CommandTimeout(
                    f"{what} from {self.host} did not complete within "
                    f"{self._deadline_seconds:g} s (the server sends too slowly); "
                    "connection dropped"
                ) from None
            raise CommandTimeout(
                f"no answer to {what} from {self.host} within "
                f"{self.timeout:g} s; connection dropped"
            ) from None

    async def status(self, what: str) -> Status:
        """Read a +OK/-ERR line (a SASL challenge here is out of sequence)."""
        event = await self.event(what)
        if not isinstance(event, Status):
            self.abort()
            raise ProtocolError(f"unexpected {type(event).__name__} in answer to {what}")
        if self._protocol_log is not None:  # (decoding 20,000 status lines for nobody costs)
            self.log("S", decode_text(event.raw))
        return event

    async def sasl_step(self, what: str) -> Status | Challenge:
        """Read a challenge or the final status of an AUTH exchange."""
        event = await self.event(what)
        if isinstance(event, Challenge):
            self.log("S", "+ ***")
            return event
        if not isinstance(event, Status):
            self.abort()
            raise ProtocolError(f"unexpected {type(event).__name__} in answer to {what}")
        self.log("S", decode_text(event.raw))
        return event

    async def chunks(
        self,
        what: str,
        *,
        limit: int,
        number: int | None = None,
        log_lines: bool = False,
    ) -> AsyncIterator[bytes]:
        """Yield the data of the multi-line response whose +OK was just read.

        Past ``limit`` bytes the server is sending more than it announced: the stream is
        dropped (no QUIT) and :class:`AnswerTooLong` raised, naming message ``number``.
        """
        total = 0
        while True:
            event = await self.event(what)
            if isinstance(event, DataEnd):
                if not log_lines:
                    self.log("S", f"[{total} bytes of data]")
                self.log("S", ".")
                return
            if not isinstance(event, DataChunk):
                self.abort()
                raise ProtocolError(f"unexpected {type(event).__name__} in data of {what}")
            total += len(event.data)
            if total > limit:
                self._too_long(what, limit, number)
            if log_lines:
                for line in event.data.split(b"\r\n")[:-1]:
                    self.log("S", decode_text(line))
            yield event.data

    async def collect(
        self,
        what: str,
        *,
        limit: int,
        keep: int | None = None,
        number: int | None = None,
        log_lines: bool = False,
    ) -> bytes:
        """The data of a multi-line response, at most ``limit`` bytes (else AnswerTooLong).

        With ``keep`` only the first ``keep`` bytes are kept; the rest is read and dropped.
        """
        kept: list[bytes] = []
        room = limit if keep is None else keep
        if log_lines:
            async for chunk in self.chunks(what, limit=limit, number=number, log_lines=True):
                if room > 0:
                    kept.append(chunk[:room])
                    room -= len(kept[-1])
            return b"".join(kept)
        # The same as iterating :meth:`chunks`, without an async generator per answer (a
        # cold sync collects 20,000 of them): a complete TOP answer is one chunk and an end.
        total = 0
        while True:
            event = await self.event(what)
            if isinstance(event, DataEnd):
                if self._protocol_log is not None:
                    self.log("S", f"[{total} bytes of data]")
                    self.log("S", ".")
                return b"".join(kept)
            if not isinstance(event, DataChunk):
                self.abort()
                raise ProtocolError(f"unexpected {type(event).__name__} in data of {what}")
            total += len(event.data)
            if total > limit:
                self._too_long(what, limit, number)
            if room > 0:
                kept.append(event.data[:room])
                room -= len(kept[-1])

    def whole_answer(
        self, verb: str, number: int, *, limit: int, keep: int | None
    ) -> tuple[Status, bytes] | None:
        """:meth:`status` then :meth:`collect` in one step, if a ``+OK`` answer is here whole.

        None when it is not (or is a ``-ERR``): read it with those two. Nothing is waited
        for, so no timeout applies; the bound does (AnswerTooLong past ``limit`` bytes).
        """
        answer = self.parser.next_whole_answer()
        if answer is None:
            return None
        status, data = answer
        if self._protocol_log is not None:
            self.log("S", decode_text(status.raw))
        if len(data) > limit:
            self._too_long(f"{verb} {number}", limit, number)
        if self._protocol_log is not None:
            self.log("S", f"[{len(data)} bytes of data]")
            self.log("S", ".")
        return status, data if keep is None else data[:keep]

    def _too_long(self, what: str, limit: int, number: int | None) -> NoReturn:
        """The server sends more than it announced: drop the stream (no QUIT) and say so."""
        self.abort()
        self.log("S", f"[more than {limit} bytes: connection dropped]")
        raise AnswerTooLong(
            f"the server sent more than it announced for {what} (over {limit:,} bytes); "
            "connection dropped",
            number,
        )

    async def raise_for(self, status: Status, what: str) -> NoReturn:
        """Raise the error a -ERR stands for; a code-less -ERR followed by EOF is a disconnect."""
        text = self.redact(status.text)
        if status.code is None and not self.parser.eof and self.parser.buffered == 0:
            try:
                async with asyncio.timeout(EOF_GRACE_SECONDS):
                    await self._protocol.wait_for_data()
            except TimeoutError:
                pass
        if status.code is None and self.parser.eof and self.parser.buffered == 0:
            self.abort()
            raise ConnectionLost(
                f"server ended the session during {what}: {text}", server_text=text
            )
        if self.parser.eof:
            self.abort()
        raise server_error(text, status.code)

    # -- keeping in step ---------------------------------------------------------------------

    async def prepare(self, what: str) -> None:
        """Before a command: skip abandoned responses, catch a farewell sent while idle."""
        if self.closed:
            raise ConnectionLost("connection already closed")
        while self._orphans:
            target = self.parser.pending - 1
            while self.parser.pending > target:
                event = await self.event(f"an abandoned response (before {what})")
                if isinstance(event, Challenge):
                    self.abort()
                    raise ProtocolError("abandoned login still waiting for an answer")
            self._orphans -= 1
        if self.parser.pending == 0 and (self.parser.has_unsolicited or self.parser.eof):
            await self._unsolicited(what)

    async def _unsolicited(self, what: str) -> None:
        if not self.parser.has_unsolicited:
            self.abort()
            raise ConnectionLost(f"connection closed by server before {what}")
        self.parser.expect(Expect.SINGLE)
        status = await self.status(f"an unsolicited message (before {what})")
        self.abort()
        text = self.redact(status.text)
        if status.ok:
            raise ProtocolError(f"server sent an unsolicited +OK before {what}")
        raise ConnectionLost(f"server ended the session: {text}", server_text=text)

    def settle(self) -> None:
        """After a command (success or failure): abandon unread responses or drop the stream.

        Unread whole responses are skipped before the next command; a response cut off in
        the middle, or an open SASL exchange, means we are out of step: abort, no QUIT.
        """
        if self.closed:
            return
        if self.parser.eof or self.parser.mid_response or self.parser.expecting_sasl:
            self.abort()
        else:
            self._orphans = self.parser.pending

    def abort(self) -> None:
        """Close immediately without QUIT, so the server commits nothing."""
        if not self.closed:
            self.closed = True
            self._transport.abort()

    def close(self) -> None:
        """Close after a completed QUIT (lets TLS say goodbye)."""
        if not self.closed:
            self.closed = True
            self._transport.close()


class _Deadline:
    """Sets a connection's answer deadline for a block and restores the one before."""

    __slots__ = ("_conn", "_saved", "_seconds")

    def __init__(self, conn: Connection, seconds: float) -> None:
        self._conn = conn
        self._seconds = seconds
        self._saved: tuple[float | None, float] = (None, 0.0)

    def __enter__(self) -> None:
        conn = self._conn
        self._saved = conn._deadline, conn._deadline_seconds
        conn._deadline = time.monotonic() + self._seconds
        conn._deadline_seconds = self._seconds

    def __exit__(self, *exc_info: object) -> None:
        self._conn._deadline, self._conn._deadline_seconds = self._saved
