"""Cache of whole messages (RETR), one file per UID, bounded by least-recently-used eviction.

File names are a SHA-256 of the UID: UIDs are bytes the server chose and must never become a
path. A body is streamed into a 0600 temp file, fsynced and renamed into place, and only then
recorded in SQLite, so a kill -9 leaves either no body or a complete one; files without a
row (a crash between rename and commit, or during eviction) are swept when the store opens.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from tui_mail.accounts.paths import ensure_private_dir, fsync_dir
from tui_mail.store.database import Database
from tui_mail.store.schema import StoreError, classify_store_error, is_local_storage_error

DEFAULT_BODY_CACHE_BYTES = 512 * 1024 * 1024
TEMP_PREFIX = ".tmp-"
BODY_SUFFIX = ".eml"
SWEEP_MIN_AGE = 3600.0  # never sweep a file this young: another process may be committing it


def body_file_name(uid: str) -> str:
    """A fixed-length, path-safe name for ``uid`` (whatever bytes it holds)."""
    digest = hashlib.sha256(uid.encode("utf-8", "surrogatepass")).hexdigest()
    return digest + BODY_SUFFIX


class BodyCache:
    """Whole messages on disk, readable offline; eviction keeps the total under a limit."""

    def __init__(
        self,
        database: Database,
        directory: Path,
        *,
        limit_bytes: int = DEFAULT_BODY_CACHE_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = database
        self.directory = ensure_private_dir(directory)
        self.limit_bytes = limit_bytes
        self._clock = clock
        self.sweep()

    @contextlib.contextmanager
    def writer(self, uid: str) -> Iterator[BinaryIO]:
        """A sink for one message: ``with cache.writer(uid) as sink: await client.retr(n, sink)``.

        The body becomes visible only if the block ends without an exception; a failed or
        interrupted download leaves the cache as it was.
        """
        try:
            fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.directory)
        except OSError as error:
            raise classify_store_error(error, self.directory) from error
        temp_path = Path(temp_name)
        final_path = self.directory / body_file_name(uid)
        try:
            with os.fdopen(fd, "wb") as sink:
                yield sink
                sink.flush()
                os.fsync(sink.fileno())
                size = sink.tell()
            os.replace(temp_path, final_path)
            fsync_dir(self.directory)
        except BaseException as error:
            with contextlib.suppress(FileNotFoundError):
                temp_path.unlink()
            if is_local_storage_error(error):  # a full disk is said as such, not as a drop
                raise classify_store_error(error, self.directory) from error
            raise
        try:
            with self._db.write() as db:
                db.execute(
                    "INSERT INTO bodies (uid, file_name, size, last_used) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (uid) DO UPDATE SET size = excluded.size, "
                    "last_used = excluded.last_used",
                    (uid, final_path.name, size, self._clock()),
                )
        except BaseException as error:
            with contextlib.suppress(FileNotFoundError):
                final_path.unlink()
            if isinstance(error, sqlite3.IntegrityError):
                raise StoreError(f"no ledger row for UID {uid!r}: reconcile first") from None
            raise
        self.evict(keep=uid)

    def store(self, uid: str, data: bytes) -> Path:
        """Cache ``data`` as the body of ``uid`` (convenience over :meth:`writer`)."""
        with self.writer(uid) as sink:
            sink.write(data)
        return self.directory / body_file_name(uid)

    def path(self, uid: str) -> Path | None:
        """The cached file for ``uid`` (and mark it used), or None if not cached."""
        with self._db.write() as db:
            row = db.execute("SELECT file_name, size FROM bodies WHERE uid = ?", (uid,)).fetchone()
            if row is None:
                return None
            path: Path = self.directory / str(row[0])
            try:
                intact = path.stat().st_size == row[1]
            except FileNotFoundError:
                intact = False
            if not intact:  # removed behind our back: a miss, and forget the row
                db.execute("DELETE FROM bodies WHERE uid = ?", (uid,))
                return None
            db.execute("UPDATE bodies SET last_used = ? WHERE uid = ?", (self._clock(), uid))
        return path

    def read(self, uid: str) -> bytes | None:
        """The cached message bytes, or None."""
        path = self.path(uid)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except FileNotFoundError:  # evicted by another process in between
            return None

    def contains(self, uid: str) -> bool:
        """Whether ``uid`` has a cached body (does not count as a use)."""
        with self._db.lock:
            row = self._db.connection.execute(
                "SELECT 1 FROM bodies WHERE uid = ?", (uid,)
            ).fetchone()
        return row is not None

    def total_bytes(self) -> int:
        with self._db.lock:
            row = self._db.connection.execute("SELECT COALESCE(SUM(size), 0) FROM bodies")
            return int(row.fetchone()[0])

    def discard(self, uids: Iterable[str]) -> None:
        """Drop the bodies of ``uids`` (row first, then file: a crash leaves only an orphan)."""
        uids = list(uids)
        with self._db.write() as db:
            names = self._delete_rows(db, uids)
        self.remove_files(names)

    def evict(self, *, keep: str | None = None) -> int:
        """Remove least recently used bodies until the total fits; returns bytes freed.

        ``keep`` (the body just written) is never evicted, even if alone it exceeds the limit.
        """
        with self._db.write() as db:
            total = int(db.execute("SELECT COALESCE(SUM(size), 0) FROM bodies").fetchone()[0])
            if total <= self.limit_bytes:
                return 0
            victims: list[str] = []
            freed = 0
            for uid, size in db.execute(
                "SELECT uid, size FROM bodies WHERE uid IS NOT ? ORDER BY last_used, uid", (keep,)
            ):
                if total - freed <= self.limit_bytes:
                    break
                victims.append(uid)
                freed += size
            names = self._delete_rows(db, victims)
        self.remove_files(names)
        return freed

    @staticmethod
    def _delete_rows(db: sqlite3.Connection, uids: list[str]) -> list[str]:
        names: list[str] = []
        for uid in uids:
            row = db.execute("DELETE FROM bodies WHERE uid = ? RETURNING file_name", (uid,))
            names.extend(name for (name,) in row.fetchall())
        return names

    def remove_files(self, names: Iterable[str]) -> None:
        """Unlink body files whose rows are already deleted (missing files are fine)."""
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                (self.directory / name).unlink()

    def sweep(self) -> int:
        """Remove stale temp files and files no row refers to; returns how many went."""
        with self._db.lock:
            known = {
                name for (name,) in self._db.connection.execute("SELECT file_name FROM bodies")
            }
        cutoff = time.time() - SWEEP_MIN_AGE  # file times are wall-clock, not our clock
        removed = 0
        for entry in os.scandir(self.directory):
            if entry.name in known or not entry.is_file(follow_symlinks=False):
                continue
            with contextlib.suppress(FileNotFoundError):
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
        return removed
