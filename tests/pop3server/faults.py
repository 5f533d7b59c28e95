"""How the POP3 test server misbehaves on request: the broken servers a client meets for real.

Everything here is a plain frozen dataclass so a test states its scenario in one expression::

    Faults(no_pipelining=True, drops=(DropFault("RETR", partial_bytes=500),))
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Pseudo-command naming the greeting, so the greeting itself can fail, drop or stall.
CONNECT = "CONNECT"

#: Human texts Dovecot-like servers send with each response code.
DEFAULT_ERROR_TEXTS = {
    "AUTH": "Authentication failed.",
    "IN-USE": "Mailbox is locked by another POP3 session.",
    "LOGIN-DELAY": "Logged in too recently, try again later.",
    "SYS/TEMP": "Temporary server failure, try again later.",
    "SYS/PERM": "Permanent server failure.",
    "UTF8": "This mailbox needs UTF8 mode.",
}


@dataclass(frozen=True)
class At:
    """Where a fault fires: a command verb, its n-th use in a session, in which session.

    ``occurrence`` and ``session`` count from 1; 0 means "every time" / "every session".
    """

    command: str
    occurrence: int = 1
    session: int = 0

    def matches(self, verb: str, occurrence: int, session: int) -> bool:
        """Whether a command seen ``occurrence`` times in session ``session`` triggers this."""
        return (
            self.command.upper() == verb
            and self.occurrence in (0, occurrence)
            and self.session in (0, session)
        )


@dataclass(frozen=True, kw_only=True)
class ErrorFault(At):
    """Answer ``-ERR [code] text`` instead of doing the command (code may be None)."""

    code: str | None = "SYS/TEMP"
    text: str | None = None

    def response(self) -> str:
        """The -ERR line to send, without CRLF."""
        text = (
            self.text
            if self.text is not None
            else DEFAULT_ERROR_TEXTS.get(self.code or "", "Command failed.")
        )
        return f"-ERR [{self.code}] {text}" if self.code else f"-ERR {text}"


@dataclass(frozen=True, kw_only=True)
class DropFault(At):
    """Close the connection at the command instead of answering it.

    ``server_text`` sends an unsolicited ``-ERR`` line first (a server shutting down);
    ``partial_bytes`` sends that many bytes of the real response first (a drop mid-RETR).
    """

    server_text: str | None = None
    partial_bytes: int | None = None


#: Commands whose answer is multi-line (when sent without a message number, for LIST/UIDL).
MULTILINE_VERBS = frozenset({"CAPA", "LIST", "UIDL", "TOP", "RETR"})


@dataclass(frozen=True, kw_only=True)
class FloodFault(At):
    """Answer ``+OK`` then ``line`` over and over: a server that never stops talking.

    Multi-line answers (CAPA, LIST, UIDL, TOP, RETR) repeat ``line`` + CRLF without ever
    sending the terminating dot; every other point (CONNECT included) gets one status line
    that never ends. ``rate`` (bytes per second) makes it a slow trickle instead of a flood;
    ``total`` stops after that many bytes (then a multi-line answer is terminated properly: a
    huge but finite answer).
    """

    line: bytes = b"X" * 70
    rate: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class Faults:
    """Every way the test server can misbehave; the default is a well-behaved server."""

    no_capa: bool = False
    """CAPA answers -ERR (an RFC 1939-only server)."""
    no_uidl: bool = False
    """UIDL is neither advertised nor accepted."""
    no_top: bool = False
    """TOP is neither advertised nor accepted."""
    no_pipelining: bool = False
    """PIPELINING is not advertised (commands are still answered in order)."""
    late_capabilities: bool = False
    """TOP, UIDL and PIPELINING are advertised only after login (as Gmail does)."""
    odd_uidl_spacing: bool = False
    """UIDL lines carry several spaces after the number and a trailing space."""
    long_uids: bool = False
    """UIDs are stretched past the 70 characters RFC 1939 allows."""
    long_line: int = 0
    """If > 0, every message gets an extra header line of this many octets (e.g. 200_000)."""
    no_apop: bool = False
    """The greeting carries no <timestamp>, so APOP is impossible."""
    errors: tuple[ErrorFault, ...] = ()
    drops: tuple[DropFault, ...] = ()
    stalls: tuple[At, ...] = field(default=())
    """At these commands the server reads on but never answers."""
    floods: tuple[FloodFault, ...] = ()
    """At these points the server answers endlessly (or hugely, or slowly)."""
    listed_sizes: tuple[tuple[int, str], ...] = ()
    """(message number, size text) that LIST announces instead of the real size: a lie
    (``"154"`` for a 1 MB message), or nonsense (``"9" * 5000``)."""
