"""One POP3 connection of the test server: the RFC 1939 state machine plus injected faults.

The state machine itself is the demo server's :class:`~tui_mail.demo.server.POP3Session`; this
subclass adds APOP, SASL, STLS, the maildrop lock, session records and faults. The session keeps
its own input buffer so it can tell when a client pipelined (the next command was already here
before we answered the previous one) and so STLS can discard every byte sent before the
handshake, as RFC 2595 requires.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import ssl
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.pop3server.auth import (
    CLEARTEXT_MECHANISMS,
    MECHANISMS,
    Credentials,
    SaslExchange,
    apop_ok,
    make_timestamp,
)
from tests.pop3server.faults import CONNECT, MULTILINE_VERBS, DropFault, Faults, FloodFault
from tests.pop3server.mailbox import Mailbox, StoredMessage
from tui_mail.demo.server import (
    AUTH_FAILED,
    Entry,
    Handler,
    POP3Session,
    Response,
    State,
    Stop,
    multiline,
)

_PLAINTEXT_REFUSED = (
    "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
)


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
    ahead: list[str] = field(default_factory=list)  # verbs already waiting at the last answer
    deleted: list[str] = field(default_factory=list)
    committed: bool = False
    closed: bool = False

    @property
    def verbs(self) -> list[str]:
        """Just the command names, in order."""
        return [command.split(" ", 1)[0] for command in self.commands]


class Session(POP3Session):
    """Serves one client connection until QUIT, EOF, a fault, or server shutdown."""

    def __init__(
        self,
        settings: ServerSettings,
        faults: Faults,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        record: SessionRecord,
    ) -> None:
        credentials = settings.credentials
        super().__init__(settings.mailbox, credentials.user, credentials.password, reader, writer)
        self._settings = settings
        self._faults = faults
        self.record = record
        self._encrypted = record.encrypted
        self._timestamp = None if (faults.no_apop or not settings.apop) else make_timestamp()
        self._seen: Counter[str] = Counter()

    # I/O

    async def _close(self) -> None:
        self.record.closed = True
        await super()._close()

    # Main loop

    async def run(self) -> None:
        """Greet, then answer commands; always releases the lock and closes the socket."""
        try:
            if await self._fault_point(CONNECT, self._greeting):
                raise Stop  # a server refusing at the greeting hangs up
            await self._send(self._greeting())
            while True:
                line = await self._read_line()
                if self._ahead:
                    self.record.pipelined += 1
                    self.record.ahead.append(
                        line.split(b" ", 1)[0].decode("ascii", "replace").upper()
                    )
                await self._command(line)
        except (Stop, ConnectionError, ssl.SSLError):
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
        for flood in faults.floods:
            if flood.matches(*where):
                await self._flood(flood, verb)
                return True
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
        raise Stop

    async def _flood(self, flood: FloodFault, verb: str) -> None:
        """Send ``flood`` until the client hangs up (ConnectionError ends the session)."""
        multiline = verb in MULTILINE_VERBS and not (verb in {"LIST", "UIDL"} and self._argument)
        await self._send(b"+OK\r\n" if multiline else b"+OK ")
        piece = flood.line + b"\r\n" if multiline else flood.line
        burst = piece * max(1, 65536 // len(piece))
        step = burst if flood.rate is None else b"".join([piece] * 64)[: max(1, flood.rate // 10)]
        sent, last = 0, b"\n"
        while flood.total is None or sent < flood.total:
            last = step if flood.total is None else step[: flood.total - sent]
            await self._send(last)
            sent += len(last)
            if flood.rate is not None:
                await asyncio.sleep(len(last) / flood.rate)
        line_end = b"" if last.endswith(b"\n") else b"\r\n"
        await self._send(line_end + b".\r\n" if multiline else b"\r\n")

    def _list(self, args: list[str]) -> str | bytes:
        response = super()._list(args)
        lies = dict(self._faults.listed_sizes)
        if not lies or not isinstance(response, bytes) or args:
            return response
        head, _, body = response.partition(b"\r\n")
        lines = body.split(b"\r\n")
        for position, line in enumerate(lines):
            number = line.partition(b" ")[0]
            if number.isdigit() and int(number) in lies:
                lines[position] = number + b" " + lies[int(number)].encode("ascii")
        return head + b"\r\n" + b"\r\n".join(lines)

    def received(self, verb: str, args: list[str]) -> None:
        self.record.commands.append(self._redacted(verb, args))

    async def dispatch(self, verb: str, handler: Handler, args: list[str]) -> None:
        # Faults come first so that a refused command has no side effect (DELE marks nothing).
        if await self._fault_point(verb, lambda: handler(args)):
            return
        await super().dispatch(verb, handler, args)

    def handlers(self) -> dict[str, Handler]:
        handlers = super().handlers()
        if self._state is State.AUTHORIZATION:
            handlers |= {"APOP": self._apop, "AUTH": self._auth, "STLS": self._stls}
        return handlers

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
        logged_in = self._state is State.TRANSACTION
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
        return multiline(
            "+OK Capability list follows", "".join(line + "\r\n" for line in lines).encode("utf-8")
        )

    def _user(self, args: list[str]) -> str:
        if self._plaintext_refused():
            return _PLAINTEXT_REFUSED
        return super()._user(args)

    def _pass(self, args: list[str]) -> Response:
        if self._plaintext_refused():
            return _PLAINTEXT_REFUSED
        return super()._pass(args)

    def _password_ok(self, user: str, password: str) -> bool:
        return self._settings.credentials.password_ok(user, password)

    def _apop(self, args: list[str]) -> Response:
        if self._timestamp is None:
            return "-ERR APOP not available: no timestamp in the greeting."
        if len(args) != 2:
            return "-ERR APOP needs a user name and a digest."
        if not apop_ok(self._settings.credentials, self._timestamp, args[0], args[1]):
            return AUTH_FAILED
        return self._logged_in(args[0], "apop")

    async def _auth(self, args: list[str]) -> None:
        if not args:  # pre-RFC 5034 clients list mechanisms with a bare AUTH
            body = "".join(m + "\r\n" for m in self._settings.sasl).encode("ascii")
            await self._send(multiline("+OK", body))
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
                    await self._send(AUTH_FAILED)
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
        self.record.user, self.record.mechanism = user, mechanism
        await super()._logged_in(user, mechanism)

    def _present(self, stored: StoredMessage) -> Entry:
        uid, data = stored.uid, stored.data
        if self._faults.long_uids:
            uid = f"{uid}-{hashlib.sha256(uid.encode()).hexdigest()}" + "x" * 40
        if self._faults.long_line > 0:
            prefix = b"X-Long-Line: "
            data = prefix + b"x" * max(self._faults.long_line - len(prefix), 1) + b"\r\n" + data
        return Entry(stored, uid, data)

    async def _stls(self, _args: list[str]) -> None:
        context = self._settings.starttls_context
        if context is None or self._encrypted:
            await self._send("-ERR TLS is not available here.")
            return
        await self._send("+OK Begin TLS negotiation now.")
        self._buffer.clear()  # RFC 2595: nothing sent before the handshake may be used
        await self._writer.start_tls(context)
        self._encrypted = self.record.encrypted = True

    def _commit(self) -> list[str]:
        """QUIT in TRANSACTION: commit the deletions (UPDATE state) and record them."""
        doomed = super()._commit()
        self.record.deleted, self.record.committed = doomed, True
        return doomed

    # TRANSACTION state

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
        return multiline("+OK", body.encode("ascii"))

    def _top(self, args: list[str]) -> str | bytes:
        if self._faults.no_top:
            return "-ERR Unknown command."
        return super()._top(args)


def _b64(text: str) -> bytes | None:
    """Decode a SASL base64 token; '=' alone is the empty response (RFC 5034)."""
    if text == "=":
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
