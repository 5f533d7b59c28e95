"""The SQLite schema of a per-account store, its versions and how to migrate between them.

``PRAGMA user_version`` holds the schema version. Each migration runs in its own
transaction together with the version bump, so a kill -9 mid-migration leaves the previous
version intact and the next start simply runs it again. A database newer than this program
is refused (never "repaired" by an older tui-mail).
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Sequence


class StoreError(Exception):
    """The local store cannot be used (newer schema, corrupt file, unknown UID...)."""


class StoreFull(StoreError):
    """The disk (or quota) holding the local store is full: said as such, never as a drop."""


class StoreDamaged(StoreError):
    """The database file is corrupt, truncated or not a database: it can be set aside."""


class StoreReadOnly(StoreError):
    """The data directory or database cannot be written (read-only mount, permissions)."""


_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
_SQLITE_FULL, _SQLITE_CORRUPT, _SQLITE_NOTADB = 13, 11, 26
_SQLITE_READONLY, _SQLITE_CANTOPEN, _SQLITE_PERM = 8, 14, 3


def is_local_storage_error(error: BaseException) -> bool:
    """An OSError that says the disk is full or not writable (not a network error)."""
    return isinstance(error, OSError) and error.errno in _FULL_ERRNOS | _READ_ONLY_ERRNOS


def classify_store_error(error: BaseException, where: object) -> StoreError:
    """The :class:`StoreError` that says in words what an SQLite or OS error means here."""
    if isinstance(error, StoreError):
        return error
    if isinstance(error, OSError):
        reason = error.strerror or type(error).__name__
        if error.errno in _FULL_ERRNOS:
            return StoreFull(f"disk full: cannot write to {where}")
        if error.errno in _READ_ONLY_ERRNOS:
            return StoreReadOnly(f"cannot write to {where}: {reason}")
        return StoreError(f"cannot use {where}: {reason}")
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(error)
    if primary == _SQLITE_FULL or "disk is full" in text:
        return StoreFull(f"disk full: cannot write to {where}")
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in text:
        return StoreDamaged(f"the local store {where} is damaged and unusable: {text}")
    if primary in (_SQLITE_READONLY, _SQLITE_PERM) or "readonly" in text:
        return StoreReadOnly(f"cannot write to {where}: {text}")
    if primary == _SQLITE_CANTOPEN:
        return StoreReadOnly(f"cannot open {where}: {text}")
    return StoreError(f"the local store {where} failed: {text}")


# MIGRATIONS[n] takes the schema from version n to n + 1.
MIGRATIONS: Sequence[Sequence[str]] = (
    # 1: ledger, header cache, pending deletions, account metadata.
    (
        """CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID""",
        # Every UID ever seen. server_order is the position in the last UIDL listing
        # (1 = oldest); gone_since is set when the UID left the server (row kept, so a UID
        # that comes back is not "new" and keeps its read flag).
        """CREATE TABLE ledger (
            uid TEXT PRIMARY KEY,
            first_seen REAL NOT NULL,
            read INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1)),
            server_order INTEGER,
            size INTEGER NOT NULL DEFAULT 0,
            gone_since REAL,
            CHECK ((gone_since IS NULL) = (server_order IS NOT NULL))
        )""",
        "CREATE INDEX ledger_present ON ledger (server_order) WHERE gone_since IS NULL",
        # The list fields, small so that reading 100,000 rows stays fast ...
        """CREATE TABLE headers (
            uid TEXT PRIMARY KEY REFERENCES ledger (uid) ON DELETE CASCADE,
            date_epoch INTEGER,
            tz_offset INTEGER,
            sender TEXT NOT NULL,
            subject TEXT NOT NULL,
            fetched_at REAL NOT NULL
        )""",
        # ... and the raw header block apart, read only when one message is opened.
        """CREATE TABLE raw_headers (
            uid TEXT PRIMARY KEY REFERENCES headers (uid) ON DELETE CASCADE,
            raw BLOB NOT NULL
        )""",
        """CREATE TABLE pending_deletions (
            uid TEXT PRIMARY KEY REFERENCES ledger (uid) ON DELETE CASCADE,
            marked_at REAL NOT NULL
        )""",
    ),
    # 2: body cache bookkeeping (size and last use, for least-recently-used eviction).
    (
        """CREATE TABLE bodies (
            uid TEXT PRIMARY KEY REFERENCES ledger (uid) ON DELETE CASCADE,
            file_name TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            last_used REAL NOT NULL
        )""",
        "CREATE INDEX bodies_lru ON bodies (last_used)",
    ),
    # 3: rows bound to content. The key (``uid``) stays what every table refers to; the
    # server's UID, which copy of it this is, and a fingerprint of the header block say
    # which message the row (and a deletion mark) means. Old " #N" keys of identical copies
    # keep their key and get their UID and copy number.
    (
        "ALTER TABLE ledger ADD COLUMN server_uid TEXT",
        "ALTER TABLE ledger ADD COLUMN copy INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE ledger ADD COLUMN fingerprint TEXT",
        "UPDATE ledger SET server_uid = uid",
        """UPDATE ledger AS l SET
            server_uid = substr(l.uid, 1, instr(l.uid, ' #') - 1),
            copy = CAST(substr(l.uid, instr(l.uid, ' #') + 2) AS INTEGER)
           WHERE instr(l.uid, ' #') > 0
             AND substr(l.uid, instr(l.uid, ' #') + 2) GLOB '[0-9]*'
             AND substr(l.uid, instr(l.uid, ' #') + 2) NOT GLOB '*[^0-9]*'
             AND EXISTS (
                SELECT 1 FROM ledger b WHERE b.uid = substr(l.uid, 1, instr(l.uid, ' #') - 1)
             )""",
        "CREATE INDEX ledger_server_uid ON ledger (server_uid)",
        # What the user saw when marking: the mark holds only for that size and those headers.
        "ALTER TABLE pending_deletions ADD COLUMN size INTEGER",
        "ALTER TABLE pending_deletions ADD COLUMN fingerprint TEXT",
        "UPDATE pending_deletions SET size = (SELECT l.size FROM ledger l WHERE l.uid = "
        "pending_deletions.uid)",
    ),
    # 4: what could not be read in a message ("" when nothing): the list marks such rows.
    ("ALTER TABLE headers ADD COLUMN problem TEXT NOT NULL DEFAULT ''",),
    # 5: the sender's address next to the shown name, so the filter finds "carol@".
    # NULL marks rows cached by older versions; the store fills them in from raw_headers.
    ("ALTER TABLE headers ADD COLUMN sender_address TEXT",),
    # 6: the order of arrival the list sorts by (MessageSummary.arrival). server_order is
    # the message's number in the last listing and shifts for every row when older mail is
    # deleted elsewhere; arrival does not, so such a sync changes no row of the list.
    (
        "ALTER TABLE ledger ADD COLUMN arrival INTEGER NOT NULL DEFAULT 0",
        "UPDATE ledger SET arrival = server_order WHERE server_order IS NOT NULL",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite3.Connection) -> int:
    """The ``user_version`` of ``db`` (0 for a new, empty file)."""
    row = db.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(db: sqlite3.Connection, target: int = SCHEMA_VERSION) -> None:
    """Bring ``db`` (opened with ``isolation_level=None``) up to schema ``target``."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"the local store has schema version {current}, newer than this tui-mail "
            f"understands ({SCHEMA_VERSION}); upgrade tui-mail"
        )
    while current < target:
        db.execute("BEGIN IMMEDIATE")
        try:
            # Re-read inside the write lock: another process may have migrated meanwhile.
            current = schema_version(db)
            if current < target:
                for statement in MIGRATIONS[current]:
                    db.execute(statement)
                current += 1
                db.execute(f"PRAGMA user_version = {current:d}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
