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
import signal
import ssl
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from tests.pop3server.auth import MECHANISMS, Credentials
from tests.pop3server.faults import CONNECT, At, DropFault, ErrorFault, Faults, FloodFault
from tests.pop3server.mailbox import Mailbox, StoredMessage
from tests.pop3server.session import ServerSettings, Session, SessionRecord
from tui_mail.demo.listener import LoopbackListener
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


class POP3TestServer(LoopbackListener):
    """One listening port serving one account; see the module docstring for the shape of use.

    ``tls`` is ``"none"`` (plain, no STLS), ``"starttls"`` (plain, STLS offered) or
    ``"implicit"`` (TLS from the first byte); the last two need a server ``ssl_context``.
    ``faults`` may be replaced between connections; each session uses the value it met.
    """

    thread_name = "pop3-testserver"

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
        super().__init__(port)
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

    # The listener's hooks

    def listening_tls(self) -> ssl.SSLContext | None:
        """TLS from the first byte only for ``tls="implicit"`` (STLS upgrades in the session)."""
        return self._ssl_context if self.tls == "implicit" else None

    async def serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """One session with the faults of the moment, recorded in ``sessions``."""
        record = SessionRecord(number=len(self.sessions) + 1, encrypted=self.tls == "implicit")
        self.sessions.append(record)
        await Session(self._settings, self.faults, reader, writer, record).run()


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
