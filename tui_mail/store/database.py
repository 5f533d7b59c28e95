"""One SQLite connection with the settings every store relies on.

* WAL journal: readers (the UI) never block the writer (sync), and a kill -9 leaves either
  the last committed transaction or the one before it.
* ``synchronous=FULL``: a commit is on disk before we go on (e.g. before a DELE).
* Foreign keys on: a header row without a ledger row cannot exist.
* Explicit transactions only (``isolation_level=None`` + ``BEGIN IMMEDIATE``), so every
  write is one all-or-nothing unit and a batch is never half applied.
* The file and its ``-wal``/``-shm`` companions are 0600 (SQLite gives the companions the
  database file's mode; we create that file 0600 ourselves and re-check after opening).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

from tui_mail.accounts.paths import PRIVATE_FILE_MODE, ensure_private_file
from tui_mail.store.schema import SCHEMA_VERSION, StoreError, classify_store_error, migrate

BUSY_TIMEOUT = 10.0  # seconds to wait for another process (a cron `check`) to commit


class Database:
    """A connection shared by the store's parts; calls from several threads are serialised."""

    def __init__(self, path: Path, *, schema_version: int = SCHEMA_VERSION) -> None:
        self.path = path
        try:
            ensure_private_file(path)
        except OSError as error:
            raise classify_store_error(error, path) from None
        try:
            self.connection = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise classify_store_error(error, path) from None
        self.lock = threading.RLock()
        try:
            self.connection.execute("PRAGMA foreign_keys = ON")
            mode = self.connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot use write-ahead logging for {path} (got {mode})")
            self.connection.execute("PRAGMA synchronous = FULL")
            migrate(self.connection, schema_version)
        except sqlite3.Error as error:
            self.connection.close()
            raise classify_store_error(error, path) from None
        except BaseException:
            self.connection.close()
            raise
        self.tighten_companions()

    def tighten_companions(self) -> None:
        """Make sure ``-wal`` and ``-shm`` are 0600 whatever created them."""
        for suffix in ("-wal", "-shm", "-journal"):
            companion = self.path.with_name(self.path.name + suffix)
            with contextlib.suppress(FileNotFoundError):
                if stat.S_IMODE(companion.stat().st_mode) != PRIVATE_FILE_MODE:
                    os.chmod(companion, PRIVATE_FILE_MODE)

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed if the block ends normally, else rolled back."""
        with self.lock:
            try:
                self.connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise classify_store_error(error, self.path) from error
            try:
                yield self.connection
                self.connection.execute("COMMIT")
            except BaseException as error:
                with contextlib.suppress(sqlite3.Error):
                    self.connection.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error) and not isinstance(
                    error, sqlite3.IntegrityError
                ):
                    raise classify_store_error(error, self.path) from error
                raise

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs."""
        with self.lock:
            try:
                self.connection.execute("BEGIN")
            except sqlite3.Error as error:
                raise classify_store_error(error, self.path) from error
            try:
                yield self.connection
            except sqlite3.Error as error:
                raise classify_store_error(error, self.path) from error
            finally:
                with contextlib.suppress(sqlite3.Error):
                    self.connection.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self.connection.close()
