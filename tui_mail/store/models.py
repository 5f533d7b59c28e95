"""Plain data shared by the store, the session and the UI (no I/O, no Textual)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """One row of the message list, built from the header cache and the UIDL ledger.

    ``sender`` and ``subject`` are already decoded *and sanitised* (tui_mail.mail), so any
    layer may display them as plain text (never as markup).
    """

    uid: str
    size: int
    date: datetime | None  # timezone-aware; None when the Date header is missing or broken
    sender: str
    subject: str
    unread: bool
    marked_delete: bool = False
    # Order of arrival, as the server listed it: increasing with the listing, and kept while
    # the message stays, so a renumbering (another client deleted older mail) changes no
    # row. Not a message number: those belong to one session (session/identity.py).
    arrival: int = 0
    headers_loaded: bool = True  # False while only UIDL/LIST is known (TOP still pending)
    problem: str = ""  # what could not be read in this message ("" when nothing), in words
    sender_address: str = ""  # the From address (``sender`` is its display name when there is one)
    local_only: bool = False  # kept in the account's Maildir, no longer listed by the server

    def with_(self, **changes: object) -> MessageSummary:
        """Return a copy with some fields changed (frozen dataclasses cannot be edited)."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Mark:
    """A deletion mark: the row's key, the server's UID, and what the user saw then."""

    key: str
    server_uid: str
    size: int
    fingerprint: str | None  # None when the headers had not arrived when it was marked
