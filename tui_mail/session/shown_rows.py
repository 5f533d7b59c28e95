"""What the UI was last told about each row, so a sync reports only what changed.

After every sync the session used to send the whole list again (``ListReplaced``) and the UI
rebuilt its model: ~1.6 s on the UI's event loop at 100,000 messages, every five minutes. Now
the session compares the store's rows with these and sends a :class:`ListChanged` of the
difference. Unchanged rows keep the very objects the UI already holds, so this costs a dict,
not a second copy of the mailbox.

The comparison starts from the store's fields as read (:meth:`Store.summary_fields`): a row
whose fields hash as they did when it was last built from them is unchanged, and only the
others are built into rows and compared (building 100,000 rows to drop them again held the
session's thread, and through the GIL the UI's, for ~0.5 s per sync). A row the UI learnt
otherwise (headers fetched, a mark) has no such hash and is compared in full. Two different
sets of fields with one 64-bit hash would leave one row stale until it changes again: that
is the whole risk, and it is smaller than a disk's silent error rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tui_mail.keys_first import paced
from tui_mail.session.events import ListChanged
from tui_mail.store.models import MessageSummary

Fields = tuple[Any, ...]  # one row of Store.summary_fields()[0]; the key first


class ShownRows:
    """The rows as reported to the UI, by UID (touched only by the session's own thread)."""

    def __init__(self) -> None:
        self._rows: dict[str, MessageSummary] = {}
        self._hashes: dict[str, int] = {}  # UID -> hash of the fields its row was built from

    def __len__(self) -> int:
        return len(self._rows)

    def replace(self, rows: Iterable[MessageSummary], fields: Sequence[Fields] = ()) -> None:
        """The UI was sent the whole list (``ListReplaced``), built from ``fields`` (if any)."""
        self._rows = {row.uid: row for row in rows}
        self._hashes = {item[0]: hash(item) for item in fields}

    def note(self, rows: Iterable[MessageSummary]) -> None:
        """The UI was sent these rows (``SummariesUpdated``)."""
        for row in rows:
            self._rows[row.uid] = row
            self._hashes.pop(row.uid, None)

    def forget(self, uids: Iterable[str]) -> None:
        """The UI dropped these rows itself (deleted at the server)."""
        for uid in uids:
            self._rows.pop(uid, None)
            self._hashes.pop(uid, None)

    def edit(self, uid: str, **changes: object) -> MessageSummary | None:
        """The UI changed a row itself (read, marked): the next diff must not undo it."""
        row = self._rows.get(uid)
        if row is not None:
            row = self._rows[uid] = row.with_(**changes)
            self._hashes.pop(uid, None)
        return row

    def diff_fields(
        self,
        fields: Sequence[Fields],
        build: Callable[[list[Fields]], list[MessageSummary]],
        extra: Iterable[MessageSummary] = (),
    ) -> ListChanged:
        """What turns the shown rows into ``build(fields)`` plus ``extra`` (every row now),
        building only the rows whose fields changed; remembers the result."""
        old = self._rows
        known = self._hashes
        hashes: dict[str, int] = {}
        rows: dict[str, MessageSummary] = {}
        changed: list[Fields] = []
        for item in paced(fields):
            uid = item[0]
            digest = hash(item)
            hashes[uid] = digest
            if known.get(uid) == digest:
                rows[uid] = old[uid]
            else:
                changed.append(item)
        added: list[MessageSummary] = []
        updated: list[MessageSummary] = []
        for row in paced([*build(changed), *extra]):
            uid = row.uid
            before = old.get(uid)
            if before is None:
                added.append(row)
            elif before == row:
                row = before  # keep the object the UI holds; the copy is dropped
            else:
                updated.append(row)
            rows[uid] = row
        removed = [uid for uid in paced(old) if uid not in rows]
        self._rows, self._hashes = rows, hashes
        return ListChanged(added=added, removed=removed, updated=updated)
