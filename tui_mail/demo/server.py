"""A small in-memory POP3 server on 127.0.0.1: what ``tui-mail --demo`` talks to.

It is the RFC 1939 state machine and nothing more: USER/PASS, CAPA, STAT, LIST, UIDL, TOP, RETR,
DELE, NOOP, RSET and QUIT, pipelined commands answered in order, and deletions committed only by
QUIT (the UPDATE state). The fault-injecting test server (``tests/pop3server``) builds on
:class:`POP3Session`, so the package and the tests share one implementation of the protocol.
"""

from __future__ import annotations

import asyncio
import hmac
import ssl
import threading
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from tui_mail.demo.listener import LoopbackListener
from tui_mail.vocabulary import MAX_COMMAND_OCTETS

MAX_LINE = 64 * 1024
"""Longest line read at all: SASL continuation lines carry OAuth tokens, far over 255 octets."""
AUTH_FAILED = "-ERR [AUTH] Authentication failed."
TRANSACTION_VERBS = frozenset({"STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL"})

#: What a command handler produces: a response to send, or a coroutine that talks itself.
Response = str | bytes | Coroutine[Any, Any, None]
Handler = Callable[[list[str]], Response]

# Dovecot-style UIDs (UIDVALIDITY + UID, 16 hex digits) look real and stay stable across runs.
_UIDVALIDITY = 0x66000000


@dataclass(frozen=True)
class StoredMessage:
    """One message of the maildrop; ``data`` already has CRLF line endings (unstuffed)."""

    uid: str
    data: bytes

    @property
    def size(self) -> int:
        """Octets as POP3 counts them: CRLF line endings, before byte-stuffing."""
        return len(self.data)


class Maildrop(Protocol):
    """What a session needs from the mailbox behind it."""

    def snapshot(self) -> list[StoredMessage]:
        """The messages a new session sees, frozen for its length."""
        ...

    def commit_deletions(self, uids: Iterable[str]) -> None:
        """Remove messages for good (QUIT in the UPDATE state)."""
        ...


def to_crlf(data: bytes) -> bytes:
    """Normalise line endings to CRLF (lone CRs stay), ending with CRLF unless empty.

    POP3 transmits CRLF lines and reports sizes in those octets, whatever the file on disk uses.
    """
    text = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if text and not text.endswith(b"\r\n"):
        text += b"\r\n"
    return text


def byte_stuff(data: bytes) -> bytes:
    """RFC 1939 byte-stuffing of a CRLF text: every line starting with '.' gets one more."""
    stuffed = data.replace(b"\r\n.", b"\r\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


def top_of(data: bytes, lines: int) -> bytes:
    """What TOP sends: the header, the blank line, and the first ``lines`` body lines."""
    if data.startswith(b"\r\n"):
        head_end = 2
    else:
        found = data.find(b"\r\n\r\n")
        if found < 0:
            return data  # no body at all
        head_end = found + 4
    body_lines = data[head_end:].split(b"\r\n")[:-1]
    return data[:head_end] + b"".join(line + b"\r\n" for line in body_lines[:lines])


def multiline(first: str, body: bytes) -> bytes:
    """A multi-line response: the status line, the stuffed body and the terminating dot."""
    return first.encode("utf-8") + b"\r\n" + byte_stuff(body) + b".\r\n"


def make_uid(number: int) -> str:
    """The UID of the ``number``-th message ever added to a mailbox."""
    return f"{_UIDVALIDITY:08X}{number:08X}"


class MemoryMailbox:
    """Messages in memory, shared by every session of one server; thread-safe."""

    def __init__(self, messages: Iterable[bytes] = ()) -> None:
        self._guard = threading.Lock()
        self._messages: list[StoredMessage] = []
        self._next_uid = 1
        self._deleted: list[str] = []
        for data in messages:
            self.add(data)

    def add(self, data: bytes, uid: str | None = None) -> str:
        """Append a message (visible from the next login on); returns its UID."""
        with self._guard:
            if uid is None:
                uid = make_uid(self._next_uid)
            self._next_uid += 1
            self._messages.append(StoredMessage(uid, to_crlf(data)))
            return uid

    @property
    def deleted_uids(self) -> list[str]:
        """UIDs removed by committed QUITs, oldest first (a copy)."""
        with self._guard:
            return list(self._deleted)

    def snapshot(self) -> list[StoredMessage]:
        """The maildrop as a new session sees it."""
        with self._guard:
            return list(self._messages)

    def commit_deletions(self, uids: Iterable[str]) -> None:
        """Remove messages for good: what a session's QUIT does in the UPDATE state."""
        doomed = list(uids)
        doomed_set = set(doomed)
        with self._guard:
            self._messages = [m for m in self._messages if m.uid not in doomed_set]
            self._deleted.extend(doomed)


class State(Enum):
    """RFC 1939 session states (UPDATE is the moment QUIT commits)."""

    AUTHORIZATION = "authorization"
    TRANSACTION = "transaction"


class Stop(Exception):
    """Ends the session: EOF, QUIT, or (in the test server) a fault."""


@dataclass(frozen=True)
class Entry:
    """A message as one session shows it (the test server may stretch UIDs or add lines)."""

    stored: StoredMessage
    uid: str
    data: bytes


class POP3Session:
    """Serves one client connection until QUIT, EOF or server shutdown.

    Subclasses extend the protocol by overriding :meth:`handlers`, :meth:`capabilities`,
    :meth:`received` (every parsed command) and :meth:`dispatch` (every known command).
    """

    def __init__(
        self,
        mailbox: Maildrop,
        user: str,
        password: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self._mailbox = mailbox
        self._account = (user, password)
        self._reader = reader
        self._writer = writer
        self._buffer = bytearray()
        self._ahead = False  # the next command was already here when we answered: pipelining
        self._state = State.AUTHORIZATION
        self._pending_user: str | None = None
        self._argument = ""  # the current command's argument text, spaces kept
        self._entries: list[Entry] = []
        self._marked: set[int] = set()

    # I/O

    async def _send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8") + b"\r\n"
        self._writer.write(data)
        await self._writer.drain()
        self._ahead = bool(self._buffer)

    async def _read_line(self) -> bytes:
        """One line without its CRLF; raises Stop on EOF or a line beyond any sane length."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end]).removesuffix(b"\r")
                del self._buffer[: end + 1]
                return line
            if len(self._buffer) > MAX_LINE:
                await self._send("-ERR Line too long, closing.")
                raise Stop
            chunk = await self._reader.read(65536)
            if not chunk:
                raise Stop
            self._buffer += chunk

    async def _close(self) -> None:
        try:
            self._writer.close()
            await asyncio.wait_for(self._writer.wait_closed(), 2)
        except (OSError, ssl.SSLError, TimeoutError):
            pass

    # Main loop

    async def run(self) -> None:
        """Greet, then answer commands until QUIT or EOF; always closes the socket."""
        try:
            await self._send(self._greeting())
            await self._serve()
        except (Stop, ConnectionError, ssl.SSLError):
            pass
        finally:
            await self._close()

    async def _serve(self) -> None:
        while True:
            await self._command(await self._read_line())

    def _greeting(self) -> str:
        return "+OK tui-mail POP3 server ready."

    async def _command(self, line: bytes) -> None:
        if len(line) + 2 > MAX_COMMAND_OCTETS:  # RFC 2449 counts the CRLF
            self.received("(too long)", [])
            await self._send("-ERR Command line too long.")
            return
        text = line.decode("utf-8", "replace")
        verb, _, argument = text.partition(" ")
        verb = verb.upper()
        args = argument.split()
        self._argument = argument
        self.received(verb, args)
        handler = self.handlers().get(verb)
        if handler is None:
            wrong_state = verb in TRANSACTION_VERBS
            await self._send("-ERR Not logged in." if wrong_state else "-ERR Unknown command.")
            return
        await self.dispatch(verb, handler, args)

    def received(self, verb: str, args: list[str]) -> None:
        """Called with every command line read (a hook for recording; nothing here)."""

    async def dispatch(self, verb: str, handler: Handler, args: list[str]) -> None:
        """Run a known command's handler and send what it answers."""
        response = handler(args)
        if isinstance(response, str | bytes):
            await self._send(response)
        else:
            await response

    def handlers(self) -> dict[str, Handler]:
        """The commands valid in the current state."""
        if self._state is State.AUTHORIZATION:
            return {"CAPA": self._capa, "USER": self._user, "PASS": self._pass, "QUIT": self._quit}
        return {
            "CAPA": self._capa,
            "STAT": self._stat,
            "LIST": self._list,
            "RETR": self._retr,
            "DELE": self._dele,
            "NOOP": self._noop,
            "RSET": self._rset,
            "TOP": self._top,
            "UIDL": self._uidl,
            "QUIT": self._quit,
        }

    def capabilities(self) -> list[str]:
        """The CAPA lines for the current state (RFC 2449)."""
        lines = ["TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"]
        if self._state is State.AUTHORIZATION:
            lines.append("USER")
        lines.append("IMPLEMENTATION tui-mail-demo")
        return lines

    # AUTHORIZATION state

    def _capa(self, _args: list[str]) -> str | bytes:
        body = "".join(line + "\r\n" for line in self.capabilities()).encode("utf-8")
        return multiline("+OK Capability list follows", body)

    def _user(self, args: list[str]) -> str:
        if len(args) != 1:
            return "-ERR USER needs exactly one argument."
        self._pending_user = args[0]
        return "+OK"

    def _password_ok(self, user: str, password: str) -> bool:
        want_user, want_password = self._account
        same_user = hmac.compare_digest(user.encode(), want_user.encode())
        return same_user & hmac.compare_digest(password.encode(), want_password.encode())

    def _pass(self, _args: list[str]) -> Response:
        user, self._pending_user = self._pending_user, None
        if user is None:
            return "-ERR No username given."
        password = self._argument  # RFC 1939 lets a password contain spaces
        if not self._password_ok(user, password):
            return AUTH_FAILED
        return self._logged_in(user, "user")

    async def _logged_in(self, user: str, mechanism: str) -> None:
        """Freeze the maildrop for this session and enter TRANSACTION."""
        self._entries = [self._present(m) for m in self._mailbox.snapshot()]
        self._state = State.TRANSACTION
        await self._send(f"+OK Logged in, {len(self._entries)} messages.")

    def _present(self, stored: StoredMessage) -> Entry:
        return Entry(stored, stored.uid, stored.data)

    def _commit(self) -> list[str]:
        """QUIT in TRANSACTION: the UPDATE state removes the marked messages; their UIDs."""
        doomed = [self._entries[index].stored.uid for index in sorted(self._marked)]
        self._mailbox.commit_deletions(doomed)
        return doomed

    async def _quit(self, _args: list[str]) -> None:
        if self._state is State.TRANSACTION:
            self._commit()
        await self._send("+OK Logging out.")
        raise Stop

    # TRANSACTION state

    def _message(self, args: list[str]) -> int | str:
        """The 0-based index of the one message number in ``args``, or the -ERR line to send."""
        if len(args) != 1 or not args[0].isdigit():
            return "-ERR Invalid arguments."
        number = int(args[0])
        if not 1 <= number <= len(self._entries):
            return "-ERR There's no message " + args[0] + "."
        if number - 1 in self._marked:
            return "-ERR Message is deleted."
        return number - 1

    def _live(self) -> list[tuple[int, Entry]]:
        return [(i + 1, e) for i, e in enumerate(self._entries) if i not in self._marked]

    def _stat(self, _args: list[str]) -> str:
        live = self._live()
        return f"+OK {len(live)} {sum(len(e.data) for _, e in live)}"

    def _list(self, args: list[str]) -> str | bytes:
        if args:
            index = self._message(args)
            if isinstance(index, str):
                return index
            return f"+OK {index + 1} {len(self._entries[index].data)}"
        body = "".join(f"{n} {len(e.data)}\r\n" for n, e in self._live())
        return multiline(f"+OK {len(self._live())} messages:", body.encode("ascii"))

    def _uidl(self, args: list[str]) -> str | bytes:
        if args:
            index = self._message(args)
            if isinstance(index, str):
                return index
            return f"+OK {index + 1} {self._entries[index].uid}"
        body = "".join(f"{n} {e.uid}\r\n" for n, e in self._live())
        return multiline("+OK", body.encode("ascii"))

    def _retr(self, args: list[str]) -> str | bytes:
        index = self._message(args)
        if isinstance(index, str):
            return index
        data = self._entries[index].data
        return multiline(f"+OK {len(data)} octets", data)

    def _top(self, args: list[str]) -> str | bytes:
        if len(args) != 2 or not args[1].isdigit():
            return "-ERR Invalid arguments."
        index = self._message(args[:1])
        if isinstance(index, str):
            return index
        return multiline("+OK", top_of(self._entries[index].data, int(args[1])))

    def _dele(self, args: list[str]) -> str:
        index = self._message(args)
        if isinstance(index, str):
            return index
        self._marked.add(index)
        return "+OK Marked to be deleted."

    def _noop(self, _args: list[str]) -> str:
        return "+OK"

    def _rset(self, _args: list[str]) -> str:
        self._marked.clear()
        return f"+OK {len(self._entries)} messages."


class DemoServer(LoopbackListener):
    """One listening loopback port serving one account from a :class:`MemoryMailbox`."""

    thread_name = "pop3-demo"

    def __init__(
        self,
        messages: Iterable[bytes] = (),
        *,
        user: str = "demo",
        password: str = "demo",  # noqa: S107 - the demo account, never a real secret
        port: int = 0,
    ) -> None:
        super().__init__(port)
        self.mailbox = MemoryMailbox(messages)
        self.user = user
        self.password = password

    async def serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """One RFC 1939 session over the shared mailbox."""
        await POP3Session(self.mailbox, self.user, self.password, reader, writer).run()
