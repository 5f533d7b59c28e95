"""Rows for messages kept in the account's Maildir that the server no longer lists.

When a message leaves the server (expired, deleted by another client, Gmail's "popped"), the
ledger forgets its headers, but the user's copy stays. Its list row is rebuilt from the
Maildir file's own header block (bounded like every header block), so it keeps showing as
long as the file is there, whatever became of the ledger row. Built rows are kept by path,
so a sync reads only the files it has not seen yet.

A ``d`` on such a row is kept here, for this run: the ledger's marks are bound to what the
server lists, and nothing is removed before the user answers the question anyway.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from tui_mail.store.headers import DateRebuilder, bounded_header_block, header_fields
from tui_mail.store.local_copy import LocalCopies, LocalCopy, LocalCopyError
from tui_mail.store.models import MessageSummary

HEAD_LIMIT = 256 * 1024  # bytes of a file read to find its header block


def read_head(path: Path, limit: int = HEAD_LIMIT) -> bytes:
    """The header block of a stored message (up to its blank line), at most ``limit`` bytes."""
    with open(path, "rb") as file:
        data = file.read(limit)
    end = data.find(b"\n\n")
    return data[: end + 1] if end >= 0 else data


def local_head(local: LocalCopies, uid: str) -> bytes | None:
    """The header block of ``uid``'s local copy (for ``h``), or None without a readable one."""
    try:
        path = local.path(uid)
        return None if path is None else bounded_header_block(read_head(path))[0]
    except (OSError, LocalCopyError):
        return None


def local_only_row(copy: LocalCopy, to_date: DateRebuilder | None = None) -> MessageSummary:
    """The list row of a local copy, from its file (a file that cannot be read says so)."""
    to_date = to_date or DateRebuilder()
    try:
        raw = bounded_header_block(read_head(copy.path))[0]
    except OSError as error:
        why = error.strerror or type(error).__name__
        return MessageSummary(
            copy.uid,
            copy.size,
            None,
            "",
            "(local copy cannot be read)",
            not copy.seen,
            problem=f"the local copy cannot be read: {why}",
            local_only=True,
        )
    fields = header_fields(raw)
    return MessageSummary(
        copy.uid,
        copy.size,
        to_date(fields.date_epoch, fields.tz_offset),
        fields.sender,
        fields.subject,
        not copy.seen,
        problem=fields.problem,
        sender_address=fields.sender_address,
        local_only=True,
    )


class LocalOnlyRows:
    """The local-only rows of one store, rebuilt from the files only when a file changed."""

    def __init__(self) -> None:
        self._built: dict[str, tuple[Path, MessageSummary]] = {}
        self.marked: set[str] = set()  # local-only rows marked with d (this run)

    def mark(self, uids: Collection[str], marked: bool) -> None:
        """``d``/``u`` on rows; only those shown as local-only are kept here."""
        if marked:
            self.marked.update(uid for uid in uids if uid in self._built)
        else:
            self.marked.difference_update(uids)

    def forget(self, uid: str) -> None:
        """The local copy was removed."""
        self._built.pop(uid, None)
        self.marked.discard(uid)

    def uids(self, local: LocalCopies, present: Collection[str]) -> set[str]:
        """Keys stored locally that are not among ``present`` (the server's at last sync)."""
        return local.uids().difference(present)

    def rows(self, local: LocalCopies, present: Collection[str]) -> list[MessageSummary]:
        """A row for every local copy whose key the server no longer lists, oldest first."""
        to_date = DateRebuilder()
        built: dict[str, tuple[Path, MessageSummary]] = {}
        for uid in self.uids(local, present):
            copy = local.lookup(uid)
            if copy is None:  # the file is gone (another reader deleted it)
                continue
            known = self._built.get(uid)
            if known is not None and known[0] == copy.path:
                row = known[1]
                if row.unread == copy.seen:  # the S flag changed (here, or in mutt)
                    row = row.with_(unread=not copy.seen)
            else:
                row = local_only_row(copy, to_date)
            built[uid] = (copy.path, row)
        self._built = built
        self.marked.intersection_update(built)
        rows = [
            row.with_(marked_delete=True) if uid in self.marked else row
            for uid, (_, row) in built.items()
        ]
        return sorted(rows, key=_oldest_first)

    def row(self, local: LocalCopies, uid: str) -> MessageSummary | None:
        """The row of one local copy (whether or not the server still lists it)."""
        copy = local.lookup(uid)
        if copy is None:
            return None
        return local_only_row(copy).with_(marked_delete=uid in self.marked)


def _oldest_first(row: MessageSummary) -> tuple[float, str]:
    return (row.date.timestamp() if row.date is not None else 0.0, row.uid)
