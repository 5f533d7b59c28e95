"""The POP3 wire format without any I/O: command encoding and an incremental response parser.

Like h11, the parser is fed bytes and hands out events, so the same code runs under asyncio,
in tests and under a fuzzer. The caller says, for each command sent, what shape of answer to
expect (single line, multi-line, or SASL exchange); responses are matched strictly in order,
which is what makes pipelining safe.

Only :class:`~tui_mail.pop3.errors.ProtocolError` is ever raised for bad input, and every call
either consumes input, returns an event or returns :data:`NEED_DATA`: the parser cannot hang.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Final

from tui_mail.pop3.errors import InvalidArgument, ProtocolError
from tui_mail.vocabulary import MAX_COMMAND_OCTETS as MAX_COMMAND_OCTETS

#: Real mail has 10 KB+ lines; a line is rejected only past this many bytes without a line end.
DEFAULT_MAX_LINE: Final = 1024 * 1024
#: Characters that would let an argument smuggle a second command (or truncate one).
_FORBIDDEN_IN_ARGUMENTS: Final = frozenset("\r\n\0")
_CODE_RE: Final = re.compile(r"\[([^\]\s]+)\]\s*")
_CRLF: Final = b"\r\n"
_TERMINATOR: Final = b"\r\n.\r\n"


class Expect(Enum):
    """The shape of the next response, as implied by the command that was sent."""

    SINGLE = "single"  # +OK / -ERR line
    MULTI = "multi"  # +OK line then dot-terminated data, or a -ERR line
    SASL = "sasl"  # "+ challenge" lines until a final +OK / -ERR


@dataclass(frozen=True, slots=True)
class Command:
    """One encoded command line and its loggable form (secrets already replaced by ``***``)."""

    name: str
    wire: bytes
    log: str


@dataclass(frozen=True, slots=True)
class Status:
    """A +OK or -ERR line. ``code`` is the RFC 2449 response code in brackets, if present."""

    ok: bool
    text: str
    code: str | None
    raw: bytes  # the line without CRLF, for exact parsing of UIDL/LIST arguments


@dataclass(frozen=True, slots=True)
class Challenge:
    """A SASL continuation (``+ base64``); ``data`` is the still-encoded text."""

    data: str


@dataclass(frozen=True, slots=True)
class DataChunk:
    """Unstuffed bytes of a multi-line response: whole CRLF-ended lines, except that a line
    longer than the parser's ``max_line`` arrives in pieces (data lines have no POP3 limit).
    """

    data: bytes


@dataclass(frozen=True, slots=True)
class DataEnd:
    """The terminating ``.`` line of a multi-line response was seen."""


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The server closed the stream. ``mid_response`` if an expected answer was cut short.

    ``server_text`` holds a trailing ``-ERR`` line that arrived just before the end inside
    multi-line data (a server shutting down mid-transfer), else "".
    """

    mid_response: bool
    server_text: str = ""


class NeedData:
    """Type of the :data:`NEED_DATA` sentinel."""

    def __repr__(self) -> str:
        return "NEED_DATA"


#: Returned by :meth:`ResponseParser.next_event` when more bytes are needed.
NEED_DATA: Final = NeedData()

Event = Status | Challenge | DataChunk | DataEnd | ConnectionClosed


def decode_text(raw: bytes) -> str:
    """Server text for humans: UTF-8 where valid, U+FFFD elsewhere (sanitising is the UI's job)."""
    return raw.decode("utf-8", errors="replace")


def encode_command(name: str, *args: str, secret_from: int | None = None) -> Command:
    """Encode ``NAME arg...`` + CRLF, refusing CR, LF, NUL and lines over 255 octets.

    Arguments from index ``secret_from`` on are logged as ``***``. Error messages never echo
    an argument (it may be a password).
    """
    if not name or not name.isascii() or not name.replace("-", "").isalnum():
        raise InvalidArgument("invalid POP3 command name")
    for arg in args:
        if "\r" in arg or "\n" in arg or "\0" in arg:  # (_FORBIDDEN_IN_ARGUMENTS, at C speed)
            raise InvalidArgument(f"argument for {name} contains CR, LF or NUL")
    try:
        wire = " ".join((name, *args)).encode("utf-8") + _CRLF
    except UnicodeEncodeError:
        raise InvalidArgument(f"argument for {name} cannot be encoded as UTF-8") from None
    if len(wire) > MAX_COMMAND_OCTETS:
        raise InvalidArgument(f"{name} command would exceed {MAX_COMMAND_OCTETS} octets")
    shown = list(args) if secret_from is None else [*args[:secret_from], "***"]
    return Command(name=name, wire=wire, log=" ".join((name, *shown)))


def encode_sasl_line(payload: str) -> Command:
    """A SASL continuation response (base64 or ``*``); always logged as ``***``.

    RFC 5034 bounds only the AUTH command line, so no length limit applies here.
    """
    if any(ch in _FORBIDDEN_IN_ARGUMENTS for ch in payload) or not payload.isascii():
        raise InvalidArgument("SASL response contains CR, LF, NUL or non-ASCII")
    return Command(name="AUTH", wire=payload.encode("ascii") + _CRLF, log="***")


def parse_status(line: bytes) -> Status:
    """Parse a status line (without CRLF); raise ProtocolError if it is neither +OK nor -ERR."""
    head = line[:4].upper()
    if head[:3] == b"+OK":
        ok, rest = True, line[3:]
    elif head == b"-ERR":
        ok, rest = False, line[4:]
    else:
        raise ProtocolError(f"expected +OK or -ERR, got {_preview(line)}")
    text = decode_text(rest).strip(" \t")
    code = None
    match = _CODE_RE.match(text) if text[:1] == "[" else None  # (most lines have no code)
    if match:
        code = match.group(1).upper()
        text = text[match.end() :]
    return Status(ok=ok, text=text, code=code, raw=line)


def _preview(line: bytes, limit: int = 60) -> str:
    shown = line[:limit].decode("ascii", errors="replace")
    shown = "".join(ch if ch.isprintable() else "?" for ch in shown)
    return repr(shown + ("..." if len(line) > limit else ""))


class ResponseParser:
    """Incremental POP3 response parser with a FIFO of expected response shapes.

    Memory is bounded by ``max_line`` plus one network read: multi-line data is handed out as
    :class:`DataChunk` events as soon as whole lines are available, never accumulated.
    """

    def __init__(self, max_line: int = DEFAULT_MAX_LINE) -> None:
        if max_line < DEFAULT_MAX_LINE:
            raise ValueError("max_line must be at least 1 MiB (real mail has very long lines)")
        self._max_line = max_line
        self._buf = bytearray()
        self._scanned = 0  # bytes of _buf already searched for CRLF without success
        self._expected: deque[Expect] = deque()
        self._in_data = False  # inside the data part of the head MULTI response
        self._mid_line = False  # the last DataChunk ended inside an over-long line
        self._last_data_line = b""
        self._eof = False

    # -- feeding ------------------------------------------------------------------------------

    def expect(self, kind: Expect) -> None:
        """Register the shape of the response to a command just sent (in sending order)."""
        self._expected.append(kind)

    def feed(self, data: bytes) -> None:
        """Append bytes received from the server."""
        if self._eof:
            raise ProtocolError("data received after end of stream")
        self._buf += data

    def feed_eof(self) -> None:
        """Record that the server closed its side."""
        self._eof = True

    def discard_buffered(self) -> int:
        """Drop every unparsed byte (after STLS: nothing sent in clear may count). Returns count."""
        dropped = len(self._buf)
        self._buf.clear()
        self._scanned = 0
        return dropped

    # -- state ---------------------------------------------------------------------------------

    @property
    def buffered(self) -> int:
        """Bytes received but not yet parsed."""
        return len(self._buf)

    @property
    def pending(self) -> int:
        """Responses still expected (the head one may be partly parsed)."""
        return len(self._expected)

    @property
    def eof(self) -> bool:
        """Whether the server has closed the stream."""
        return self._eof

    @property
    def mid_response(self) -> bool:
        """Whether the head response has been partly handed out (its data is still coming)."""
        return self._in_data

    @property
    def expecting_sasl(self) -> bool:
        """Whether an AUTH exchange is among the outstanding responses."""
        return Expect.SASL in self._expected

    @property
    def has_unsolicited(self) -> bool:
        """Bytes arrived although no response is expected (e.g. ``-ERR`` before a disconnect)."""
        return bool(self._buf) and not self._expected

    # -- parsing -------------------------------------------------------------------------------

    def next_event(self) -> Event | NeedData:
        """Return the next event, or NEED_DATA. Raises only ProtocolError."""
        if not self._expected:
            return ConnectionClosed(mid_response=False) if self._eof else NEED_DATA
        if self._in_data:
            return self._next_data()
        line = self._take_line()
        if line is None:
            return self._closed() if self._eof else NEED_DATA
        kind = self._expected[0]
        if kind is Expect.SASL and line[:1] == b"+" and line[1:2] in (b" ", b""):
            return Challenge(data=line[2:].decode("ascii", errors="replace").strip())
        status = parse_status(line)
        if kind is Expect.MULTI and status.ok:
            self._in_data = True
            self._mid_line = False
            self._last_data_line = b""
        else:
            self._expected.popleft()
        return status

    def next_whole_answer(self) -> tuple[Status, bytes] | None:
        """The head answer in one step, if it is a multi-line ``+OK`` answer buffered whole.

        Returns its status and its data unstuffed: exactly what :meth:`next_event` would hand
        out as a Status, DataChunks and DataEnd, in a pipelined cold sync's 20,000 answers
        without three events each. Anything else (an answer not all here yet, a ``-ERR``,
        garbage, another shape) gives None and consumes nothing: :meth:`next_event` then.
        """
        if self._in_data or not self._expected or self._expected[0] is not Expect.MULTI:
            return None
        buf = self._buf
        end = buf.find(_CRLF)
        if end < 0 or buf[:3].upper() != b"+OK":
            return None
        # "\r\n.\r\n" from the status line's CRLF on: right there when the data is empty.
        terminator = buf.find(_TERMINATOR, end)
        if terminator < 0:
            return None
        with memoryview(buf) as view:  # one copy each, not a bytearray slice and then bytes
            status = parse_status(bytes(view[:end]))
            data = bytes(view[end + 2 : terminator + 2])
        del buf[: terminator + 5]
        self._scanned = 0
        self._expected.popleft()
        if data[:1] == b".":  # byte-stuffing, as in _next_data
            data = data[1:]
        return status, data.replace(b"\r\n.", b"\r\n")

    def _closed(self) -> ConnectionClosed:
        """EOF inside a response; keep a last ``-ERR`` line (complete or not) as the reason."""
        last = self._last_data_line if self._in_data else bytes(self._buf)
        text = parse_status(last).text if last[:4].upper() == b"-ERR" else ""
        return ConnectionClosed(mid_response=True, server_text=text)

    def _take_line(self) -> bytes | None:
        end = self._buf.find(_CRLF, max(self._scanned - 1, 0))
        if end < 0:
            self._scanned = len(self._buf)
            if len(self._buf) > self._max_line:
                raise ProtocolError(f"response line longer than {self._max_line} bytes")
            return None
        line = bytes(self._buf[:end])
        del self._buf[: end + 2]
        self._scanned = 0
        return line

    def _next_data(self) -> Event | NeedData:
        """Hand out all complete data lines at once, unstuffed, or DataEnd at the dot line.

        A line longer than ``max_line`` is handed out in pieces as it arrives, so memory stays
        bounded and a 2 MB header line is data, not a framing error; how much of a response
        to accept is the caller's decision (bounded by what the server announced).
        """
        buf = self._buf
        at_line_start = not self._mid_line
        if at_line_start and buf[:3] == b".\r\n":
            del buf[:3]
            return self._end_data()
        last = buf.rfind(_CRLF)
        if last < 0:
            if len(buf) > self._max_line:
                return self._piece_of_long_line()
            return self._closed() if self._eof else NEED_DATA
        region_end = last + 2
        # The terminator may also sit right at the start, ending a line handed out in pieces.
        terminator = buf.find(_TERMINATOR, 0, region_end)
        if terminator >= 0:
            region_end = terminator + 2  # keep the CRLF ending the last data line
        chunk = bytes(buf[:region_end])
        del buf[:region_end]
        self._scanned = 0
        self._mid_line = False
        previous = chunk.rfind(_CRLF, 0, len(chunk) - 2)
        self._last_data_line = chunk[previous + 2 : -2] if previous >= 0 else chunk[:-2]
        # Byte-stuffing: every line starting with "." had one "." prepended by the server.
        if at_line_start and chunk[:1] == b".":
            chunk = chunk[1:]
        return DataChunk(data=chunk.replace(b"\r\n.", b"\r\n"))

    def _piece_of_long_line(self) -> DataChunk:
        """All buffered bytes of an over-long line but a final CR (it may start the CRLF)."""
        buf = self._buf
        end = len(buf) - 1 if buf.endswith(b"\r") else len(buf)
        piece = bytes(buf[:end])
        del buf[:end]
        self._scanned = 0
        if not self._mid_line and piece[:1] == b".":
            piece = piece[1:]
        self._mid_line = True
        self._last_data_line = b""
        return DataChunk(data=piece)

    def _end_data(self) -> DataEnd:
        self._in_data = False
        self._expected.popleft()
        return DataEnd()
