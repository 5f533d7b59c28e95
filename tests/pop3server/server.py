"""A scriptable POP3 server on 127.0.0.1: for tests and benchmarks.

It serves messages from memory or a Maildir with everything a real server has (UIDL, TOP,
APOP, USER/PASS, SASL, STLS, implicit TLS, PIPELINING, delete-at-QUIT, a session lock) and
misbehaves on request through :class:`Faults`. Sessions share one :class:`Mailbox`, so a test
can delete, reconnect and see what was really committed::

    async with POP3TestServer([message_bytes], user="u", password="p") as server:
        ...connect to server.host, server.port...
    assert server.deleted_uids == [...]

Synchronous callers use ``with server.background():``; other processes use
``python -m tests.pop3server --maildir DIR``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import ssl
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.pop3server.auth import MECHANISMS, Credentials
from tests.pop3server.faults import CONNECT, At, DropFault, ErrorFault, Faults, FloodFault
from tests.pop3server.mailbox import Mailbox, StoredMessage
from tests.pop3server.session import ServerSettings, Session, SessionRecord
from tui_mail.demo.server import LOOPBACK, serve_in_thread
from tui_mail.vocabulary import TLS_MODES

__all__ = [
    "CONNECT",
    "At",
    "DropFault",
    "ErrorFault",
    "Faults",
    "FloodFault",
    "Mailbox",
    "POP3TestServer",
    "SessionRecord",
    "StoredMessage",
    "main",
]


class POP3TestServer:
    """One listening port serving one account; see the module docstring for the shape of use.

    ``tls`` is ``"none"`` (plain, no STLS), ``"starttls"`` (plain, STLS offered) or
    ``"implicit"`` (TLS from the first byte); the last two need a server ``ssl_context``.
    ``faults`` may be replaced between connections; each session uses the value it met.
    """

    host = LOOPBACK

    def __init__(
        self,
        messages: Iterable[bytes] = (),
        *,
        mailbox: Mailbox | None = None,
        maildir: str | Path | None = None,
        delete_files: bool = False,
        user: str = "user",
        password: str = "password",
        token: str | None = None,
        tls: str = "none",
        ssl_context: ssl.SSLContext | None = None,
        sasl: Iterable[str] = tuple(MECHANISMS),
        apop: bool = True,
        extra_capabilities: Iterable[str] = (),
        require_tls_for_login: bool = False,
        lock_wait: float = 1.0,
        faults: Faults | None = None,
        port: int = 0,
    ) -> None:
        if tls not in TLS_MODES:
            raise ValueError(f"tls must be one of {TLS_MODES}, not {tls!r}")
        if tls != "none" and ssl_context is None:
            raise ValueError(f"tls={tls!r} needs a server ssl_context")
        unknown = [name for name in sasl if name.upper() not in MECHANISMS]
        if unknown:
            raise ValueError(f"unknown SASL mechanisms: {unknown}")
        if mailbox is None:
            mailbox = Mailbox(messages, maildir=maildir, delete_files=delete_files)
        elif messages or maildir is not None:
            raise ValueError("give either a mailbox or messages/maildir, not both")
        self.mailbox = mailbox
        self.tls = tls
        self.faults = faults if faults is not None else Faults()
        self.sessions: list[SessionRecord] = []
        self.port = port
        self._settings = ServerSettings(
            credentials=Credentials(user, password, token),
            mailbox=mailbox,
            sasl=tuple(name.upper() for name in sasl),
            apop=apop,
            extra_capabilities=tuple(extra_capabilities),
            require_tls_for_login=require_tls_for_login,
            lock_wait=lock_wait,
            starttls_context=ssl_context if tls == "starttls" else None,
        )
        self._ssl_context = ssl_context
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # Observations for tests

    @property
    def user(self) -> str:
        """The account's user name."""
        return self._settings.credentials.user

    @property
    def password(self) -> str:
        """The account's password."""
        return self._settings.credentials.password

    @property
    def deleted_uids(self) -> list[str]:
        """UIDs removed by committed QUITs, across all sessions."""
        return self.mailbox.deleted_uids

    def uids(self) -> list[str]:
        """UIDs the next session will see, in message-number order."""
        return self.mailbox.uids()

    def add_message(self, data: bytes, uid: str | None = None) -> str:
        """Deliver a message; like real mail, it shows up at the next login."""
        return self.mailbox.add(data, uid)

    @property
    def last_session(self) -> SessionRecord:
        """The most recent connection's record."""
        if not self.sessions:
            raise LookupError("no session yet")
        return self.sessions[-1]

    # Life cycle on the caller's event loop

    async def start(self) -> Self:
        """Listen on 127.0.0.1 (port 0 picks a free one, stored in ``.port``)."""
        implicit = self._ssl_context if self.tls == "implicit" else None
        self._server = await asyncio.start_server(self._accept, LOOPBACK, self.port, ssl=implicit)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and end every open session (nothing they marked is committed)."""
        if self._server is not None:
            self._server.close()
        sessions = list(self._tasks)
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
        await asyncio.sleep(0)  # let the connection handlers see their sessions end
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        record = SessionRecord(number=len(self.sessions) + 1, encrypted=self.tls == "implicit")
        self.sessions.append(record)
        # The session runs in a task of its own that stop() may cancel; cancelling the task
        # asyncio.start_server created instead makes Python 3.11 log a spurious traceback.
        task = asyncio.create_task(
            Session(self._settings, self.faults, reader, writer, record).run()
        )
        self._tasks.add(task)
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
        finally:
            self._tasks.discard(task)

    # Life cycle in a background thread, for synchronous callers

    @contextlib.contextmanager
    def background(self) -> Iterator[Self]:
        """Run the server on its own event loop in a daemon thread while the block runs."""
        with serve_in_thread(self.start, self.stop, name=f"pop3-testserver-{id(self):x}"):
            yield self


# Command line: `python -m tests.pop3server --maildir DIR [--port N] ...`


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.pop3server",
        description="Serve a Maildir or .eml files over POP3 on 127.0.0.1 (for tests and demos).",
    )
    parser.add_argument("--maildir", type=Path, help="Maildir to serve (cur/ and new/)")
    parser.add_argument("messages", nargs="*", type=Path, help="message files to serve")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument("--user", default="user")
    parser.add_argument("--password", default="password")
    parser.add_argument("--token", help="OAuth token accepted by XOAUTH2/OAUTHBEARER")
    parser.add_argument("--tls", choices=TLS_MODES, default="none")
    parser.add_argument("--cert", type=Path, help="PEM certificate chain (with --tls)")
    parser.add_argument("--key", type=Path, help="PEM private key (with --tls)")
    parser.add_argument(
        "--capa",
        action="append",
        default=[],
        metavar="LINE",
        help='extra CAPA line, e.g. "EXPIRE 0" (repeatable)',
    )
    parser.add_argument(
        "--delete-files",
        action="store_true",
        help="remove Maildir files of messages deleted at QUIT",
    )
    parser.add_argument("--require-tls-for-login", action="store_true")
    for flag in (
        "no-capa",
        "no-uidl",
        "no-top",
        "no-pipelining",
        "no-apop",
        "late-capabilities",
        "odd-uidl-spacing",
        "long-uids",
    ):
        parser.add_argument(f"--{flag}", action="store_true", help="fault: " + flag)
    parser.add_argument(
        "--long-line",
        type=int,
        default=0,
        metavar="OCTETS",
        help="fault: add a header line this long to every message",
    )
    return parser


def _server_from_args(args: argparse.Namespace) -> POP3TestServer:
    context: ssl.SSLContext | None = None
    if args.tls != "none":
        if args.cert is None:
            raise SystemExit("--tls needs --cert (and --key unless the key is in the cert file)")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    faults = Faults(
        no_capa=args.no_capa,
        no_uidl=args.no_uidl,
        no_top=args.no_top,
        no_pipelining=args.no_pipelining,
        no_apop=args.no_apop,
        late_capabilities=args.late_capabilities,
        odd_uidl_spacing=args.odd_uidl_spacing,
        long_uids=args.long_uids,
        long_line=args.long_line,
    )
    return POP3TestServer(
        [path.read_bytes() for path in args.messages],
        maildir=args.maildir,
        delete_files=args.delete_files,
        user=args.user,
        password=args.password,
        token=args.token,
        tls=args.tls,
        ssl_context=context,
        extra_capabilities=args.capa,
        require_tls_for_login=args.require_tls_for_login,
        faults=faults,
        port=args.port,
    )


async def _serve_from_command_line(server: POP3TestServer) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        print(f"listening on {server.host}:{server.port}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM; prints ``listening on 127.0.0.1:PORT`` once ready."""
    args = _parser().parse_args(argv)
    if args.maildir is None and not args.messages:
        print("nothing to serve: give --maildir DIR and/or message files", file=sys.stderr)
        return 2
    asyncio.run(_serve_from_command_line(_server_from_args(args)))
    return 0
