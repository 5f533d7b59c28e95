"""The cached mailbox, read without writing a byte: for a data directory we cannot write.

SQLite's ``immutable`` mode reads the file without the ``-shm`` and locks a WAL database needs,
which a read-only directory cannot hold; nobody can write there anyway.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tui_mail.store.models import MessageSummary
from tui_mail.store.schema import classify_store_error
from tui_mail.store.store import _SUMMARY_COLUMNS, DB_NAME, build_summaries

# Columns added since schema 3, as an older store lacks them: what reads in their place.
_LATER_COLUMNS = {"h.problem": "NULL", "h.sender_address": "NULL", "l.arrival": "l.server_order"}


class ReadOnlyCache:
    """The list and the cached bodies of one account's store, never written."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        path = directory / DB_NAME
        self._db: sqlite3.Connection | None = None
        if path.exists():
            try:
                self._db = sqlite3.connect(
                    f"file:{path}?immutable=1", uri=True, check_same_thread=False
                )
                self._db.execute("SELECT COUNT(*) FROM ledger").fetchone()
            except sqlite3.Error as error:
                raise classify_store_error(error, path) from None

    def summaries(self) -> list[MessageSummary]:
        if self._db is None:
            return []
        query = f"SELECT {_SUMMARY_COLUMNS} WHERE l.gone_since IS NULL ORDER BY l.server_order"
        try:
            rows = self._db.execute(query).fetchall()
        except sqlite3.OperationalError:
            # A store from an older version, which cannot be migrated here: the columns
            # added since (problems, schema 4; addresses, schema 5) read as empty, the order
            # of arrival (schema 6) as the last listing's order.
            for column, instead in _LATER_COLUMNS.items():
                query = query.replace(column, instead)
            rows = self._db.execute(query).fetchall()
        return build_summaries(rows)

    def raw_headers(self, uid: str) -> bytes | None:
        """The cached header block of ``uid``, as :meth:`Store.raw_headers`."""
        if self._db is None:
            return None
        row = self._db.execute("SELECT raw FROM raw_headers WHERE uid = ?", (uid,)).fetchone()
        return None if row is None else bytes(row[0])

    def body_path(self, uid: str) -> Path | None:
        if self._db is None:
            return None
        row = self._db.execute("SELECT file_name FROM bodies WHERE uid = ?", (uid,)).fetchone()
        if row is None:
            return None
        path = self.directory / "bodies" / str(row[0])
        return path if path.is_file() else None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
