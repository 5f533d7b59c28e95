"""What the UI may ask of the session: a narrow, non-blocking interface.

Every method only enqueues a command and returns at once; results come back as
:mod:`tui_mail.session.events` through the ``report`` callback given to :meth:`run`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Protocol

from tui_mail.session.events import SessionEvent


class SessionControl(Protocol):
    """The session owns the only POP3 connection; the UI never waits on the network."""

    account_name: str

    async def run(self, report: Callable[[SessionEvent], None]) -> None:
        """Until :meth:`shutdown`: report the cached list, connect, reconcile, serve commands."""

    def request_refresh(self) -> None:
        """Look for new mail now (reconnects: a POP3 maildrop is a per-session snapshot)."""

    def request_body(self, uid: str) -> None:
        """Make the body available: from the cache, else RETR; answers BodyReady/BodyFailed."""

    def cancel_body(self) -> None:
        """Stop the download under way (Esc): nothing is kept of it, the session reconnects.

        Opening another message cancels a large download by itself.
        """

    def request_headers(self, uid: str) -> None:
        """Every header field of ``uid`` from the local header cache (no download): answers
        HeadersReady, whose ``lines`` are None when its headers are not cached yet."""

    def set_read(self, uid: str, read: bool) -> None:
        """Record read/unread locally (never touches the server)."""

    def set_marked(self, uid: str, marked: bool) -> None:
        """Mark or unmark for deletion, persisted by UID at once (survives a crash)."""

    def apply_deletions(self, *, then_quit: bool, uids: Collection[str] | None = None) -> None:
        """UIDL again, DELE only marked messages found unchanged in this session, QUIT.

        ``uids`` is the set the user confirmed ("Delete N messages?" counted it): only marks
        in it are applied. Answers DeletionsApplied. With ``then_quit=False`` the session
        reconnects afterwards (mutt's ``$``).
        """

    def remove_local(self, uids: Collection[str]) -> None:
        """Delete the local copies of these local-only messages (the user confirmed them).

        Never touches the server; a UID the server lists again is kept. Answers
        LocalCopiesRemoved.
        """

    def provide_password(self, password: str | None) -> None:
        """Answer a :class:`~tui_mail.session.events.PasswordWanted`: log in with it now.

        None means the user declined: stay offline (cached list and bodies stay usable).
        """

    def shutdown(self) -> None:
        """End without deleting anything: close the connection without QUIT."""
