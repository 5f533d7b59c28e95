"""The message list's data: rows by UID, one sort order, one filter, and the counts.

Kept free of widgets so it can be tested and measured alone. Rows live in a list of sort keys
that each end with the UID (so every key is unique and the order total); small batches of
updated rows are moved with ``bisect``, large ones (a sync that adds or removes thousands) are
sorted among themselves and merged into the kept keys in one pass (timsort merges two sorted
runs in linear time), so no change re-sorts 100,000 rows or recomputes their keys.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from tui_mail.store.models import MessageSummary

SortKey = tuple[Any, ...]

LOCAL_FILTER = "~l"  # a filter word (casefolded ~L): only the local-only rows
_NO_DATE = float("inf")  # sorts after every real (negated) timestamp: undated rows go last


class SortOrder(StrEnum):
    """The orders ``o`` cycles through; the values are the words the header line shows."""

    DATE = "date"
    SENDER = "sender"
    SIZE = "size"
    SERVER = "server order"

    def next(self) -> SortOrder:
        members = list(SortOrder)
        return members[(members.index(self) + 1) % len(members)]


def sort_key(row: MessageSummary, order: SortOrder) -> SortKey:
    """Newest first within every order; the UID last makes each key unique."""
    newest_first = -row.date.timestamp() if row.date is not None else _NO_DATE
    if order is SortOrder.DATE:
        return (newest_first, -row.arrival, row.uid)
    if order is SortOrder.SENDER:
        return (row.sender.casefold(), newest_first, row.uid)
    if order is SortOrder.SIZE:
        return (-row.size, newest_first, row.uid)
    return (-row.arrival, row.uid)


class MessageListModel:
    """Sorted, filtered rows with O(log n) lookup of a UID's position."""

    # One row at a time costs two memmoves of the key list per row, a merge one pass over it:
    # batches larger than 1/BULK_FRACTION of the list merge (crossover measured at ~200 rows
    # of 100,000).
    BULK_FRACTION = 500

    def __init__(self, order: SortOrder = SortOrder.DATE) -> None:
        self._order = order
        self._rows: dict[str, MessageSummary] = {}
        self._keys: dict[str, SortKey] = {}
        self._sorted: list[SortKey] = []
        self._visible: list[SortKey] = self._sorted
        self._needle = ""
        self._haystacks: dict[str, str] = {}
        self._unread = 0
        self._marked = 0
        self._local = 0
        self._words = ""  # the filter without its ~L
        self._local_filter = False  # ~L: only messages kept here that the server no longer has
        self.tags: set[str] = set()  # UIDs tagged with t/T (UI only; see ui/tagging.py)

    # -- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        """Rows shown (after the filter)."""
        return len(self._visible)

    @property
    def order(self) -> SortOrder:
        return self._order

    @property
    def filter_text(self) -> str:
        return self._needle

    @property
    def total(self) -> int:
        return len(self._rows)

    @property
    def unread(self) -> int:
        return self._unread

    @property
    def marked(self) -> int:
        return self._marked

    @property
    def local_only(self) -> int:
        """Rows only on this machine (the server no longer lists them)."""
        return self._local

    def uid_at(self, index: int) -> str:
        return str(self._visible[index][-1])

    def row_at(self, index: int) -> MessageSummary:
        return self._rows[self.uid_at(index)]

    def get(self, uid: str) -> MessageSummary | None:
        return self._rows.get(uid)

    def index_of(self, uid: str) -> int | None:
        """Position of ``uid`` among the shown rows, or None if absent or filtered out."""
        key = self._keys.get(uid)
        if key is None:
            return None
        index = bisect.bisect_left(self._visible, key)
        if index < len(self._visible) and self._visible[index] == key:
            return index
        return None

    def marked_uids(self) -> list[str]:
        return [uid for uid, row in self._rows.items() if row.marked_delete]

    def marked_split(self) -> tuple[list[str], list[str]]:
        """The marked rows: (on the server, only local copies), for "Delete 3 ... and 2 ..."."""
        server: list[str] = []
        local: list[str] = []
        for uid, row in self._rows.items():
            if row.marked_delete:
                (local if row.local_only else server).append(uid)
        return server, local

    # -- writing -----------------------------------------------------------------------------

    def replace_all(self, rows: Iterable[MessageSummary]) -> None:
        self._rows = {row.uid: row for row in rows}
        self._haystacks.clear()
        self._rebuild()

    def update(self, rows: list[MessageSummary]) -> None:
        """Add or change rows, moving only those whose sort position changed."""
        self.apply(rows, ())

    def apply(self, changed: list[MessageSummary], removed: Iterable[str]) -> None:
        """One sync's changes: drop ``removed``, then add or change ``changed``.

        The result equals :meth:`replace_all` of the same rows, in the same order and filter.
        """
        gone = [uid for uid in dict.fromkeys(removed) if uid in self._rows]
        if (len(changed) + len(gone)) * self.BULK_FRACTION > len(self._rows) + 64:
            self._merge_batch(changed, gone)
            return
        self.remove(gone)
        for row in changed:
            self._update_one(row)

    def remove(self, uids: Iterable[str]) -> None:
        uids = list(uids)
        if len(uids) * self.BULK_FRACTION > len(self._rows) + 64:
            self._merge_batch([], uids)
            return
        for uid in uids:
            row = self._rows.pop(uid, None)
            if row is None:
                continue
            self._count(row, -1)
            self._haystacks.pop(uid, None)
            key = self._keys.pop(uid)
            self._discard(self._sorted, key)
            if self._visible is not self._sorted:
                self._discard(self._visible, key)

    def set_order(self, order: SortOrder) -> None:
        if order is not self._order:
            self._order = order
            self._resort()

    def set_filter(self, text: str) -> None:
        """Show only rows whose sender's name or address, or subject, contains ``text``.

        Case-insensitive, as mutt's ``~f``/``~s`` patterns: ``/carol@`` finds Carol's mail.
        ``~L`` among the words keeps only the messages kept here that the server no longer
        has (``/~L carol``).
        """
        needle = text.casefold()
        if needle == self._needle:
            return
        self._needle = needle
        words = needle.split()
        self._local_filter = LOCAL_FILTER in words
        self._words = " ".join(word for word in words if word != LOCAL_FILTER)
        if not self._local_filter:
            self._words = needle
        self._apply_filter()

    # -- internals ---------------------------------------------------------------------------

    def _rebuild(self) -> None:
        self._unread = sum(1 for row in self._rows.values() if row.unread)
        self._marked = sum(1 for row in self._rows.values() if row.marked_delete)
        self._local = sum(1 for row in self._rows.values() if row.local_only)
        self._resort()

    def _resort(self) -> None:
        order = self._order
        self._keys = {uid: sort_key(row, order) for uid, row in self._rows.items()}
        self._sorted = sorted(self._keys.values())
        self._apply_filter()

    def _apply_filter(self) -> None:
        if not self._needle:
            self._visible = self._sorted
            return
        self._visible = [key for key in self._sorted if self._matches(str(key[-1]))]

    def _matches(self, uid: str) -> bool:
        if self._local_filter and not self._rows[uid].local_only:
            return False
        haystack = self._haystacks.get(uid)
        if haystack is None:
            row = self._rows[uid]
            haystack = f"{row.sender}\n{row.sender_address}\n{row.subject}".casefold()
            self._haystacks[uid] = haystack
        return self._words in haystack

    def _update_one(self, row: MessageSummary) -> None:
        uid = row.uid
        old = self._rows.get(uid)
        filtering = self._visible is not self._sorted
        was_shown = filtering and old is not None and self._matches(uid)
        if old is not None and (old.sender, old.sender_address, old.subject) != (
            row.sender,
            row.sender_address,
            row.subject,
        ):
            self._haystacks.pop(uid, None)
        self._count(old, -1)
        self._count(row, +1)
        self._rows[uid] = row
        new_key = sort_key(row, self._order)
        old_key = self._keys.get(uid)
        if old_key != new_key:
            if old_key is not None:
                self._discard(self._sorted, old_key)
            bisect.insort(self._sorted, new_key)
            self._keys[uid] = new_key
        if filtering:
            now_shown = self._matches(uid)
            if was_shown and (not now_shown or old_key != new_key) and old_key is not None:
                self._discard(self._visible, old_key)
            if now_shown and (not was_shown or old_key != new_key):
                bisect.insort(self._visible, new_key)

    def _merge_batch(self, changed: list[MessageSummary], removed: list[str]) -> None:
        """Apply a large batch in O(n + m log m): filter out the old keys, merge the new."""
        order = self._order
        moved: set[str] = set()  # UIDs whose old key leaves the sorted list
        touched: set[str] = set()  # UIDs whose visibility must be decided again
        for uid in removed:
            row = self._rows.pop(uid, None)
            if row is None:
                continue
            self._count(row, -1)
            self._haystacks.pop(uid, None)
            del self._keys[uid]
            moved.add(uid)
            touched.add(uid)
        latest = {row.uid: row for row in changed}
        fresh: list[SortKey] = []
        for uid, row in latest.items():
            old = self._rows.get(uid)
            self._count(old, -1)
            self._count(row, +1)
            self._rows[uid] = row
            if old is not None and (old.sender, old.sender_address, old.subject) != (
                row.sender,
                row.sender_address,
                row.subject,
            ):
                self._haystacks.pop(uid, None)
            touched.add(uid)
            key = sort_key(row, order)
            if self._keys.get(uid) != key:
                if uid in self._keys:
                    moved.add(uid)
                self._keys[uid] = key
                fresh.append(key)
        filtering = self._visible is not self._sorted
        old_visible = self._visible
        self._sorted = _merged(self._sorted, moved, fresh)
        if not filtering:
            self._visible = self._sorted
            return
        shown = [self._keys[uid] for uid in latest if self._matches(uid)]
        self._visible = _merged(old_visible, touched, shown)

    def _count(self, row: MessageSummary | None, sign: int) -> None:
        if row is None:
            return
        self._unread += sign * row.unread
        self._marked += sign * row.marked_delete
        self._local += sign * row.local_only

    @staticmethod
    def _discard(keys: list[SortKey], key: SortKey) -> None:
        index = bisect.bisect_left(keys, key)
        if index < len(keys) and keys[index] == key:
            del keys[index]


def _merged(keys: list[SortKey], leaving: set[str], arriving: list[SortKey]) -> list[SortKey]:
    """``keys`` without those of the ``leaving`` UIDs, plus ``arriving``, in order."""
    kept = [key for key in keys if key[-1] not in leaving] if leaving else list(keys)
    if arriving:
        arriving.sort()
        kept.extend(arriving)
        kept.sort()  # two sorted runs: timsort merges them in one linear pass
    return kept
