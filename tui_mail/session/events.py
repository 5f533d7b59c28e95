"""Typed events the session reports upward. The UI wraps each in a Textual ``Message``.

The session layer must not import Textual, so these are plain dataclasses; the UI posts them
into the app (``post_message`` is thread-safe) and never lets a worker touch a widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from tui_mail.store.models import MessageSummary


class ConnectionState(StrEnum):
    """Words the status bar shows; tests read them, keep them stable."""

    OFFLINE = "offline"
    CONNECTING = "connecting"
    ONLINE = "online"
    BUSY = "mailbox busy"
    RETRYING = "retrying"
    IDLE = "idle"  # closed on purpose while nobody used it; reconnects on demand


@dataclass(frozen=True)
class StateChanged:
    state: ConnectionState
    detail: str = ""  # e.g. "TLSv1.3", or the reason for being offline
    retry_in: float | None = None  # seconds to the next try (RETRYING, BUSY) or check (IDLE)


@dataclass(frozen=True)
class ListReplaced:
    """The full list after reconciling with the server (or from the cache at start-up)."""

    summaries: list[MessageSummary]


@dataclass(frozen=True)
class ListChanged:
    """What one sync (or an applied deletion) changed since the rows last reported.

    ``added`` and ``updated`` are whole rows (new UIDs; known UIDs whose row differs),
    ``removed`` UIDs are gone from the server. The UI applies them to its model in place, so a
    sync of a 100,000-message mailbox that changes nothing costs the UI nothing.
    """

    added: list[MessageSummary] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    updated: list[MessageSummary] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.updated)


@dataclass(frozen=True)
class SummariesUpdated:
    """Rows that were added or changed (e.g. headers arrived for new UIDs)."""

    summaries: list[MessageSummary]


@dataclass(frozen=True)
class Progress:
    """Work in progress; ``total`` is None when unknown. ``done == total`` means finished."""

    task: str
    done: int
    total: int | None = None


@dataclass(frozen=True)
class BodyReady:
    uid: str
    path: Path


@dataclass(frozen=True)
class BodyFailed:
    uid: str
    reason: str


@dataclass(frozen=True)
class DeletionsApplied:
    """The outcome of DELE + QUIT. With ``error`` set nothing was deleted; marks are kept.

    ``unknown``: QUIT was sent but its answer never came, so the server may or may not have
    deleted these (RFC 1939); their marks are kept and the next sync says which went.
    ``skipped``: marked, but the server's message no longer matched what was marked (size,
    headers, or an identical copy that is not marked too); left alone, with ``skipped_why``.
    """

    deleted: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    error: str | None = None
    unknown: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    skipped_why: str = ""


@dataclass(frozen=True)
class HeadersReady:
    """Every header field of ``uid``, decoded, from the header cache (None: not cached yet)."""

    uid: str
    lines: list[str] | None


@dataclass(frozen=True)
class Notice:
    """Something the user should read once (e.g. no keyring, weak identity)."""

    text: str
    severity: str = "information"  # information | warning | error


@dataclass(frozen=True)
class PasswordWanted:
    """The session needs a password typed: the server refused the last one, or none is known.

    The UI asks in its own masked dialog and answers with ``provide_password`` (None: stay
    offline with the cached list).
    """

    prompt: str  # "The server refused the password; try again"
    refused: bool = True


@dataclass(frozen=True)
class LocalCopiesRemoved:
    """Answer to ``remove_local``: local-only copies the user confirmed are gone.

    ``kept`` were not removed: the server lists them again (a ``d`` there is a server
    deletion), or the file could not be removed (``error`` says why).
    """

    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    error: str | None = None


SessionEvent = (
    StateChanged
    | PasswordWanted
    | ListReplaced
    | ListChanged
    | SummariesUpdated
    | Progress
    | BodyReady
    | BodyFailed
    | DeletionsApplied
    | LocalCopiesRemoved
    | HeadersReady
    | Notice
)
