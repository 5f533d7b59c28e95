"""The user's own copy of their mail: every downloaded message, once, in the account's Maildir.

A message is stored byte for byte as the server sent it (dot-unstuffed, CRLF made LF as
Maildir readers expect, no header added), through ``tmp/`` -> fsync -> ``new/`` (unread) or
``cur/...:2,S`` (read) -> fsync of the directory. Only then does the ledger (a small SQLite
file in the Maildir's root, next to the mail it describes, so repairing the header cache
never forgets what is stored) record it. A kill between the rename and the ledger write
leaves a file without a row: the next time that message is downloaded its content hash
finds the file, which is adopted instead of stored twice.

Nothing here is ever evicted: a local copy goes only when the user deletes the message.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tui_mail.accounts.paths import PRIVATE_FILE_MODE, ensure_private_file, fsync_dir
from tui_mail.store.maildir import Maildir, unique_name
from tui_mail.store.schema import StoreError, classify_store_error

LEDGER_NAME = ".tui-mail-local.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS copies (
    mailbox   TEXT NOT NULL,   -- host, port and user of the server the message came from
    uid       TEXT NOT NULL,   -- the store's key for it (server UID, or UID + copy number)
    name      TEXT NOT NULL,   -- file name in new/ or cur/ without the ":2,FLAGS" part
    file      TEXT NOT NULL,   -- where it was last seen: "new/NAME" or "cur/NAME:2,FLAGS"
    size      INTEGER NOT NULL,
    sha256    TEXT NOT NULL,
    stored_at REAL NOT NULL,
    PRIMARY KEY (mailbox, uid)
);
CREATE INDEX IF NOT EXISTS copies_by_hash ON copies (sha256);
"""


class LocalCopyError(StoreError):
    """The local copy could not be written or read (full disk, permissions); says where."""


@dataclass(frozen=True)
class LocalCopy:
    """One stored message. ``path`` is where it is now (a reader may have moved it)."""

    uid: str
    path: Path
    size: int
    sha256: str
    stored_at: float
    seen: bool


class _LfWriter:
    """A sink that turns CRLF into LF on the way to disk, hashing what it writes."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._pending_cr = False
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        if self._pending_cr:
            data = b"\r" + data
            self._pending_cr = False
        if data.endswith(b"\r"):
            data = data[:-1]
            self._pending_cr = True
        out = data.replace(b"\r\n", b"\n")
        self._raw.write(out)
        self.digest.update(out)
        self.size += len(out)
        return len(data)

    def finish(self) -> None:
        if self._pending_cr:  # a lone CR at the very end stays as it was
            self._raw.write(b"\r")
            self.digest.update(b"\r")
            self.size += 1
            self._pending_cr = False


def to_lf(data: bytes) -> bytes:
    """The bytes a local copy of ``data`` (as RETR gave it) holds."""
    return data.replace(b"\r\n", b"\n")


class LocalCopies:
    """The stored messages of one server login inside one Maildir."""

    def __init__(self, root: Path, mailbox: str, *, clock: Callable[[], float] = time.time) -> None:
        self.maildir = Maildir(root)
        self.mailbox = mailbox
        self._clock = clock
        try:
            self.maildir.ensure()
            self.maildir.sweep_tmp(clock())
            ledger = root / LEDGER_NAME
            ensure_private_file(ledger)
            self._db = sqlite3.connect(
                ledger, timeout=10.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            for companion in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(f"{ledger}{companion}", PRIVATE_FILE_MODE)
        except (OSError, sqlite3.Error) as error:
            raise LocalCopyError(f"cannot open the local mail in {root}: {error}") from None
        self._orphans: dict[str, Path] | None = None  # sha256 -> file with no ledger row

    def close(self) -> None:
        self._db.close()

    # -- reading -------------------------------------------------------------------------

    def uids(self) -> set[str]:
        """Every key with a local copy."""
        rows = self._db.execute("SELECT uid FROM copies WHERE mailbox = ?", (self.mailbox,))
        return {str(uid) for (uid,) in rows}

    def count(self) -> int:
        (count,) = self._db.execute(
            "SELECT count(*) FROM copies WHERE mailbox = ?", (self.mailbox,)
        ).fetchone()
        return int(count)

    def lookup(self, uid: str) -> LocalCopy | None:
        """The copy of ``uid`` if its file is still there (wherever a reader moved it)."""
        row = self._db.execute(
            "SELECT name, file, size, sha256, stored_at FROM copies WHERE mailbox = ? AND uid = ?",
            (self.mailbox, uid),
        ).fetchone()
        if row is None:
            return None
        name, file = str(row[0]), str(row[1])
        path = self.maildir.root / file
        if not path.exists():  # another mail reader renamed it (flags) or moved it
            found = self._find(name)
            if found is None:
                return None
            path = found
            self._moved(uid, path)
        flags = path.name.partition(":2,")[2]
        return LocalCopy(uid, path, int(row[2]), str(row[3]), float(row[4]), "S" in flags)

    def copies(self) -> list[LocalCopy]:
        """Every copy whose file is there, for retention and export."""
        rows = self._db.execute(
            "SELECT uid FROM copies WHERE mailbox = ? ORDER BY stored_at", (self.mailbox,)
        ).fetchall()
        found = (self.lookup(str(uid)) for (uid,) in rows)
        return [copy for copy in found if copy is not None]

    def path(self, uid: str) -> Path | None:
        copy = self.lookup(uid)
        return None if copy is None else copy.path

    def read(self, uid: str) -> bytes | None:
        path = self.path(uid)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError:
            return None

    def intact(self, copy: LocalCopy) -> bool:
        """Whether the file is there, readable and of the size recorded (before any DELE)."""
        try:
            with open(copy.path, "rb") as file:
                return os.fstat(file.fileno()).st_size == copy.size and (
                    copy.size == 0 or len(file.read(1)) == 1
                )
        except OSError:
            return False

    def _find(self, name: str) -> Path | None:
        new = self.maildir.root / "new" / name
        if new.exists():
            return new
        cur = self.maildir.root / "cur"
        try:
            for entry in os.scandir(cur):
                if entry.name == name or entry.name.startswith(name + ":"):
                    return Path(entry.path)
        except FileNotFoundError:
            pass
        return None

    def _moved(self, uid: str, path: Path) -> None:
        file = f"{path.parent.name}/{path.name}"
        with contextlib.suppress(LocalCopyError), self._write() as db:
            db.execute(
                "UPDATE copies SET file = ? WHERE mailbox = ? AND uid = ?",
                (file, self.mailbox, uid),
            )

    # -- writing -------------------------------------------------------------------------

    def store(self, uid: str, data: bytes, *, seen: bool = False) -> LocalCopy:
        """Store a whole message (as RETR gave it) durably; see :meth:`writer`."""
        with self.writer(uid, seen=seen) as sink:
            sink.write(data)
        copy = self.lookup(uid)
        assert copy is not None
        return copy

    def store_many(self, batch: Sequence[tuple[str, bytes, bool]]) -> int:
        """Store whole messages ``(uid, data as RETR gave it, seen)``; how many were new.

        Each file is fsynced and renamed into place, the directories are fsynced once, then
        one transaction records them all: a kill in between leaves whole files without rows,
        which the next run adopts by their hash. One commit per batch, not per message.
        """
        placed: list[tuple[str, str, Path, int, str]] = []
        failure: BaseException | None = None
        try:
            for uid, data, seen in batch:
                if self.lookup(uid) is None:
                    placed.append(self._place(uid, to_lf(data), seen))
        except BaseException as error:  # keep what is already placed, then say why
            failure = error
        with contextlib.suppress(OSError):
            for directory in {target.parent for _, _, target, _, _ in placed}:
                fsync_dir(directory)
        if placed:
            checkpoint("renamed")
            self._record(placed)
            checkpoint("recorded")
        if failure is not None:
            if isinstance(failure, OSError):
                raise self._error(failure) from None
            raise failure
        return len(placed)

    def _place(self, uid: str, data: bytes, seen: bool) -> tuple[str, str, Path, int, str]:
        """Write one file durably and rename it into place (its directory not fsynced yet)."""
        name = unique_name()
        temp = self.maildir.root / "tmp" / name
        fd = create_private(temp)
        try:
            with os.fdopen(fd, "wb") as raw:
                raw.write(data)
                raw.flush()
                os.fsync(raw.fileno())
            checkpoint("file-written")
            sha256 = hashlib.sha256(data).hexdigest()
            name, target = self._settle(temp, name, sha256, seen)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        return uid, name, target, len(data), sha256

    def _record(self, placed: Sequence[tuple[str, str, Path, int, str]]) -> None:
        now = self._clock()
        with self._write() as db:
            db.executemany(
                "INSERT INTO copies (mailbox, uid, name, file, size, sha256, stored_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (self.mailbox, uid, name, f"{path.parent.name}/{path.name}", size, sha, now)
                    for uid, name, path, size, sha in placed
                ),
            )
        if self._orphans is not None:
            for _, _, _, _, sha in placed:
                self._orphans.pop(sha, None)

    @contextlib.contextmanager
    def writer(self, uid: str, *, seen: bool = False) -> Iterator[BinaryIO]:
        """A sink for one message as RETR streams it; durable and recorded when the block ends.

        An exception in the block (a dropped connection, a full disk) leaves nothing behind.
        A file with the same content and no ledger row (an earlier run killed after its
        rename) is adopted instead of writing a second copy.
        """
        if self.lookup(uid) is not None:
            raise LocalCopyError(f"{uid!r} is already stored")
        name = unique_name()
        temp = self.maildir.root / "tmp" / name
        try:
            fd = create_private(temp)
        except OSError as error:
            raise self._error(error) from None
        try:
            with os.fdopen(fd, "wb") as raw:
                sink = _LfWriter(raw)
                yield sink  # type: ignore[misc]  # duck-typed: write() is all RETR uses
                sink.finish()
                raw.flush()
                os.fsync(raw.fileno())
            checkpoint("file-written")
            sha256 = sink.digest.hexdigest()
            name, target = self._settle(temp, name, sha256, seen)
            fsync_dir(target.parent)
            checkpoint("renamed")
        except BaseException as error:
            with contextlib.suppress(OSError):
                temp.unlink()
            if isinstance(error, OSError):
                raise self._error(error) from None
            raise
        self._record([(uid, name, target, sink.size, sha256)])
        checkpoint("recorded")

    def _settle(self, temp: Path, name: str, sha256: str, seen: bool) -> tuple[str, Path]:
        """Put a fsynced file from ``tmp/`` in place, or adopt a file of the same content that
        no ledger row names (an earlier run killed after its rename); its name and path."""
        orphan = self._orphan_with(sha256)
        if orphan is not None:
            temp.unlink()
            return orphan.name.split(":", 1)[0], orphan
        root = self.maildir.root
        target = root / "cur" / f"{name}:2,S" if seen else root / "new" / name
        os.rename(temp, target)
        return name, target

    def set_seen(self, uid: str, seen: bool) -> None:
        """Move the file to match the read state (``cur/NAME:2,S`` or ``new/``)."""
        copy = self.lookup(uid)
        if copy is None or copy.seen == seen:
            return
        name = copy.path.name.split(":", 1)[0]
        flags = set(copy.path.name.partition(":2,")[2]) if ":2," in copy.path.name else set()
        flags.add("S") if seen else flags.discard("S")
        target = self.maildir.root / "cur" / f"{name}:2,{''.join(sorted(flags))}"
        try:
            os.rename(copy.path, target)
            fsync_dir(target.parent)
        except OSError:
            return  # a reader moved it meanwhile: its flags are the user's word
        self._moved(uid, target)

    def remove(self, uid: str) -> bool:
        """The user deleted the message: the file goes, then its row."""
        copy = self.lookup(uid)
        if copy is not None:
            with contextlib.suppress(FileNotFoundError):
                copy.path.unlink()
            fsync_dir(copy.path.parent)
        with self._write() as db:
            gone = db.execute(
                "DELETE FROM copies WHERE mailbox = ? AND uid = ?", (self.mailbox, uid)
            ).rowcount
        return copy is not None or bool(gone)

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            raise LocalCopyError(f"cannot record the local mail: {error}") from None

    def _orphan_with(self, sha256: str) -> Path | None:
        """A file in new/ or cur/ with this content that no ledger row names."""
        if self._orphans is None:
            self._orphans = self._scan_orphans()
        path = self._orphans.get(sha256)
        return path if path is not None and path.exists() else None

    def _scan_orphans(self) -> dict[str, Path]:
        known = {str(name) for (name,) in self._db.execute("SELECT name FROM copies")}
        orphans: dict[str, Path] = {}
        for message in self.maildir.messages():
            if message.key in known:
                continue
            digest = hashlib.sha256()
            try:
                with open(message.path, "rb") as file:
                    for block in iter(lambda: file.read(1 << 20), b""):
                        digest.update(block)
            except OSError:
                continue
            orphans.setdefault(digest.hexdigest(), message.path)
        return orphans

    def _error(self, error: OSError) -> LocalCopyError:
        """In words: "disk full: cannot write to DIR", as the rest of the store says it."""
        return LocalCopyError(str(classify_store_error(error, self.maildir.root)))


def create_private(path: Path) -> int:
    """A new file, 0600, never through a symlink (a test puts /dev/full here)."""
    return os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE_MODE
    )


def checkpoint(step: str) -> None:
    """A named moment in storing or fetching; the crash tests replace this to kill there."""


def mailbox_name(host: str, port: int, user: str) -> str:
    """Whose mail a row is: one Maildir may hold the mail of several logins."""
    return f"{user}@{host.lower()}:{port}"
