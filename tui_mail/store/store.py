"""The local state of one account (host, port, user): ledger, headers, deletions, bodies.

Layout under the data root (``$TUI_MAIL_DATA_DIR`` or the platformdirs user data dir)::

    accounts/<user@host_port>-<hash>/store.sqlite3   ledger, header cache, deletions, meta
    accounts/<user@host_port>-<hash>/bodies/          one file per cached message

Every method that writes is one transaction; batch methods take many rows so sync can
commit batch by batch. Directories are 0700 and files 0600.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from tui_mail.accounts.paths import data_root, ensure_private_dir
from tui_mail.store.bodies import DEFAULT_BODY_CACHE_BYTES, BodyCache
from tui_mail.store.database import Database
from tui_mail.store.headers import DateRebuilder, HeaderFields, header_fields
from tui_mail.store.models import MessageSummary
from tui_mail.store.reconcile import (
    GONE_RETENTION,
    MASS_CHANGE_MIN,
    MASS_CHANGE_RATIO,
    Listing,
    ReconcileResult,
    diff_listing,
)
from tui_mail.store.schema import StoreError

if TYPE_CHECKING:
    from tui_mail.accounts.config import Account

IdentityStrength = Literal["strong", "weak"]
DB_NAME = "store.sqlite3"

_SUMMARY_COLUMNS = """
    l.uid, l.size, h.date_epoch, h.tz_offset, h.sender, h.subject, l.read,
    p.uid IS NOT NULL, l.server_order, h.uid IS NOT NULL, h.sender_address
    FROM ledger l
    LEFT JOIN headers h ON h.uid = l.uid
    LEFT JOIN pending_deletions p ON p.uid = l.uid
"""


def account_dir_name(host: str, port: int, user: str) -> str:
    """A readable, collision-free directory name for one server login."""
    host = host.lower()  # DNS names are case-insensitive; user names may not be
    readable = re.sub(r"[^A-Za-z0-9.@_-]", "_", f"{user}@{host}_{port}")[:60]
    digest = hashlib.sha256(f"{user}\0{host}\0{port}".encode("utf-8", "surrogatepass"))
    return f"{readable}-{digest.hexdigest()[:16]}"


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Store:
    """Per-account local state. Open with :meth:`open` or :meth:`for_account`; close it after."""

    def __init__(
        self,
        directory: Path,
        *,
        identity: tuple[str, int, str],
        body_cache_bytes: int = DEFAULT_BODY_CACHE_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = ensure_private_dir(directory)
        self._clock = clock
        self._db = Database(directory / DB_NAME)
        try:
            self._check_identity(identity)
            self._fill_in_sender_addresses()
            self.bodies = BodyCache(
                self._db, directory / "bodies", limit_bytes=body_cache_bytes, clock=clock
            )
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def open(
        cls,
        host: str,
        port: int,
        user: str,
        *,
        data_dir: Path | None = None,
        body_cache_bytes: int = DEFAULT_BODY_CACHE_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> Store:
        """Open (creating if needed) the store of ``user`` on ``host:port``."""
        root = ensure_private_dir(data_root(data_dir))
        accounts = ensure_private_dir(root / "accounts")
        return cls(
            accounts / account_dir_name(host, port, user),
            identity=(host.lower(), port, user),
            body_cache_bytes=body_cache_bytes,
            clock=clock,
        )

    @classmethod
    def for_account(
        cls,
        account: Account,
        *,
        data_dir: Path | None = None,
        body_cache_bytes: int = DEFAULT_BODY_CACHE_BYTES,
    ) -> Store:
        """The store of a configured account (renaming the account keeps its store)."""
        return cls.open(
            account.host,
            account.port,
            account.user,
            data_dir=data_dir,
            body_cache_bytes=body_cache_bytes,
        )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _check_identity(self, identity: tuple[str, int, str]) -> None:
        host, port, user = identity
        wanted = {"host": host, "port": str(port), "user": user}
        with self._db.write() as db:
            stored = dict(
                db.execute(
                    "SELECT key, value FROM meta WHERE key IN ('host', 'port', 'user')"
                ).fetchall()
            )
            if not stored:
                db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", wanted.items())
            elif stored != wanted:
                raise StoreError(f"{self.directory} belongs to another account")

    # -- account metadata --------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._db.lock:
            row = self._db.connection.execute(
                "SELECT value FROM meta WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        """Set (or with None, remove) one metadata value."""
        with self._db.write() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    @property
    def identity(self) -> IdentityStrength:
        """ "weak" when UIDs are hashes of headers + size (server without UIDL), else "strong"."""
        return "weak" if self.get_meta("identity") == "weak" else "strong"

    def set_identity(self, strength: IdentityStrength) -> None:
        self.set_meta("identity", strength)

    @property
    def last_sync(self) -> float | None:
        """Epoch seconds of the last completed sync, or None if never."""
        value = self.get_meta("last_sync")
        return None if value is None else float(value)

    def record_sync(self, when: float | None = None) -> None:
        self.set_meta("last_sync", repr(self._clock() if when is None else when))

    # -- ledger ------------------------------------------------------------------------

    def reconcile(
        self,
        listing: Listing,
        *,
        accept_mass_change: bool = False,
        mass_change_ratio: float = MASS_CHANGE_RATIO,
        mass_change_min: int = MASS_CHANGE_MIN,
    ) -> ReconcileResult:
        """Record the server's current ``{uid: (number, size)}`` listing in one transaction.

        New UIDs enter the ledger unread; vanished ones are marked gone and leave the header
        cache, pending deletions and body cache. A mass UID change is returned unapplied
        (``applied=False``) unless ``accept_mass_change``.
        """
        now = self._clock()
        with self._db.write() as db:
            present: dict[str, int] = {}
            known: dict[str, tuple[int | None, int]] = {}
            gone: set[str] = set()
            for uid, order, size, gone_since in db.execute(
                "SELECT uid, server_order, size, gone_since FROM ledger"
            ):
                known[uid] = (order, size)
                if gone_since is None:
                    present[uid] = order
                else:
                    gone.add(uid)
            diff = diff_listing(
                listing, present, gone, ratio=mass_change_ratio, minimum=mass_change_min
            )
            if diff.mass_change is not None and not accept_mass_change:
                return ReconcileResult(
                    new=diff.new,
                    returned=diff.returned,
                    vanished=diff.vanished,
                    need_headers=[],
                    total=len(listing),
                    unread=self._unread(db),
                    mass_change=diff.mass_change,
                    applied=False,
                )
            new = set(diff.new)
            db.executemany(
                "INSERT INTO ledger (uid, first_seen, read, server_order, size) "
                "VALUES (?, ?, 0, ?, ?)",
                ((uid, now, *listing[uid]) for uid in diff.new),
            )
            db.executemany(
                "UPDATE ledger SET server_order = ?, size = ?, gone_since = NULL WHERE uid = ?",
                (
                    (number, size, uid)
                    for uid, (number, size) in listing.items()
                    if uid not in new and (uid in gone or known[uid] != (number, size))
                ),
            )
            body_files = self._forget_cached(db, diff.vanished)
            db.executemany(
                "UPDATE ledger SET gone_since = ?, server_order = NULL WHERE uid = ?",
                ((now, uid) for uid in diff.vanished),
            )
            pruned = db.execute(
                "DELETE FROM ledger WHERE gone_since < ?", (now - GONE_RETENTION,)
            ).rowcount
            need_headers = [
                uid
                for (uid,) in db.execute(
                    "SELECT l.uid FROM ledger l LEFT JOIN headers h ON h.uid = l.uid "
                    "WHERE l.gone_since IS NULL AND h.uid IS NULL "
                    "ORDER BY l.server_order DESC"
                )
            ]
            unread = self._unread(db)
        self.bodies.remove_files(body_files)  # after the commit: a crash leaves only orphans
        return ReconcileResult(
            new=diff.new,
            returned=diff.returned,
            vanished=diff.vanished,
            need_headers=need_headers,
            total=len(listing),
            unread=unread,
            mass_change=diff.mass_change,
            applied=True,
            pruned=pruned,
        )

    @staticmethod
    def _unread(db: sqlite3.Connection) -> int:
        row = db.execute("SELECT COUNT(*) FROM ledger WHERE gone_since IS NULL AND read = 0")
        return int(row.fetchone()[0])

    @staticmethod
    def _forget_cached(db: sqlite3.Connection, uids: list[str]) -> list[str]:
        """Drop headers, pending deletions and body rows of ``uids``; return body file names."""
        names: list[str] = []
        for chunk in _chunks(uids):
            marks = ",".join("?" * len(chunk))
            db.execute(f"DELETE FROM headers WHERE uid IN ({marks})", chunk)  # noqa: S608
            db.execute(f"DELETE FROM pending_deletions WHERE uid IN ({marks})", chunk)  # noqa: S608
            names.extend(
                name
                for (name,) in db.execute(
                    f"DELETE FROM bodies WHERE uid IN ({marks}) RETURNING file_name",  # noqa: S608
                    chunk,
                ).fetchall()
            )
        return names

    def mark_read(self, uids: Iterable[str], read: bool = True) -> int:
        """Set the read flag of ``uids``; returns how many rows changed."""
        with self._db.write() as db:
            cursor = db.executemany(
                "UPDATE ledger SET read = ? WHERE uid = ? AND read != ?",
                ((int(read), uid, int(read)) for uid in uids),
            )
            return max(cursor.rowcount, 0)

    def message_count(self) -> int:
        """Messages on the server at the last reconcile."""
        with self._db.lock:
            row = self._db.connection.execute(
                "SELECT COUNT(*) FROM ledger WHERE gone_since IS NULL"
            ).fetchone()
        return int(row[0])

    def unread_count(self) -> int:
        """Messages on the server at the last reconcile that were never read."""
        with self._db.lock:
            return self._unread(self._db.connection)

    # -- header cache ------------------------------------------------------------------

    def add_headers(self, batch: Iterable[tuple[str, bytes]]) -> list[MessageSummary]:
        """Cache the raw header blocks of a batch of UIDs in one transaction.

        Every UID must be in the ledger (reconcile first: a :class:`StoreError` rolls the
        whole batch back); UIDs that have meanwhile gone from the server are skipped.
        Returns the updated rows, for the list to show.
        """
        decoded = [(uid, raw, header_fields(raw)) for uid, raw in batch]
        if not decoded:
            return []
        now = self._clock()
        uids = [uid for uid, _, _ in decoded]
        with self._db.write() as db:
            status = self._presence(db, uids)
            unknown = [uid for uid in uids if uid not in status]
            if unknown:
                raise StoreError(f"no ledger row for UID {unknown[0]!r}: reconcile first")
            rows = [(uid, raw, fields) for uid, raw, fields in decoded if status[uid]]
            db.executemany(
                "INSERT INTO headers "
                "(uid, date_epoch, tz_offset, sender, subject, fetched_at, sender_address) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE SET "
                "date_epoch = excluded.date_epoch, tz_offset = excluded.tz_offset, "
                "sender = excluded.sender, subject = excluded.subject, "
                "fetched_at = excluded.fetched_at, sender_address = excluded.sender_address",
                (
                    (uid, *_field_values(fields), now, fields.sender_address)
                    for uid, _, fields in rows
                ),
            )
            db.executemany(
                "INSERT INTO raw_headers (uid, raw) VALUES (?, ?) "
                "ON CONFLICT (uid) DO UPDATE SET raw = excluded.raw",
                ((uid, raw) for uid, raw, _ in rows),
            )
            return self._summaries_of(db, [uid for uid, _, _ in rows])

    def raw_headers(self, uid: str) -> bytes | None:
        """The header block exactly as the server sent it (for "show all headers")."""
        with self._db.lock:
            row = self._db.connection.execute(
                "SELECT raw FROM raw_headers WHERE uid = ?", (uid,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    @staticmethod
    def _presence(db: sqlite3.Connection, uids: list[str]) -> dict[str, bool]:
        """uid -> whether it is on the server, for the ``uids`` the ledger knows."""
        found: dict[str, bool] = {}
        for chunk in _chunks(uids):
            marks = ",".join("?" * len(chunk))
            for uid, gone_since in db.execute(
                f"SELECT uid, gone_since FROM ledger WHERE uid IN ({marks})",  # noqa: S608
                chunk,
            ):
                found[uid] = gone_since is None
        return found

    # -- the message list --------------------------------------------------------------

    def _fill_in_sender_addresses(self, batch: int = 2000) -> int:
        """Headers cached before schema 3 have no address: decode it once from raw_headers.

        Runs at open until no row is left (each batch its own transaction, so a kill loses
        at most one batch of work and nothing else); returns how many rows were filled.
        """
        filled = 0
        while True:
            with self._db.write() as db:
                rows = db.execute(
                    "SELECT h.uid, r.raw FROM headers h LEFT JOIN raw_headers r ON r.uid = h.uid "
                    "WHERE h.sender_address IS NULL LIMIT ?",
                    (batch,),
                ).fetchall()
                if not rows:
                    return filled
                db.executemany(
                    "UPDATE headers SET sender_address = ? WHERE uid = ?",
                    ((_address_of(raw), uid) for uid, raw in rows),
                )
            filled += len(rows)

    def summaries(self) -> list[MessageSummary]:
        """Every message on the server at the last reconcile, oldest first (server order)."""
        with self._db.read() as db:
            rows = db.execute(
                f"SELECT {_SUMMARY_COLUMNS} WHERE l.gone_since IS NULL ORDER BY l.server_order"
            ).fetchall()
        return _build_summaries(rows)

    def summary(self, uid: str) -> MessageSummary | None:
        with self._db.read() as db:
            found = self._summaries_of(db, [uid])
        return found[0] if found else None

    @staticmethod
    def _summaries_of(db: sqlite3.Connection, uids: list[str]) -> list[MessageSummary]:
        rows: list[tuple[Any, ...]] = []
        for chunk in _chunks(uids):
            marks = ",".join("?" * len(chunk))
            rows.extend(
                db.execute(
                    f"SELECT {_SUMMARY_COLUMNS} WHERE l.gone_since IS NULL "
                    f"AND l.uid IN ({marks}) ORDER BY l.server_order",
                    chunk,
                ).fetchall()
            )
        return _build_summaries(rows)

    # -- pending deletions -------------------------------------------------------------

    def mark_for_deletion(self, uids: Iterable[str]) -> None:
        """Remember that the user wants ``uids`` deleted (applied at QUIT, after confirming)."""
        now = self._clock()
        with self._db.write() as db:
            db.executemany(
                "INSERT OR IGNORE INTO pending_deletions (uid, marked_at) "
                "SELECT uid, ? FROM ledger WHERE uid = ? AND gone_since IS NULL",
                ((now, uid) for uid in uids),
            )

    def unmark_for_deletion(self, uids: Iterable[str]) -> None:
        with self._db.write() as db:
            db.executemany("DELETE FROM pending_deletions WHERE uid = ?", ((uid,) for uid in uids))

    def pending_deletions(self) -> list[str]:
        """UIDs marked for deletion, in server order."""
        with self._db.lock:
            rows = self._db.connection.execute(
                "SELECT p.uid FROM pending_deletions p JOIN ledger l ON l.uid = p.uid "
                "ORDER BY l.server_order"
            ).fetchall()
        return [uid for (uid,) in rows]

    def deletions_done(self, uids: Iterable[str]) -> None:
        """The server deleted ``uids`` (QUIT answered +OK): they are gone, like vanished UIDs."""
        uids = list(uids)
        now = self._clock()
        with self._db.write() as db:
            names = self._forget_cached(db, uids)
            db.executemany(
                "UPDATE ledger SET gone_since = ?, server_order = NULL "
                "WHERE uid = ? AND gone_since IS NULL",
                ((now, uid) for uid in uids),
            )
        self.bodies.remove_files(names)


def _address_of(raw: bytes | None) -> str:
    """The From address of a cached header block; "" when there is none or it is unreadable."""
    if not raw:
        return ""
    try:
        return header_fields(raw).sender_address
    except Exception:  # one damaged cached block must not stop the store from opening
        return ""


def _field_values(fields: HeaderFields) -> tuple[int | None, int | None, str, str]:
    return fields.date_epoch, fields.tz_offset, fields.sender, fields.subject


def _build_summaries(rows: Iterable[tuple[Any, ...]]) -> list[MessageSummary]:
    """Rows of ``_SUMMARY_COLUMNS`` to MessageSummary objects.

    The hot loop for 100,000 rows: positional arguments, local names and one shared
    timezone object per distinct offset (measured ~25 % faster than the plain version).
    """
    to_date = DateRebuilder()
    summaries: list[MessageSummary] = []
    append = summaries.append
    for uid, size, epoch, offset, sender, subject, read, marked, order, loaded, address in rows:
        append(
            MessageSummary(
                uid,
                size,
                None if epoch is None else to_date(epoch, offset),
                sender or "",
                subject or "",
                not read,
                bool(marked),
                order,
                bool(loaded),
                address or "",
            )
        )
    return summaries
