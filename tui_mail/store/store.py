"""The local state of one account (host, port, user): ledger, headers, deletions, bodies.

Layout under the data root (``$TUI_MAIL_DATA_DIR`` or the platformdirs user data dir)::

    accounts/<user@host_port>-<hash>/store.sqlite3   ledger, header cache, deletions, meta
    accounts/<user@host_port>-<hash>/bodies/          bodies cached before issue 15 (read only)

Messages downloaded since are the user's own copy, in the account's Maildir
(:mod:`tui_mail.store.local_copy`, ``store.local``), never evicted.

Every method that writes is one transaction; batch methods take many rows so sync can
commit batch by batch. Directories are 0700 and files 0600.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from tui_mail.accounts.paths import data_root, ensure_private_dir
from tui_mail.keys_first import paced, step_aside
from tui_mail.store.bodies import DEFAULT_BODY_CACHE_BYTES, BodyCache
from tui_mail.store.database import Database
from tui_mail.store.headers import (
    DateRebuilder,
    HeaderFields,
    decode_header_block,
    header_fields,
    header_fingerprint,
)
from tui_mail.store.local_copy import LocalCopies, LocalCopyError, mailbox_name
from tui_mail.store.local_only import LocalOnlyRows, local_head
from tui_mail.store.models import Mark, MessageSummary
from tui_mail.store.reconcile import (
    GONE_RETENTION,
    MASS_CHANGE_MIN,
    MASS_CHANGE_RATIO,
    LedgerRow,
    Listing,
    MassChange,
    ReconcileResult,
    ServerEntry,
    allocate_key,
    as_entries,
    match_listing,
    size_suspects,
)
from tui_mail.store.schema import StoreDamaged, StoreError

if TYPE_CHECKING:
    from tui_mail.accounts.config import Account
    from tui_mail.store.repair import UserState

IdentityStrength = Literal["strong", "weak"]
DB_NAME = "store.sqlite3"
HEADERS_BETWEEN_STEPS = 16  # header blocks parsed between two chances for a key press (~1 ms)

_PRESENT_KEYS = "SELECT uid FROM ledger WHERE gone_since IS NULL"
_SUMMARY_COLUMNS = """
    l.uid, l.size, h.date_epoch, h.tz_offset, h.sender, h.subject, l.read,
    p.uid IS NOT NULL, l.arrival, h.uid IS NOT NULL, h.problem, h.sender_address
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
        maildir: Path | None = None,
    ) -> None:
        self.directory = ensure_private_dir(directory)
        self._clock = clock
        self.reused: list[str] = []  # server UIDs found to mean other mail; the reader tells
        self.unmarked_by_reuse = 0  # deletion marks dropped because their message changed
        self._db = Database(directory / DB_NAME)
        try:
            self._check_identity(identity)
            self._fill_in_sender_addresses()
            self.bodies = BodyCache(
                self._db, directory / "bodies", limit_bytes=body_cache_bytes, clock=clock
            )
            # The account's Maildir: every message downloaded from now on, kept for good.
            self.local = (
                LocalCopies(maildir, mailbox_name(*identity), clock=clock)
                if maildir is not None
                else None
            )
            self._local_rows = LocalOnlyRows()  # rows of copies the server no longer lists
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
        maildir: Path | None = None,
    ) -> Store:
        """Open (creating if needed) the store of ``user`` on ``host:port``."""
        root = ensure_private_dir(data_root(data_dir))
        accounts = ensure_private_dir(root / "accounts")
        return cls(
            accounts / account_dir_name(host, port, user),
            identity=(host.lower(), port, user),
            body_cache_bytes=body_cache_bytes,
            clock=clock,
            maildir=maildir,
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
            maildir=account.maildir_path(data_dir),
        )

    def close(self) -> None:
        if self.local is not None:
            self.local.close()
        self._db.close()

    # -- message bodies: the local copy, else the old cache --------------------------------

    def body_path(self, uid: str) -> Path | None:
        """Where the whole message ``uid`` is on disk, if it was downloaded."""
        if self.local is not None:
            path = self.local.path(uid)
            if path is not None:
                return path
        return self.bodies.path(uid)

    @contextlib.contextmanager
    def body_writer(self, uid: str, *, seen: bool) -> Iterator[BinaryIO]:
        """A sink for a RETR of ``uid``: into the Maildir when the account has one."""
        if self.local is None:
            with self.bodies.writer(uid) as sink:
                yield sink
            return
        try:
            with self.local.writer(uid, seen=seen) as sink:
                yield sink
        except LocalCopyError as error:
            raise StoreError(str(error)) from None

    def store_body(self, uid: str, data: bytes, *, seen: bool = False) -> None:
        """Keep a whole message that arrived as bytes (servers without TOP, weak UIDs)."""
        if self.body_path(uid) is None:
            with self.body_writer(uid, seen=seen) as sink:
                sink.write(data)

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

    def check_integrity(self) -> None:
        """Raise :class:`StoreDamaged` if SQLite finds the file damaged (truncated, garbled)."""
        try:
            with self._db.lock:
                rows = self._db.connection.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as error:
            raise StoreDamaged(f"the local store {self._db.path} is damaged: {error}") from None
        if rows != [("ok",)]:
            raise StoreDamaged(f"the local store {self._db.path} is damaged: {rows[0][0]}")

    def restore_user_state(self, state: UserState) -> tuple[int, int]:
        """Put read flags and marks saved from a damaged store into this (fresh) one.

        The rows go in as "gone": the next sync brings back each one the server still has
        (same UID and size), with its read flag and mark. Returns (read flags, marks) kept.
        """
        now = self._clock()
        with self._db.write() as db:
            known = {key for (key,) in db.execute("SELECT uid FROM ledger")}
            rows = [row for row in state.rows if row[0] not in known]
            db.executemany(
                "INSERT INTO ledger (uid, first_seen, read, server_order, size, gone_since, "
                "server_uid, copy, fingerprint) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?)",
                (
                    (key, now, int(read), size, now, uid, copy, fingerprint)
                    for key, uid, copy, size, read, fingerprint in rows
                ),
            )
            inserted = {row[0] for row in rows}
            marks = [mark for mark in state.marks if mark[0] in inserted]
            db.executemany(
                "INSERT OR IGNORE INTO pending_deletions (uid, marked_at, size, fingerprint) "
                "VALUES (?, ?, ?, ?)",
                ((key, now, size, fingerprint) for key, size, fingerprint in marks),
            )
        return sum(1 for row in rows if row[4]), len(marks)

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
        listing: Listing | Iterable[ServerEntry],
        *,
        fingerprints: Mapping[int, str] | None = None,
        accept_mass_change: bool = False,
        mass_change_ratio: float = MASS_CHANGE_RATIO,
        mass_change_min: int = MASS_CHANGE_MIN,
        quiet: Callable[[], contextlib.AbstractContextManager[object]] = contextlib.nullcontext,
    ) -> ReconcileResult:
        """Record this session's listing (``ServerEntry``s, or ``{uid: (number, size)}``).

        New messages enter the ledger unread; vanished ones are marked gone and leave the
        header cache, pending deletions and body cache. A UID that now means other mail (its
        size changed) is a new message, reported in ``reused``. ``listing`` of the result maps
        each row's key to its number and size in this session. A mass change is returned
        unapplied (``applied=False``) unless ``accept_mass_change``.

        ``quiet`` wraps the reading, matching and writing (the session pauses the cycle
        collector there: session/collector.py). What the ledger read and the matching made is
        dropped inside, and the listing returned is built after, so the first collection
        after the pause has no 100,000 young objects to walk at once (~60 ms of the GIL).
        """
        entries = as_entries(listing)
        now = self._clock()
        with quiet(), self._db.write() as db:
            rows = self._ledger_rows(db)
            matching = match_listing(entries, rows, fingerprints)
            present = sum(1 for row in rows if not row.gone)
            mass_change = None
            if (
                present >= mass_change_min
                and len(matching.new) >= mass_change_min
                and len(matching.vanished) >= mass_change_ratio * present
                and len(matching.new) >= mass_change_ratio * len(entries)
            ):
                mass_change = MassChange(
                    known=present,
                    vanished=len(matching.vanished),
                    listed=len(entries),
                    new=len(matching.new),
                )
            if mass_change is not None and not accept_mass_change:
                return ReconcileResult(
                    new=[entry.uid for entry, _ in matching.new],
                    returned=matching.returned,
                    vanished=matching.vanished,
                    need_headers=[],
                    total=len(entries),
                    unread=self._unread(db),
                    mass_change=mass_change,
                    applied=False,
                )
            body_files = self._forget_cached(db, matching.vanished)
            db.executemany(
                "UPDATE ledger SET gone_since = ?, server_order = NULL WHERE uid = ?",
                ((now, key) for key in paced(matching.vanished)),
            )
            db.executemany(
                "DELETE FROM pending_deletions WHERE uid = ?", ((key,) for key in matching.unmark)
            )
            known = {row.key: row for row in rows}
            # What arrives in this listing (new, or back after being gone) comes after
            # everything already here, in listing order; rows that stay keep their arrival.
            latest = db.execute("SELECT COALESCE(MAX(arrival), 0) FROM ledger").fetchone()[0]
            _renumber(db, matching.assigned, known)
            db.executemany(
                "UPDATE ledger SET server_order = ?, size = ?, copy = ?, gone_since = NULL "
                "WHERE uid = ?",
                (
                    (entry.number, entry.size, copy, key)
                    for key, (entry, copy) in paced(matching.assigned.items())
                    if not known[key].gone
                    and (known[key].copy, known[key].size) != (copy, entry.size)
                ),
            )
            db.executemany(
                "UPDATE ledger SET server_order = ?, size = ?, copy = ?, gone_since = NULL, "
                "arrival = ? WHERE uid = ?",
                (
                    (entry.number, entry.size, copy, latest + entry.number, key)
                    for key, (entry, copy) in matching.assigned.items()
                    if known[key].gone
                ),
            )
            taken = set(known)
            new_keys: list[str] = []
            for entry, copy in matching.new:
                key = allocate_key(entry.uid, copy, taken)
                taken.add(key)
                new_keys.append(key)
            db.executemany(
                "INSERT INTO ledger (uid, first_seen, read, server_order, size, server_uid, copy, "
                "arrival) VALUES (?, ?, 0, ?, ?, ?, ?, ?)",
                [
                    (key, now, entry.number, entry.size, entry.uid, copy, latest + entry.number)
                    for key, (entry, copy) in zip(new_keys, matching.new, strict=True)
                ],
            )
            pruned = 0
            if any(row.gone for row in rows):  # only rows gone before this listing can be old
                pruned = db.execute(
                    "DELETE FROM ledger WHERE gone_since < ?", (now - GONE_RETENTION,)
                ).rowcount
            # The present rows are now exactly this listing's: those without cached headers
            # need them (one column read, not a join sorted by SQLite).
            cached = {uid for (uid,) in paced(db.execute("SELECT uid FROM headers"))}
            unread = self._unread(db)
            # Keep what the result needs without the (entry, copy) pairs, so that every object
            # the matching made is freed here, while the collector still waits.
            kept_keys = list(matching.assigned)
            kept = [entry for entry, _ in matching.assigned.values()]
            matching.assigned.clear()
            del rows, known, taken
        self.bodies.remove_files(body_files)  # after the commit: a crash leaves only orphans
        session_listing = {
            key: (entry.number, entry.size)
            for key, entry in paced(zip(kept_keys, kept, strict=True))
        }
        session_listing.update(
            (key, (entry.number, entry.size))
            for key, (entry, _) in zip(new_keys, matching.new, strict=True)
        )
        # Newest first: (number, key) pairs sort in C, no key function per row.
        order = [
            key for _, key in sorted(((v[0], k) for k, v in session_listing.items()), reverse=True)
        ]
        fresh = set(new_keys)
        returned = set(matching.returned)
        step_aside()
        return ReconcileResult(
            new=[key for key in order if key in fresh],
            returned=[key for key in order if key in returned],
            vanished=matching.vanished,
            need_headers=[key for key in paced(order) if key not in cached],
            total=len(entries),
            unread=unread,
            mass_change=mass_change,
            applied=True,
            pruned=pruned,
            listing=session_listing,
            reused=matching.reused,
            unmarked=matching.unmark,
            ambiguous=matching.ambiguous,
        )

    def size_suspects(self, listing: Listing | Iterable[ServerEntry]) -> list[int]:
        """Numbers whose known UID comes with a new size (see :func:`size_suspects`)."""
        with self._db.read() as db:  # the rows are read (paced) as the pairs are made
            known = db.execute("SELECT COALESCE(server_uid, uid), size FROM ledger")
            return size_suspects(as_entries(listing), known)

    def match_listing(
        self,
        listing: Listing | Iterable[ServerEntry],
        fingerprints: Mapping[int, str] | None = None,
    ) -> dict[str, tuple[int, int]]:
        """Key -> (number, size) for the rows this session's listing still holds; no writes.

        For deleting: the numbers come from *this* session, matched by the same rules as
        :meth:`reconcile`, so a reused UID or a changed set of copies never maps to a mark.
        """
        with self._db.read() as db:
            matching = match_listing(as_entries(listing), self._ledger_rows(db), fingerprints)
        return {
            key: (entry.number, entry.size)
            for key, (entry, _) in matching.assigned.items()
            if key not in matching.returned and key not in matching.unmark
        }

    @staticmethod
    def _ledger_rows(db: sqlite3.Connection) -> list[LedgerRow]:
        return list(
            map(
                LedgerRow._make,
                paced(
                    db.execute(
                        "SELECT l.uid, COALESCE(l.server_uid, l.uid), l.copy, l.size, "
                        "l.gone_since IS NOT NULL, p.uid IS NOT NULL, l.server_order, l.fingerprint "
                        "FROM ledger l LEFT JOIN pending_deletions p ON p.uid = l.uid"
                    )
                ),
            )
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
        uids = list(uids)
        with self._db.write() as db:
            cursor = db.executemany(
                "UPDATE ledger SET read = ? WHERE uid = ? AND read != ?",
                ((int(read), uid, int(read)) for uid in uids),
            )
            changed = max(cursor.rowcount, 0)
        if self.local is not None:
            for uid in uids:  # the Maildir's S flag says the same as the ledger
                self.local.set_seen(uid, read)
        return changed

    def message_count(self) -> int:
        """Messages on the server at the last reconcile."""
        with self._db.lock:
            row = self._db.connection.execute(
                "SELECT COUNT(*) FROM ledger WHERE gone_since IS NULL"
            ).fetchone()
        return int(row[0])

    def problem_count(self) -> int:
        """Present messages whose headers could not be read fully (``!`` in the list)."""
        with self._db.lock:
            row = self._db.connection.execute(
                "SELECT COUNT(*) FROM ledger l JOIN headers h ON h.uid = l.uid "
                "WHERE l.gone_since IS NULL AND h.problem != ''"
            ).fetchone()
        return int(row[0])

    def unread_count(self) -> int:
        """Messages on the server at the last reconcile that were never read."""
        with self._db.lock:
            return self._unread(self._db.connection)

    # -- header cache ------------------------------------------------------------------

    def add_headers(
        self, batch: Iterable[tuple[str, bytes]], *, rows: bool = True
    ) -> list[MessageSummary]:
        """Cache the raw header blocks of a batch of UIDs in one transaction.

        Every UID must be in the ledger (reconcile first: a :class:`StoreError` rolls the
        whole batch back); UIDs that have meanwhile gone from the server are skipped.
        Returns the updated rows, for the list to show (none with ``rows=False``: a caller
        with no list, like ``tui-mail check``, does not pay for reading them back).
        """
        decoded = [
            (uid, *decode_header_block(raw))
            for uid, raw in paced(batch, every=HEADERS_BETWEEN_STEPS)
        ]
        if not decoded:
            return []
        now = self._clock()
        uids = [uid for uid, _, _, _ in decoded]
        body_files: list[str] = []
        with self._db.write() as db:
            known = self._ledger_of(db, uids)
            unknown = [uid for uid in uids if uid not in known]
            if unknown:
                raise StoreError(f"no ledger row for UID {unknown[0]!r}: reconcile first")
            kept = [row for row in decoded if known[row[0]][0]]
            body_files = self._bind_fingerprints(
                db, [(uid, fingerprint, known[uid]) for uid, _, _, fingerprint in kept]
            )
            db.executemany(
                "INSERT INTO headers "
                "(uid, date_epoch, tz_offset, sender, subject, problem, fetched_at, sender_address) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE SET "
                "date_epoch = excluded.date_epoch, tz_offset = excluded.tz_offset, "
                "sender = excluded.sender, subject = excluded.subject, "
                "problem = excluded.problem, fetched_at = excluded.fetched_at, "
                "sender_address = excluded.sender_address",
                (
                    (uid, *_field_values(fields), now, fields.sender_address)
                    for uid, _, fields, _ in kept
                ),
            )
            db.executemany(
                "INSERT INTO raw_headers (uid, raw) VALUES (?, ?) "
                "ON CONFLICT (uid) DO UPDATE SET raw = excluded.raw",
                ((uid, raw) for uid, raw, _, _ in kept),
            )
            summaries = self._summaries_of(db, [uid for uid, _, _, _ in kept]) if rows else []
        self.bodies.remove_files(body_files)
        return summaries

    @staticmethod
    def _ledger_of(
        db: sqlite3.Connection, uids: list[str]
    ) -> dict[str, tuple[bool, str | None, str | None]]:
        """uid -> (on the server, stored fingerprint, server UID), for the UIDs known."""
        found: dict[str, tuple[bool, str | None, str | None]] = {}
        for chunk in _chunks(uids):
            marks = ",".join("?" * len(chunk))
            for uid, gone_since, fingerprint, server_uid in db.execute(
                "SELECT uid, gone_since, fingerprint, server_uid FROM ledger "  # noqa: S608
                f"WHERE uid IN ({marks})",
                chunk,
            ):
                found[uid] = (gone_since is None, fingerprint, server_uid)
        return found

    def _bind_fingerprints(
        self,
        db: sqlite3.Connection,
        rows: list[tuple[str, str, tuple[bool, str | None, str | None]]],
    ) -> list[str]:
        """Record each row's header fingerprint; a different one means other mail, same UID.

        Such a row starts over as a new message: unread, unmarked, no cached body, and the
        server's UID is noted in :attr:`reused` for the user to be told once. ``rows`` carry
        what the ledger held (from :meth:`_ledger_of`), so a batch costs two statements.
        """
        changed: list[str] = []
        updates: list[tuple[str, str]] = []
        bound: dict[str, str] = {}  # a UID twice in one batch compares with its first block
        for key, fingerprint, (_present, stored, server_uid) in rows:
            stored = bound.get(key, stored)
            bound[key] = fingerprint
            if stored is not None and stored != fingerprint:
                changed.append(key)
                self.reused.append(server_uid if server_uid is not None else key)
            if stored != fingerprint:
                updates.append((fingerprint, key))
        db.executemany("UPDATE ledger SET fingerprint = ? WHERE uid = ?", updates)
        if not changed:
            return []
        db.executemany("UPDATE ledger SET read = 0 WHERE uid = ?", ((key,) for key in changed))
        marks = db.executemany(
            "DELETE FROM pending_deletions WHERE uid = ?", ((key,) for key in changed)
        )
        if marks.rowcount > 0:
            self.unmarked_by_reuse += marks.rowcount
        names: list[str] = []
        for key in changed:
            names.extend(
                name
                for (name,) in db.execute(
                    "DELETE FROM bodies WHERE uid = ? RETURNING file_name", (key,)
                ).fetchall()
            )
        return names

    def record_problem(self, uid: str, problem: str) -> MessageSummary | None:
        """Note what went wrong with one message (its row shows a mark); returns the row.

        A message whose headers never arrived gets an empty header row, so the next sync does
        not ask for them again (a server that floods one TOP answer would stall every sync).
        """
        now = self._clock()
        with self._db.write() as db:
            if not self._presence(db, [uid]).get(uid):
                return None
            db.execute(
                "INSERT INTO headers (uid, date_epoch, tz_offset, sender, subject, problem, "
                "fetched_at) VALUES (?, NULL, NULL, '', '', ?, ?) "
                "ON CONFLICT (uid) DO UPDATE SET problem = excluded.problem",
                (uid, problem, now),
            )
            found = self._summaries_of(db, [uid])
        return found[0] if found else None

    def raw_headers(self, uid: str) -> bytes | None:
        """The header block exactly as the server sent it (for "show all headers")."""
        with self._db.lock:
            row = self._db.connection.execute(
                "SELECT raw FROM raw_headers WHERE uid = ?", (uid,)
            ).fetchone()
        if row is None and self.local is not None:  # gone from the server: from the Maildir
            return local_head(self.local, uid)
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
        """Every message on the server at the last reconcile, oldest first (server order),
        then those kept in the Maildir that the server no longer lists (``local_only``)."""
        fields, local = self.summary_fields()
        return build_summaries(fields) + local

    def summary_fields(self) -> tuple[list[tuple[Any, ...]], list[MessageSummary]]:
        """What :meth:`summaries` is made of: the server's messages as read, and local rows.

        The first are the list fields :func:`build_summaries` makes rows of. Compared as read
        (a tuple from SQLite is made in C), they tell which rows changed without building
        100,000 objects first (session/shown_rows.py).
        """
        fields = self.present_fields()
        return fields, self._local_only_summaries({row[0] for row in fields})

    def present_fields(self) -> list[tuple[Any, ...]]:
        """The list fields of every message on the server at the last reconcile, as read."""
        with self._db.read() as db:
            return list(
                paced(
                    db.execute(
                        f"SELECT {_SUMMARY_COLUMNS} WHERE l.gone_since IS NULL "
                        "ORDER BY l.server_order"
                    )
                )
            )

    def _local_only_summaries(self, present: Collection[str]) -> list[MessageSummary]:
        """Rows of the Maildir's copies whose keys are not among ``present`` (oldest first)."""
        if self.local is None:
            return []
        try:
            return self._local_rows.rows(self.local, present)
        except LocalCopyError:  # the Maildir's ledger cannot be read: the server's rows still
            return []

    def summary(self, uid: str) -> MessageSummary | None:
        with self._db.read() as db:
            found = self._summaries_of(db, [uid])
        if not found and self.local is not None and uid in self.local_only_uids():
            return self._local_rows.row(self.local, uid)
        return found[0] if found else None

    def local_only_uids(self) -> set[str]:
        """Keys stored in the Maildir that the server did not list at the last reconcile."""
        if self.local is None:
            return set()
        with self._db.read() as db:
            present = {uid for (uid,) in db.execute(_PRESENT_KEYS)}
        return self._local_rows.uids(self.local, present)

    def remove_local_copy(self, uid: str) -> bool:
        """The user deleted a local-only message: its file and ledger row go."""
        if self.local is None:
            return False
        try:
            removed = self.local.remove(uid)
        except (LocalCopyError, OSError) as error:
            raise StoreError(f"cannot delete the local copy: {error}") from None
        self._local_rows.forget(uid)
        return removed

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
        return build_summaries(rows)

    # -- pending deletions -------------------------------------------------------------

    def mark_for_deletion(self, uids: Iterable[str]) -> None:
        """Remember that the user wants ``uids`` deleted (applied at QUIT, after confirming).

        Local-only rows are marked for this run only (see ``store/local_only.py``).
        """
        uids = list(uids)
        self._local_rows.mark(uids, True)
        now = self._clock()
        with self._db.write() as db:
            for uid in uids:  # rows cached before fingerprints existed get theirs now
                row = db.execute(
                    "SELECT r.raw FROM ledger l JOIN raw_headers r ON r.uid = l.uid "
                    "WHERE l.uid = ? AND l.fingerprint IS NULL",
                    (uid,),
                ).fetchone()
                if row is not None:
                    db.execute(
                        "UPDATE ledger SET fingerprint = ? WHERE uid = ?",
                        (header_fingerprint(bytes(row[0])), uid),
                    )
            db.executemany(
                "INSERT OR IGNORE INTO pending_deletions (uid, marked_at, size, fingerprint) "
                "SELECT uid, ?, size, fingerprint FROM ledger WHERE uid = ? AND gone_since IS NULL",
                ((now, uid) for uid in uids),
            )

    def unmark_for_deletion(self, uids: Iterable[str]) -> None:
        uids = list(uids)
        self._local_rows.mark(uids, False)
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

    def pending_marks(self) -> list[Mark]:
        """The marks with what the user saw when marking (size, header fingerprint)."""
        with self._db.lock:
            rows = self._db.connection.execute(
                "SELECT p.uid, COALESCE(l.server_uid, l.uid), COALESCE(p.size, l.size), "
                "p.fingerprint FROM pending_deletions p JOIN ledger l ON l.uid = p.uid "
                "WHERE l.gone_since IS NULL ORDER BY l.server_order"
            ).fetchall()
        return [Mark(key, uid, size, fingerprint) for key, uid, size, fingerprint in rows]

    def copies_of(self, server_uid: str) -> list[str]:
        """Keys of the present rows that share ``server_uid`` (identical copies)."""
        with self._db.lock:
            rows = self._db.connection.execute(
                "SELECT uid FROM ledger WHERE COALESCE(server_uid, uid) = ? "
                "AND gone_since IS NULL ORDER BY copy",
                (server_uid,),
            ).fetchall()
        return [key for (key,) in rows]

    def deletions_done(self, uids: Iterable[str], *, keep_local: bool = False) -> None:
        """The server deleted ``uids`` (QUIT answered +OK): they are gone, like vanished UIDs.

        The user's delete takes the local copy too; retention (``keep_local``) keeps it.
        """
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
        if self.local is not None and not keep_local:
            for uid in uids:  # deleted by the user: the local copy goes with it
                self.local.remove(uid)


def _address_of(raw: bytes | None) -> str:
    """The From address of a cached header block; "" when there is none or it is unreadable."""
    if not raw:
        return ""
    try:
        return header_fields(raw).sender_address
    except Exception:  # one damaged cached block must not stop the store from opening
        return ""


def _renumber(
    db: sqlite3.Connection,
    assigned: Mapping[str, tuple[ServerEntry, int]],
    known: Mapping[str, LedgerRow],
) -> None:
    """Give the rows that stay this listing's numbers, by runs, not one UPDATE per row.

    When older mail is deleted elsewhere every later message moves down by the same amount:
    at 100,000 messages that was 100,000 single-row UPDATEs (~0.5 s, much of it holding the
    GIL the UI needs). Sorted by their old number, rows whose number moves by the same amount
    form runs, and each run is one ranged UPDATE. Called once the vanished rows have lost
    their number, so every row still numbered is one of ``assigned`` and a run's range holds
    only its own rows (numbers are never negative, so moved rows are apart until the end).
    Rows whose size or copy also changed are written again after.
    """
    moves = sorted(
        (row.order, entry.number)
        for key, (entry, _) in assigned.items()
        if not (row := known[key]).gone and row.order is not None
    )
    runs: list[list[int]] = []  # [first old number, last old number, shift]
    for old, new in moves:
        shift = new - old
        if runs and runs[-1][2] == shift:
            runs[-1][1] = old
        else:
            runs.append([old, old, shift])
    runs = [run for run in runs if run[2]]
    if not runs:
        return
    # Negated on the way, so that a run moved into another run's old range (a server that
    # reorders) is not moved twice; then every moved row turns positive in one statement.
    db.executemany(
        "UPDATE ledger SET server_order = -(server_order + ?) "
        "WHERE gone_since IS NULL AND server_order BETWEEN ? AND ?",
        [(shift, first, last) for first, last, shift in runs],
    )
    db.execute(
        "UPDATE ledger SET server_order = -server_order "
        "WHERE gone_since IS NULL AND server_order < 0"
    )


def _field_values(fields: HeaderFields) -> tuple[int | None, int | None, str, str, str]:
    return fields.date_epoch, fields.tz_offset, fields.sender, fields.subject, fields.problem


def build_summaries(rows: Iterable[tuple[Any, ...]]) -> list[MessageSummary]:
    """Rows of ``_SUMMARY_COLUMNS`` (:meth:`Store.present_fields`) to MessageSummary objects.

    The hot loop for 100,000 rows: positional arguments, local names and one shared
    timezone object per distinct offset (measured ~25 % faster than the plain version).
    """
    to_date = DateRebuilder()
    summaries: list[MessageSummary] = []
    append = summaries.append
    for row in paced(rows):
        uid, size, epoch, offset, sender, subject, read, marked, order, loaded, problem, address = (
            row
        )
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
                problem or "",
                address or "",
            )
        )
    return summaries
