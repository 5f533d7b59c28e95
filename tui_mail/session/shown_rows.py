"""What the UI was last told about each row, so a sync reports only what changed.

After every sync the session used to send the whole list again (``ListReplaced``) and the UI
rebuilt its model: ~1.6 s on the UI's event loop at 100,000 messages, every five minutes. Now
the session compares the store's rows with these and sends a :class:`ListChanged` of the
difference. Unchanged rows keep the very objects the UI already holds (the fresh copies are
dropped), so this costs a dict, not a second copy of the mailbox.
"""

from __future__ import annotations

from collections.abc import Iterable

from tui_mail.session.events import ListChanged
from tui_mail.store.models import MessageSummary


class ShownRows:
    """The rows as reported to the UI, by UID (touched only by the session's own thread)."""

    def __init__(self) -> None:
        self._rows: dict[str, MessageSummary] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def replace(self, rows: Iterable[MessageSummary]) -> None:
        """The UI was sent the whole list (``ListReplaced``)."""
        self._rows = {row.uid: row for row in rows}

    def note(self, rows: Iterable[MessageSummary]) -> None:
        """The UI was sent these rows (``SummariesUpdated``)."""
        self._rows.update((row.uid, row) for row in rows)

    def forget(self, uids: Iterable[str]) -> None:
        """The UI dropped these rows itself (deleted at the server)."""
        for uid in uids:
            self._rows.pop(uid, None)

    def edit(self, uid: str, **changes: object) -> None:
        """The UI changed a row itself (read, marked): the next diff must not undo it."""
        row = self._rows.get(uid)
        if row is not None:
            self._rows[uid] = row.with_(**changes)

    def diff(self, fresh: Iterable[MessageSummary]) -> ListChanged:
        """What turns the shown rows into ``fresh`` (the store's rows now); remembers them."""
        old = self._rows
        rows: dict[str, MessageSummary] = {}
        added: list[MessageSummary] = []
        updated: list[MessageSummary] = []
        for row in fresh:
            uid = row.uid
            before = old.get(uid)
            if before is None:
                added.append(row)
            elif before == row:
                row = before  # keep the object the UI holds; the copy is dropped
            else:
                updated.append(row)
            rows[uid] = row
        removed = [uid for uid in old if uid not in rows]
        self._rows = rows
        return ListChanged(added=added, removed=removed, updated=updated)
