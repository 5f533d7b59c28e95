"""The asyncio POP3 client: connect, log in, list, fetch, delete, QUIT.

Safety rules carried here: TLS is verified (or STLS is required to succeed); secrets never
cross an unencrypted link unless allowed and never reach logs or exception texts; any
failure that leaves the stream out of step drops it without QUIT, so nothing is deleted.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import itertools
import re
import ssl
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Sequence
from contextlib import aclosing, asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Final, NoReturn

from tui_mail.pop3.bounds import (
    SMALL_ANSWER_BYTES,
    TOP_KEEP_BYTES,
    listing_bound,
    message_bound,
    transfer_deadline,
)
from tui_mail.pop3.capabilities import PIPELINING_MODES, Capabilities, PipeliningMode
from tui_mail.pop3.connection import Connection, ProtocolLog
from tui_mail.pop3.errors import (
    AnswerTooLong,
    AuthFailed,
    CommandTimeout,
    ConnectionLost,
    InvalidArgument,
    LoginDelayed,
    LoginRefused,
    MailboxInUse,
    NotSupported,
    PlaintextNotAllowed,
    ProtocolError,
    ServerError,
    TemporaryFailure,
    looks_busy,
    server_error,
    server_words,
)
from tui_mail.pop3.listing import numbers_in, parse_sizes, parse_uids, unique_id
from tui_mail.pop3.protocol import (
    MAX_COMMAND_OCTETS,
    Command,
    Expect,
    Status,
    decode_text,
    encode_command,
    encode_sasl_line,
)
from tui_mail.pop3.sasl import (
    KNOWN_MECHANISMS,
    Mechanism,
    SaslFailure,
    apop_digest,
    choose_auto,
    create_mechanism,
)
from tui_mail.pop3.tls import (
    default_port,
    ensure_verifying,
    make_ssl_context,
    parse_tls_mode,
)
from tui_mail.pop3.user_login import pipelines_login, user_pass_pipelined
from tui_mail.pop3.window import AdaptiveWindow

_APOP_TIMESTAMP_RE: Final = re.compile(r"<[^<>\s]+@[^<>\s]+>")
_UNSAFE_IN_CREDENTIALS: Final = frozenset("\r\n\0")


class POP3Client:
    """One POP3 session. Create it with :meth:`connect`; commands run one at a time.

    ``async with`` exits through :meth:`abort` (never an implicit QUIT): only an explicit
    :meth:`quit` commits deletions.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        allow_plaintext: bool,
        pipeline_window: int,
        pipelining: PipeliningMode = "auto",
    ) -> None:
        self._conn = connection
        self._lock = asyncio.Lock()
        self._allow_plaintext = allow_plaintext
        self._window = max(1, pipeline_window)
        if pipelining not in PIPELINING_MODES:
            raise InvalidArgument(f"pipelining must be one of {', '.join(PIPELINING_MODES)}")
        self.pipelining_mode: PipeliningMode = pipelining
        self._capabilities_fresh = False
        self.greeting = ""
        self.apop_timestamp: str | None = None
        self.capabilities = Capabilities()
        self.tls_version: str | None = None
        self.peer_certificate: dict[str, Any] | None = None
        self.peer_certificate_der: bytes | None = None  # the verified certificate, DER
        self.encrypted = False
        # What the server announced this session; every later answer is bounded by it.
        self._message_count: int | None = None  # from STAT
        self._sizes: dict[int, int] = {}  # from LIST

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int | None = None,
        *,
        tls: str = "implicit",
        cafile: str | Path | None = None,
        ssl_context: ssl.SSLContext | None = None,
        allow_plaintext: bool = False,
        timeout: float = 30.0,
        pipeline_window: int = 64,
        pipelining: PipeliningMode = "auto",
        protocol_log: ProtocolLog | None = None,
        low_latency: bool = True,
    ) -> POP3Client:
        """Connect, read the greeting, ask CAPA; with STARTTLS, upgrade and ask CAPA again.

        ``timeout`` bounds each wait for the server (connect, handshake, every read): a
        command fails with CommandTimeout after that much silence. Each whole answer has a
        deadline too (see :mod:`~tui_mail.pop3.bounds`): a RETR that keeps delivering at a
        reasonable rate is never cut off, a trickle is. ``pipelining`` is ``auto`` (as the
        server announces), ``on`` (for servers that pipeline without saying so) or ``off``.
        ``low_latency=False`` leaves the kernel's TCP ACK/Nagle behaviour (benchmarks only).
        """
        mode = parse_tls_mode(tls)
        port = port or default_port(mode)
        context: ssl.SSLContext | None = None
        if mode != "none":
            context = ssl_context or make_ssl_context(cafile)
            ensure_verifying(context)
        connection = await Connection.open(
            host,
            port,
            context=context if mode == "implicit" else None,
            timeout=timeout,
            protocol_log=protocol_log,
            low_latency=low_latency,
        )
        client = cls(
            connection,
            allow_plaintext=allow_plaintext,
            pipeline_window=pipeline_window,
            pipelining=pipelining,
        )
        try:
            await client._start(context if mode == "starttls" else None)
        except BaseException:
            connection.abort()
            raise
        return client

    async def _start(self, starttls_context: ssl.SSLContext | None) -> None:
        self._record_tls()
        self._conn.parser.expect(Expect.SINGLE)  # the greeting answers the connection itself
        with self._conn.deadline(self._conn.timeout):
            greeting = await self._conn.status("the greeting")
        text = decode_text(greeting.raw[3 if greeting.ok else 4 :]).strip()
        if not greeting.ok:
            if greeting.code is not None:
                await self._conn.raise_for(greeting, "the greeting")
            self._conn.abort()
            raise ConnectionLost(
                f"server refused the connection: {greeting.text}", server_text=greeting.text
            )
        self.greeting = server_words(text)  # for people; the timestamp below is read raw
        match = _APOP_TIMESTAMP_RE.search(text)
        self.apop_timestamp = match.group(0) if match else None
        await self._capa()
        if starttls_context is not None:
            self._conn.send([encode_command("STLS")], Expect.SINGLE)
            with self._conn.deadline(self._conn.timeout):
                status = await self._conn.status("STLS")
            if not status.ok:
                self._conn.abort()
                raise NotSupported(
                    f"server refused STLS ({status.text}); not continuing without TLS"
                )
            await self._conn.start_tls(starttls_context)
            # Nothing from the cleartext greeting decides anything now: an attacker could
            # have written it (e.g. an APOP timestamp chosen to replay a digest).
            self.apop_timestamp = None
            self._record_tls()
            self.capabilities = Capabilities()
            await self._capa()

    def _record_tls(self) -> None:
        ssl_object = self._conn.ssl_object
        if ssl_object is not None:
            self.encrypted = True
            self.tls_version = ssl_object.version()
            self.peer_certificate = ssl_object.getpeercert()
            self.peer_certificate_der = ssl_object.getpeercert(binary_form=True)

    @property
    def pipelines(self) -> bool:
        """Whether several commands are sent before their answers (the account's choice)."""
        if self.pipelining_mode == "auto":
            return self.capabilities.pipelining
        return self.pipelining_mode == "on"

    @property
    def closed(self) -> bool:
        """True once the connection ended (QUIT, abort, or a failure)."""
        return self._conn.closed

    @asynccontextmanager
    async def _exclusive(self, what: str, seconds: float | None = None) -> AsyncIterator[None]:
        """One command (or pipelined batch) at a time; settle the stream afterwards.

        Its whole answer must arrive within ``seconds`` (by default the idle timeout).
        """
        async with self._lock:
            with self._conn.deadline(self._conn.timeout if seconds is None else seconds):
                await self._conn.prepare(what)
                try:
                    yield
                finally:
                    self._conn.settle()

    # -- capabilities ------------------------------------------------------------------------

    async def capa(self) -> Capabilities:
        """Ask CAPA again (servers may announce more after login); updates ``capabilities``."""
        async with self._exclusive("CAPA"):
            return await self._capa()

    async def _capa(self) -> Capabilities:
        self._conn.send([encode_command("CAPA")], Expect.MULTI)
        status = await self._conn.status("CAPA")
        if status.ok:
            # Read in clear before STLS too: small and bounded, whoever sends it.
            data = await self._conn.collect("CAPA", limit=SMALL_ANSWER_BYTES, log_lines=True)
            self.capabilities = Capabilities.parse(decode_text(data).split("\r\n"))
        else:
            self.capabilities = Capabilities()
        return self.capabilities

    # -- login -----------------------------------------------------------------------------

    async def login(self, user: str, secret: str, *, mechanism: str = "auto") -> str:
        """Authenticate; returns the mechanism used (lower-case). Refreshes capabilities."""
        chosen = mechanism.lower()
        if chosen not in (*KNOWN_MECHANISMS, "auto"):
            raise InvalidArgument(
                f"unknown login mechanism {mechanism!r}; choose one of "
                f"auto, {', '.join(KNOWN_MECHANISMS)}"
            )
        if not self.encrypted and not self._allow_plaintext:
            raise PlaintextNotAllowed(
                "refusing to log in over an unencrypted connection: use "
                "TLS, or allow plaintext explicitly"
            )
        if any(ch in _UNSAFE_IN_CREDENTIALS for ch in user + secret):
            raise InvalidArgument("user name or secret contains CR, LF or NUL")
        offered = self.offered_methods()
        automatic = chosen == "auto"
        if automatic:
            caps = self.capabilities
            picked = choose_auto(
                caps.sasl,
                apop_timestamp=self.apop_timestamp,
                user_offered="user" in offered,
                encrypted=self.encrypted,
            )
            if picked is None:
                raise NotSupported("the server offers no login method tui-mail supports")
            chosen = picked
        elif chosen not in offered:  # only what the server offered is ever sent
            raise NotSupported(
                f"server does not offer {chosen.upper()}; it offers: "
                + (", ".join(name.upper() for name in offered) or "no method tui-mail knows")
            )
        async with self._exclusive("login", 2 * self._conn.timeout):
            self._conn.redactions[:] = [secret]
            self._capabilities_fresh = False  # a pipelined USER/PASS asks CAPA with them
            try:
                try:
                    chosen = await self._login_with(chosen, user, secret, automatic, offered)
                except ServerError as exc:
                    if type(exc) is ServerError:  # no response code: not necessarily the password
                        raise _refusal(exc.text) from None
                    raise
                except ConnectionLost as lost:
                    # popa3d answers a wrong password with -ERR and hangs up: still a refusal
                    # (else it would look like a drop, retried as long as the reader runs);
                    # its busy mailbox looks the same but for the words, which decide.
                    text = lost.server_text
                    if text and not text.startswith("["):
                        raise _refusal(text) from None
                    raise
            finally:
                self._conn.redactions.clear()
            if not self._capabilities_fresh:
                await self._capa()
        return chosen

    def offered_methods(self) -> list[str]:
        """Login methods this server offers, lower-case as in the config's ``auth``.

        USER when CAPA says so (or without CAPA or SASL: RFC 1939 servers), APOP when the
        greeting carried a timestamp (never after STLS), SASL mechanisms as listed.
        """
        caps = self.capabilities
        names = [name.lower() for name in caps.sasl if name.lower() in KNOWN_MECHANISMS]
        if self.apop_timestamp:
            names.append("apop")
        if caps.user or not caps.sasl:
            names.append("user")
        return names

    async def _login_with(
        self, chosen: str, user: str, secret: str, automatic: bool, offered: list[str]
    ) -> str:
        if chosen == "user":
            await self._login_user(user, secret)
        elif chosen == "apop":
            try:
                await self._login_apop(user, secret)
            except ServerError as exc:
                # GNU Mailutils and others send a timestamp with no APOP secrets behind it:
                # auto (only chosen without TLS, where the user allowed plaintext) goes on
                # with USER/PASS in the same session. Naming apop never falls back.
                busy = isinstance(exc, MailboxInUse | LoginDelayed | TemporaryFailure)
                if not automatic or busy or "user" not in offered or self._conn.closed:
                    raise
                await self._login_user(user, secret)
                return "user"
        else:
            await self._login_sasl(chosen, user, secret)
        return chosen

    async def _checked(self, command: Command, what: str) -> Status:
        self._conn.send([command], Expect.SINGLE)
        status = await self._conn.status(what)
        if not status.ok:
            await self._conn.raise_for(status, what)
        return status

    async def _login_user(self, user: str, secret: str) -> None:
        try:
            password = encode_command("PASS", secret, secret_from=0)
        except InvalidArgument:
            raise InvalidArgument("password too long for the PASS command") from None
        name = encode_command("USER", user)
        if pipelines_login(self.pipelining_mode, self.capabilities):
            self.capabilities = await user_pass_pipelined(self._conn, name, password)
            self._capabilities_fresh = True
            return
        await self._checked(name, "USER")
        await self._checked(password, "PASS")

    async def _login_apop(self, user: str, secret: str) -> None:
        if self.apop_timestamp is None:
            raise NotSupported("APOP needs a timestamp in the greeting; this server has none")
        digest = apop_digest(self.apop_timestamp, secret)
        self._conn.redactions.append(digest)
        await self._checked(encode_command("APOP", user, digest, secret_from=1), "APOP")

    async def _login_sasl(self, name: str, user: str, secret: str) -> None:
        try:
            mechanism = create_mechanism(
                name, user, secret, host=self._conn.host, port=self._conn.port
            )
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from None
        first = mechanism.initial_response()
        pending: bytes | None = None  # goes on the continuation line after an empty challenge
        command = encode_command("AUTH", mechanism.name)
        if first is not None:
            encoded = self._encode_secret(first) or "="  # "=" is an empty initial response
            inline_octets = len(f"AUTH {mechanism.name} {encoded}\r\n")
            if mechanism.initial_response_allowed and inline_octets <= MAX_COMMAND_OCTETS:
                command = encode_command("AUTH", mechanism.name, encoded, secret_from=1)
            else:
                pending = first
        self._conn.send([command], Expect.SASL)
        what = f"AUTH {mechanism.name}"
        while True:
            step = await self._conn.sasl_step(what)
            if isinstance(step, Status):
                final = step
                break
            try:
                challenge = mechanism.decode_challenge(step.data)
                if pending is not None:
                    if challenge:
                        raise SaslFailure("expected an empty challenge before the response")
                    reply, pending = pending, None
                else:
                    reply = await asyncio.to_thread(mechanism.respond, challenge)
            except SaslFailure as failure:
                await self._cancel_sasl(failure, what)
            self._conn.send_line(encode_sasl_line(self._encode_secret(reply)))
        if not final.ok:
            await self._auth_refused(final, mechanism, what)
        try:
            mechanism.check_success()
        except SaslFailure as failure:
            self._conn.abort()
            raise ProtocolError(f"{what}: {failure.reason}; connection dropped") from None

    def _encode_secret(self, payload: bytes) -> str:
        encoded = base64.b64encode(payload).decode("ascii")
        self._conn.redactions.append(encoded)
        return encoded

    async def _cancel_sasl(self, failure: SaslFailure, what: str) -> NoReturn:
        """Answer ``*`` (RFC 5034 cancel), read the -ERR, then raise without any secret."""
        self._conn.send_line(encode_sasl_line("*"))
        step = await self._conn.sasl_step(what)
        if isinstance(step, Status) and not step.ok and step.code and not failure.untrusted:
            await self._conn.raise_for(step, what)
        self._conn.abort()
        raise ProtocolError(f"{what} cancelled: {failure.reason}; connection dropped")

    async def _auth_refused(self, status: Status, mechanism: Mechanism, what: str) -> NoReturn:
        hint = mechanism.failure_hint
        try:
            await self._conn.raise_for(status, what)
        except ServerError as exc:
            if hint is None or exc.code is not None:
                raise
            raise AuthFailed(f"{exc.text} ({hint})") from None

    # -- transaction commands -----------------------------------------------------------------

    async def _simple(self, name: str, *args: str) -> Status:
        async with self._exclusive(name):
            return await self._checked(encode_command(name, *args), name)

    async def _listing(self, name: str) -> bytes:
        """LIST or UIDL for every message, bounded by STAT's count (asked first if needed)."""
        if self._message_count is None:
            await self.stat()
        lines, limit = self._listing_limit()
        async with self._exclusive(name, transfer_deadline(self._conn.timeout, limit)):
            self._conn.send([encode_command(name)], Expect.MULTI)
            status = await self._conn.status(name)
            if not status.ok:
                await self._conn.raise_for(status, name)
            data = await self._conn.collect(name, limit=limit)
        _check_line_count(data, lines, name)
        return data

    def _listing_limit(self) -> tuple[int, int]:
        return listing_bound(self._message_count or 0)

    async def stat(self) -> tuple[int, int]:
        """(message count, maildrop size in octets); the count bounds LIST and UIDL after."""
        status = await self._simple("STAT")
        count, size = numbers_in(status.raw, 2, "STAT")
        self._message_count = count
        return count, size

    async def list(self) -> dict[int, int]:
        """Message number -> size in octets, for every message."""
        data = await self._listing("LIST")
        return self._record_sizes(data)

    def _record_sizes(self, data: bytes) -> dict[int, int]:
        sizes = parse_sizes(data, self._listing_limit()[0])
        self._sizes = dict(sizes)
        return sizes

    async def list_and_uidl(self) -> tuple[dict[int, int], dict[int, str] | ServerError]:
        """LIST and UIDL in one round trip when the server pipelines (every login needs both).

        UIDL's -ERR is returned rather than raised, so a caller can fall back on a server
        without UIDL; a -ERR to LIST is raised.
        """
        if not self.pipelines:
            await self.stat()
            sizes = await self.list()
            try:
                return sizes, await self.uidl()
            except ServerError as error:
                return sizes, error
        async with self._exclusive("STAT"):
            self._conn.send_mixed(
                [
                    (encode_command("STAT"), Expect.SINGLE),
                    (encode_command("LIST"), Expect.MULTI),
                    (encode_command("UIDL"), Expect.MULTI),
                ]
            )
            stat_status = await self._conn.status("STAT")
            if not stat_status.ok:  # the listings' answers are skipped before the next command
                await self._conn.raise_for(stat_status, "STAT")
            self._message_count = numbers_in(stat_status.raw, 2, "STAT")[0]
            lines, limit = self._listing_limit()
            with self._conn.deadline(transfer_deadline(self._conn.timeout, 2 * limit)):
                list_status = await self._conn.status("LIST")
                if not list_status.ok:  # UIDL's answer is left to be skipped
                    await self._conn.raise_for(list_status, "LIST")
                list_data = await self._conn.collect("LIST", limit=limit)
                uidl_status = await self._conn.status("UIDL")
                if uidl_status.ok:
                    uidl_data = await self._conn.collect("UIDL", limit=limit)
                else:
                    uidl_error = server_error(self._conn.redact(uidl_status.text), uidl_status.code)
        _check_line_count(list_data, lines, "LIST")
        sizes = self._record_sizes(list_data)
        if not uidl_status.ok:
            return sizes, uidl_error
        _check_line_count(uidl_data, lines, "UIDL")
        return sizes, parse_uids(uidl_data, lines)

    async def list_one(self, number: int) -> int:
        """The size of one message."""
        status = await self._simple("LIST", _number(number))
        size = numbers_in(status.raw, 2, "LIST")[1]
        self._sizes[number] = size
        return size

    async def uidl(self) -> dict[int, str]:
        """Message number -> unique id (kept raw; tolerant of long ids and extra spaces)."""
        data = await self._listing("UIDL")
        lines = self._listing_limit()[0]
        return parse_uids(data, lines)

    async def uidl_one(self, number: int) -> str:
        """The unique id of one message."""
        status = await self._simple("UIDL", _number(number))
        parts = status.raw.split(None, 2)
        if len(parts) < 3:
            raise ProtocolError("UIDL answer lacks the unique id")
        return unique_id(parts[2], "UIDL")

    async def top(self, number: int, lines: int = 0) -> bytes:
        """Headers plus ``lines`` body lines of one message, unstuffed, CRLF line endings.

        At most :data:`~tui_mail.pop3.bounds.TOP_KEEP_BYTES` are kept; the answer may not
        exceed the message's announced size (plus margin).
        """
        async with aclosing(self.top_many([number], lines)) as answers:
            async for _answered, data in answers:
                return data
        raise ProtocolError("no answer to TOP")  # pragma: no cover - top_many yields once

    async def _announced_size(self, number: int) -> int:
        size = self._sizes.get(number)
        return await self.list_one(number) if size is None else size

    async def retr(
        self, number: int, sink: BinaryIO, progress: Callable[[int], None] | None = None
    ) -> int:
        """Stream one whole message into ``sink`` (memory stays flat); returns bytes written.

        Bounded by the size LIST announced (asked first if this session has not): a server
        that sends more is cut off, the connection dropped (:class:`AnswerTooLong`).
        """
        size = await self._announced_size(number)
        what = f"RETR {number}"
        async with self._exclusive(what, transfer_deadline(self._conn.timeout, size)):
            self._conn.send([encode_command("RETR", _number(number))], Expect.MULTI)
            status = await self._conn.status(what)
            if not status.ok:
                await self._conn.raise_for(status, what)
            written = 0
            chunks = self._conn.chunks(what, limit=message_bound(size), number=number)
            async for chunk in chunks:
                sink.write(chunk)
                written += len(chunk)
                if progress is not None:
                    progress(written)
            return written

    def top_many(
        self,
        numbers: Iterable[int],
        lines: int = 0,
        *,
        pause: Callable[[], bool] | None = None,
    ) -> AsyncGenerator[tuple[int, bytes], None]:
        """``TOP n lines`` for each number, pipelined when the server allows, in given order.

        A -ERR for one message raises its ServerError from the iterator. Leaving early is
        safe (unread answers are skipped later); use ``contextlib.aclosing`` to release the
        session at once. When ``pause()`` turns true no more commands are sent: the answers
        already requested are still yielded, then the iterator ends early, so the session is
        free for something more urgent without wasting what is on its way.
        """
        return self._fetch_many("TOP", numbers, (_count(lines),), TOP_KEEP_BYTES, pause)

    def retr_many(
        self, numbers: Iterable[int], *, pause: Callable[[], bool] | None = None
    ) -> AsyncGenerator[tuple[int, bytes], None]:
        """Whole messages as bytes, pipelined like :meth:`top_many` (for small messages)."""
        return self._fetch_many("RETR", numbers, (), None, pause)

    async def _fetch_many(
        self,
        verb: str,
        numbers: Iterable[int],
        extra: tuple[str, ...],
        keep: int | None,
        pause: Callable[[], bool] | None = None,
    ) -> AsyncGenerator[tuple[int, bytes], None]:
        """Each answer is bounded by its message's LISTed size (LIST is asked if needed)."""
        numbers = builtins.list(numbers)
        if any(number not in self._sizes for number in numbers):
            await self.stat()
            await self.list()
        async with self._exclusive(verb):
            window = AdaptiveWindow(self._window if self.pipelines else 1)
            todo = iter(numbers)
            in_flight: deque[int] = deque()
            exhausted = False
            while True:
                size = window.size
                refill_at = size - max(1, size // 4)  # top up in batches, one write each
                if not exhausted and pause is not None and pause():
                    exhausted = True  # read what is in flight, send nothing more
                if not exhausted and len(in_flight) <= refill_at:
                    batch: builtins.list[tuple[int, Command]] = []
                    while len(in_flight) + len(batch) < size:
                        number = next(todo, None)
                        if number is None:
                            exhausted = True
                            break
                        batch.append((number, encode_command(verb, _number(number), *extra)))
                    if batch:
                        self._conn.send([command for _, command in batch], Expect.MULTI)
                        in_flight.extend(number for number, _ in batch)
                        window.sent(len(batch))
                if not in_flight:
                    return
                number = in_flight.popleft()
                announced = self._sizes.get(number, 0)
                limit = message_bound(announced)
                answer = self._conn.whole_answer(verb, number, limit=limit, keep=keep)
                if answer is None:  # not all here yet (or a -ERR): read it as it comes
                    what = f"{verb} {number}"
                    with self._conn.deadline(transfer_deadline(self._conn.timeout, announced)):
                        status = await self._conn.status(what)
                        if not status.ok:
                            await self._conn.raise_for(status, what)
                        data = await self._conn.collect(what, limit=limit, keep=keep, number=number)
                else:
                    status, data = answer
                window.answered(len(status.raw) + len(data))
                yield number, data

    async def probe_pipelining(self, timeout: float = 5.0) -> bool:
        """Send three harmless commands in one write; True if all answers come back in order.

        For servers that do not announce PIPELINING (popa3d has no CAPA; Twisted says
        "PIPELINE"). The commands change nothing in any state: CAPA, NOOP, CAPA (before
        login NOOP draws a -ERR, which is an answer too). A server that loses pipelined
        commands stays silent: after ``timeout`` the connection is dropped and the answer is
        False. Use a connection you are about to close.
        """
        saved = self._conn.timeout
        self._conn.timeout = min(saved, timeout)
        try:
            async with self._exclusive("a pipelining probe"):
                kinds = (("CAPA", Expect.MULTI), ("NOOP", Expect.SINGLE), ("CAPA", Expect.MULTI))
                self._conn.send_mixed([(encode_command(verb), kind) for verb, kind in kinds])
                for verb, kind in kinds:
                    status = await self._conn.status(verb)
                    if kind is Expect.MULTI and status.ok:
                        await self._conn.collect(verb, limit=SMALL_ANSWER_BYTES)
        except (ConnectionLost, ProtocolError, CommandTimeout):
            await self.abort()
            return False
        finally:
            self._conn.timeout = saved
        return True

    async def dele(self, number: int) -> None:
        """Mark a message deleted; it goes only at a successful QUIT."""
        await self._simple("DELE", _number(number))

    async def dele_many(
        self, numbers: Sequence[int], progress: Callable[[int], None] | None = None
    ) -> dict[int, ServerError]:
        """DELE each number, pipelined when the server allows; the ones refused, with why.

        One ``-ERR`` concerns that message only (it stays on the server) and the others go
        on; a lost or garbled stream raises, and since nothing is QUIT nothing is deleted.
        ``progress`` gets the count answered so far. One at a time this was a round trip per
        message (100 at 50 ms: 5 s before QUIT).
        """
        commands = [(number, encode_command("DELE", _number(number))) for number in numbers]
        refused: dict[int, ServerError] = {}
        async with self._exclusive("DELE"):
            window = self._window if self.pipelines else 1
            todo = iter(commands)
            in_flight: deque[int] = deque()
            exhausted = False
            answered = 0
            while True:
                if not exhausted and len(in_flight) <= window // 2:
                    batch = builtins.list(itertools.islice(todo, window - len(in_flight)))
                    exhausted = len(batch) < window - len(in_flight)
                    if batch:
                        self._conn.send([command for _, command in batch], Expect.SINGLE)
                        in_flight.extend(number for number, _ in batch)
                if not in_flight:
                    break
                number = in_flight.popleft()
                what = f"DELE {number}"
                with self._conn.deadline(self._conn.timeout):
                    status = await self._conn.status(what)
                    if not status.ok:
                        try:
                            await self._conn.raise_for(status, what)
                        except ServerError as exc:
                            refused[number] = exc
                answered += 1
                if progress is not None:
                    progress(answered)
            if self._conn.closed:  # a -ERR that came with EOF: the rest were never answered
                raise ConnectionLost("connection closed by server during DELE")
        return refused

    async def rset(self) -> None:
        """Unmark every message marked deleted in this session."""
        await self._simple("RSET")

    async def noop(self) -> None:
        """Keep the session alive (servers drop idle ones after ~10 minutes)."""
        await self._simple("NOOP")

    async def quit(self) -> None:
        """QUIT: the server commits deletions and answers +OK; then the connection closes."""
        async with self._exclusive("QUIT"):
            self._conn.send([encode_command("QUIT")], Expect.SINGLE)
            status = await self._conn.status("QUIT")
            self._conn.close()
            if not status.ok:
                raise server_error(status.text, status.code)

    async def abort(self) -> None:
        """Close WITHOUT QUIT: the server deletes nothing."""
        self._conn.abort()

    async def __aenter__(self) -> POP3Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.abort()


def _number(number: int) -> str:
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise InvalidArgument("message numbers are integers from 1")
    return str(number)


def _count(lines: int) -> str:
    if isinstance(lines, bool) or not isinstance(lines, int) or lines < 0:
        raise InvalidArgument("TOP line count must be a non-negative integer")
    return str(lines)


def _check_line_count(data: bytes, lines: int, what: str) -> None:
    if data.count(b"\r\n") > lines:
        raise AnswerTooLong(f"the server listed more messages in {what} than STAT announced")


def _refusal(text: str) -> ServerError:
    """A code-less -ERR at login: a busy maildrop by its words, else maybe the password."""
    return MailboxInUse(text) if looks_busy(text) else LoginRefused(text)
