"""One POP3 connection of the test server: the RFC 1939 state machine plus injected faults.

The session keeps its own input buffer so it can tell when a client pipelined (the next command
was already here before we answered the previous one) and so STLS can discard every byte sent
before the handshake, as RFC 2595 requires.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import ssl
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from tests.pop3server.auth import (
    CLEARTEXT_MECHANISMS,
    MECHANISMS,
    Credentials,
    SaslExchange,
    apop_ok,
    make_timestamp,
)
from tests.pop3server.faults import CONNECT, DropFault, Faults
from tests.pop3server.mailbox import Mailbox, StoredMessage, byte_stuff, top_of

MAX_COMMAND = 255
"""RFC 2449: command lines are at most 255 octets; longer ones are refused, not truncated."""
MAX_LINE = 64 * 1024
"""Longest line read at all: SASL continuation lines carry OAuth tokens, far over 255 octets."""
_PLAINTEXT_REFUSED = (
    "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
)
_AUTH_FAILED = "-ERR [AUTH] Authentication failed."

#: What a command handler produces: a response to send, or a coroutine that talks itself.
Response = str | bytes | Coroutine[Any, Any, None]


@dataclass(frozen=True)
class ServerSettings:
    """What every session of one server shares (faults are taken per connection)."""

    credentials: Credentials
    mailbox: Mailbox
    sasl: tuple[str, ...]
    apop: bool
    extra_capabilities: tuple[str, ...]
    require_tls_for_login: bool
    lock_wait: float
    starttls_context: ssl.SSLContext | None


@dataclass
class SessionRecord:
    """What a test can check after a session: commands seen, how it logged in, what it deleted.

    Secrets (PASS, APOP digests, SASL data) are recorded as ``***``.
    """

    number: int
    encrypted: bool
    commands: list[str] = field(default_factory=list)
    user: str | None = None
    mechanism: str | None = None
    sasl_initial_response: bool = False
    secrets_in_clear: bool = False
    pipelined: int = 0
    deleted: list[str] = field(default_factory=list)
    committed: bool = False
    closed: bool = False

    @property
    def verbs(self) -> list[str]:
        """Just the command names, in order."""
        return [command.split(" ", 1)[0] for command in self.commands]


class _State(Enum):
    AUTHORIZATION = "authorization"
    TRANSACTION = "transaction"


class _Stop(Exception):
    """Ends the session: EOF, a fault, or QUIT."""


@dataclass(frozen=True)
class _Entry:
    """A message as this session shows it (faults may stretch UIDs or add a long line)."""

    stored: StoredMessage
    uid: str
    data: bytes


def _multiline(first: str, body: bytes) -> bytes:
    return first.encode("utf-8") + b"\r\n" + byte_stuff(body) + b".\r\n"


class Session:
    """Serves one client connection until QUIT, EOF, a fault, or server shutdown."""

    def __init__(
        self,
        settings: ServerSettings,
        faults: Faults,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        record: SessionRecord,
    ) -> None:
        self._settings = settings
        self._faults = faults
        self._reader = reader
        self._writer = writer
        self.record = record
        self._buffer = bytearray()
        self._ahead = False
        self._state = _State.AUTHORIZATION
        self._encrypted = record.encrypted
        self._timestamp = None if (faults.no_apop or not settings.apop) else make_timestamp()
        self._pending_user: str | None = None
        self._argument = ""  # the current command's argument text, spaces kept
        self._entries: list[_Entry] = []
        self._marked: set[int] = set()
        self._seen: Counter[str] = Counter()

    # I/O

    async def _send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8") + b"\r\n"
        self._writer.write(data)
        await self._writer.drain()
        self._ahead = bool(self._buffer)

    async def _read_line(self) -> bytes:
        """One line without its CRLF; raises _Stop on EOF or a line beyond any sane length."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end]).removesuffix(b"\r")
                del self._buffer[: end + 1]
                return line
            if len(self._buffer) > MAX_LINE:
                await self._send("-ERR Line too long, closing.")
                raise _Stop
            chunk = await self._reader.read(65536)
            if not chunk:
                raise _Stop
            self._buffer += chunk

    async def _close(self) -> None:
        self.record.closed = True
        try:
            self._writer.close()
            await asyncio.wait_for(self._writer.wait_closed(), 2)
        except (OSError, ssl.SSLError, TimeoutError):
            pass

    # Main loop

    async def run(self) -> None:
        """Greet, then answer commands; always releases the lock and closes the socket."""
        try:
            if await self._fault_point(CONNECT, self._greeting):
                raise _Stop  # a server refusing at the greeting hangs up
            await self._send(self._greeting())
            while True:
                line = await self._read_line()
                if self._ahead:
                    self.record.pipelined += 1
                await self._command(line)
        except (_Stop, ConnectionError, ssl.SSLError):
            pass
        finally:
            self._settings.mailbox.unlock(self)
            await self._close()

    def _greeting(self) -> str:
        stamp = f" {self._timestamp}" if self._timestamp else ""
        return f"+OK tui-mail test POP3 server ready.{stamp}"

    async def _fault_point(self, verb: str, render: Callable[[], Response]) -> bool:
        """Apply the faults matching this command; True if one replaced the response.

        ``render`` builds the real response; it is only called for a drop after partial output
        (its side effects cannot matter: a dropped session commits nothing).
        """
        self._seen[verb] += 1
        where = (verb, self._seen[verb], self.record.number)
        faults = self._faults
        if any(stall.matches(*where) for stall in faults.stalls):
            while True:  # read on, never answer; EOF ends the session
                await self._read_line()
        for drop in faults.drops:
            if drop.matches(*where):
                await self._drop(drop, render)
        for error in faults.errors:
            if error.matches(*where):
                await self._send(error.response())
                return True
        return False

    async def _drop(self, drop: DropFault, render: Callable[[], Response]) -> None:
        if drop.server_text is not None:
            await self._send(f"-ERR {drop.server_text}")
        if drop.partial_bytes:
            response = render()
            if isinstance(response, str):
                wire = response.encode("utf-8") + b"\r\n"
            elif isinstance(response, bytes):
                wire = response
            else:
                response.close()
                wire = b"+OK\r\n"
            await self._send(wire[: drop.partial_bytes])
        raise _Stop

    async def _command(self, line: bytes) -> None:
        if len(line) > MAX_COMMAND:
            self.record.commands.append("(too long)")
            await self._send("-ERR Command line too long.")
            return
        text = line.decode("utf-8", "replace")
        verb, _, argument = text.partition(" ")
        verb = verb.upper()
        args = argument.split()
        self._argument = argument
        self.record.commands.append(self._redacted(verb, args))
        handlers: dict[str, Callable[[list[str]], Response]]
        if self._state is _State.AUTHORIZATION:
            handlers = {
                "CAPA": self._capa,
                "USER": self._user,
                "PASS": self._pass,
                "APOP": self._apop,
                "AUTH": self._auth,
                "STLS": self._stls,
                "QUIT": self._quit,
            }
        else:
            handlers = {
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
        handler = handlers.get(verb)
        if handler is None:
            wrong_state = verb in {"STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL"}
            await self._send("-ERR Not logged in." if wrong_state else "-ERR Unknown command.")
            return
        # Faults come first so that a refused command has no side effect (DELE marks nothing).
        if await self._fault_point(verb, lambda: handler(args)):
            return
        response = handler(args)
        if isinstance(response, str | bytes):
            await self._send(response)
        else:
            await response

    def _redacted(self, verb: str, args: list[str]) -> str:
        secret = verb in {"PASS", "APOP"} or (verb == "AUTH" and len(args) > 1)
        if secret and not self._encrypted:
            self.record.secrets_in_clear = True
        if verb == "PASS":
            return "PASS ***"
        if verb == "APOP":
            return f"APOP {args[0]} ***" if args else "APOP"
        if verb == "AUTH" and len(args) > 1:
            return f"AUTH {args[0]} ***"
        return " ".join([verb, *args])

    # AUTHORIZATION state

    def _plaintext_refused(self) -> bool:
        return self._settings.require_tls_for_login and not self._encrypted

    def _capa(self, _args: list[str]) -> str | bytes:
        if self._faults.no_capa:
            return "-ERR Unknown command."
        faults, settings = self._faults, self._settings
        logged_in = self._state is _State.TRANSACTION
        core = logged_in or not faults.late_capabilities
        lines: list[str] = []
        if core and not faults.no_top:
            lines.append("TOP")
        if core and not faults.no_uidl:
            lines.append("UIDL")
        lines.append("RESP-CODES")
        if core and not faults.no_pipelining:
            lines.append("PIPELINING")
        lines.append("AUTH-RESP-CODE")
        if not logged_in:
            if settings.starttls_context is not None and not self._encrypted:
                lines.append("STLS")
            clear_ok = not self._plaintext_refused()
            if clear_ok:
                lines.append("USER")
            mechanisms = [m for m in settings.sasl if clear_ok or m not in CLEARTEXT_MECHANISMS]
            if mechanisms:
                lines.append("SASL " + " ".join(mechanisms))
        lines += settings.extra_capabilities
        lines.append("IMPLEMENTATION tui-mail-testserver")
        return _multiline(
            "+OK Capability list follows", "".join(line + "\r\n" for line in lines).encode("utf-8")
        )

    def _user(self, args: list[str]) -> str:
        if self._plaintext_refused():
            return _PLAINTEXT_REFUSED
        if len(args) != 1:
            return "-ERR USER needs exactly one argument."
        self._pending_user = args[0]
        return "+OK"

    def _pass(self, _args: list[str]) -> Response:
        if self._plaintext_refused():
            return _PLAINTEXT_REFUSED
        user, self._pending_user = self._pending_user, None
        if user is None:
            return "-ERR No username given."
        password = self._argument  # RFC 1939 lets a password contain spaces
        if not self._settings.credentials.password_ok(user, password):
            return _AUTH_FAILED
        return self._logged_in(user, "user")

    def _apop(self, args: list[str]) -> Response:
        if self._timestamp is None:
            return "-ERR APOP not available: no timestamp in the greeting."
        if len(args) != 2:
            return "-ERR APOP needs a user name and a digest."
        if not apop_ok(self._settings.credentials, self._timestamp, args[0], args[1]):
            return _AUTH_FAILED
        return self._logged_in(args[0], "apop")

    async def _auth(self, args: list[str]) -> None:
        if not args:  # pre-RFC 5034 clients list mechanisms with a bare AUTH
            body = "".join(m + "\r\n" for m in self._settings.sasl).encode("ascii")
            await self._send(_multiline("+OK", body))
            return
        name = args[0].upper()
        factory = MECHANISMS.get(name) if name in self._settings.sasl else None
        if factory is None or len(args) > 2:
            await self._send("-ERR Unsupported authentication mechanism.")
            return
        if name in CLEARTEXT_MECHANISMS and self._plaintext_refused():
            await self._send(_PLAINTEXT_REFUSED)
            return
        initial: bytes | None = None
        if len(args) == 2:
            self.record.sasl_initial_response = True
            decoded = _b64(args[1])
            if decoded is None:
                await self._send("-ERR Invalid base64 data in initial response.")
                return
            initial = decoded
        user = await self._sasl_exchange(factory(self._settings.credentials, initial))
        if user is None:
            return
        await self._logged_in(user, name.lower())

    async def _sasl_exchange(self, exchange: SaslExchange) -> str | None:
        """Drive a mechanism; sends -ERR itself and returns None when the login failed."""
        response: bytes | None = None
        while True:
            try:
                challenge = next(exchange) if response is None else exchange.send(response)
            except StopIteration as done:
                user: str | None = done.value
                if user is None:
                    await self._send(_AUTH_FAILED)
                return user
            await self._send("+ " + base64.b64encode(challenge).decode("ascii"))
            line = await self._read_line()
            if not self._encrypted:
                self.record.secrets_in_clear = True
            if line == b"*":
                exchange.close()
                await self._send("-ERR Authentication cancelled.")
                return None
            decoded = _b64(line.decode("ascii", "replace"))
            if decoded is None:
                exchange.close()
                await self._send("-ERR Invalid base64 data in continued response.")
                return None
            response = decoded

    async def _logged_in(self, user: str, mechanism: str) -> None:
        """Take the maildrop lock (waiting a little, as Dovecot does), then enter TRANSACTION."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.lock_wait
        while not self._settings.mailbox.try_lock(self):
            if loop.time() >= deadline:
                await self._send("-ERR [IN-USE] Mailbox is locked by another POP3 session.")
                return
            await asyncio.sleep(0.02)
        self._entries = [self._present(m) for m in self._settings.mailbox.snapshot()]
        self._state = _State.TRANSACTION
        self.record.user, self.record.mechanism = user, mechanism
        await self._send(f"+OK Logged in, {len(self._entries)} messages.")

    def _present(self, stored: StoredMessage) -> _Entry:
        uid, data = stored.uid, stored.data
        if self._faults.long_uids:
            uid = f"{uid}-{hashlib.sha256(uid.encode()).hexdigest()}" + "x" * 40
        if self._faults.long_line > 0:
            prefix = b"X-Long-Line: "
            data = prefix + b"x" * max(self._faults.long_line - len(prefix), 1) + b"\r\n" + data
        return _Entry(stored, uid, data)

    async def _stls(self, _args: list[str]) -> None:
        context = self._settings.starttls_context
        if context is None or self._encrypted:
            await self._send("-ERR TLS is not available here.")
            return
        await self._send("+OK Begin TLS negotiation now.")
        self._buffer.clear()  # RFC 2595: nothing sent before the handshake may be used
        await self._writer.start_tls(context)
        self._encrypted = self.record.encrypted = True

    async def _quit(self, _args: list[str]) -> None:
        """QUIT: in TRANSACTION, commit the deletions (UPDATE state), then say goodbye."""
        if self._state is _State.TRANSACTION:
            doomed = [self._entries[index].stored.uid for index in sorted(self._marked)]
            self._settings.mailbox.commit_deletions(doomed)
            self.record.deleted, self.record.committed = doomed, True
        await self._send("+OK Logging out.")
        raise _Stop

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

    def _live(self) -> list[tuple[int, _Entry]]:
        return [(i + 1, e) for i, e in enumerate(self._entries) if i not in self._marked]

    def _stat(self, _args: list[str]) -> str:
        live = self._live()
        return f"+OK {len(live)} {sum(len(e.data) for _, e in live)}"

    def _list(self, args: list[str]) -> str | bytes:
        if args:
            index = self._message(args)
            return (
                index
                if isinstance(index, str)
                else (f"+OK {index + 1} {len(self._entries[index].data)}")
            )
        body = "".join(f"{n} {len(e.data)}\r\n" for n, e in self._live())
        return _multiline(f"+OK {len(self._live())} messages:", body.encode("ascii"))

    def _uidl(self, args: list[str]) -> str | bytes:
        if self._faults.no_uidl:
            return "-ERR Unknown command."
        gap, tail = ("   ", " ") if self._faults.odd_uidl_spacing else (" ", "")
        if args:
            index = self._message(args)
            return (
                index
                if isinstance(index, str)
                else (f"+OK {index + 1}{gap}{self._entries[index].uid}{tail}")
            )
        body = "".join(f"{n}{gap}{e.uid}{tail}\r\n" for n, e in self._live())
        return _multiline("+OK", body.encode("ascii"))

    def _retr(self, args: list[str]) -> str | bytes:
        index = self._message(args)
        if isinstance(index, str):
            return index
        data = self._entries[index].data
        return _multiline(f"+OK {len(data)} octets", data)

    def _top(self, args: list[str]) -> str | bytes:
        if self._faults.no_top:
            return "-ERR Unknown command."
        if len(args) != 2 or not args[1].isdigit():
            return "-ERR Invalid arguments."
        index = self._message(args[:1])
        if isinstance(index, str):
            return index
        return _multiline("+OK", top_of(self._entries[index].data, int(args[1])))

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


def _b64(text: str) -> bytes | None:
    """Decode a SASL base64 token; '=' alone is the empty response (RFC 5034)."""
    if text == "=":
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
