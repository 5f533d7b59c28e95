"""A session over a cache we may not write: the list and cached bodies, no marks, no server.

Used when the data directory is read-only (a full or read-only mount, wrong owner): the reader
still opens, shows what it has, and says in words why nothing can change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection

from tui_mail.mail.headers import full_header_lines
from tui_mail.session.events import (
    BodyFailed,
    BodyReady,
    ConnectionState,
    DeletionsApplied,
    HeadersReady,
    ListReplaced,
    LocalCopiesRemoved,
    Notice,
    SessionEvent,
    StateChanged,
    SummariesUpdated,
)
from tui_mail.store.models import MessageSummary
from tui_mail.store.read_only import ReadOnlyCache


class ReadOnlySession:
    """A :class:`~tui_mail.session.control.SessionControl` that changes nothing anywhere."""

    def __init__(self, account_name: str, cache: ReadOnlyCache, reason: str) -> None:
        self.account_name = account_name
        self._cache = cache
        self.reason = reason
        self._report: Callable[[SessionEvent], None] = lambda event: None
        self._stop = asyncio.Event()
        self._rows: dict[str, MessageSummary] = {}

    async def run(self, report: Callable[[SessionEvent], None]) -> None:
        self._report = report
        rows = self._cache.summaries()
        self._rows = {row.uid: row for row in rows}
        report(ListReplaced(rows))
        report(StateChanged(ConnectionState.OFFLINE, f"read-only: {self.reason}"))
        report(Notice(f"Read-only: {self.reason}. Showing the cached mailbox only.", "warning"))
        await self._stop.wait()

    def request_refresh(self) -> None:
        self._report(Notice(f"Read-only ({self.reason}): new mail cannot be fetched."))

    def request_body(self, uid: str) -> None:
        path = self._cache.body_path(uid)
        if path is not None:
            self._report(BodyReady(uid, path))
        else:
            self._report(BodyFailed(uid, f"not in the local cache (read-only: {self.reason})"))

    def cancel_body(self) -> None:
        """Bodies come from the cache at once: there is never a download to cancel."""

    def remove_local(self, uids: Collection[str]) -> None:
        self._report(LocalCopiesRemoved(kept=list(uids), error=f"read-only: {self.reason}"))

    def provide_password(self, password: str | None) -> None:
        """Never asks (it never logs in)."""

    def full_headers(self, uid: str) -> list[str] | None:
        raw = self._cache.raw_headers(uid)
        return None if raw is None else full_header_lines(raw)

    def request_headers(self, uid: str) -> None:
        self._report(HeadersReady(uid, self.full_headers(uid)))

    def set_read(self, uid: str, read: bool) -> None:
        """Shown for this run only: nothing can be written."""

    def set_marked(self, uid: str, marked: bool) -> None:
        row = self._rows.get(uid)
        if marked and row is not None:
            self._report(SummariesUpdated([row.with_(marked_delete=False)]))
            self._report(Notice(f"Read-only ({self.reason}): nothing can be marked or deleted."))

    def apply_deletions(self, *, then_quit: bool, uids: Collection[str] | None = None) -> None:
        self._report(DeletionsApplied(error=f"read-only: {self.reason}"))

    def shutdown(self) -> None:
        self._stop.set()
