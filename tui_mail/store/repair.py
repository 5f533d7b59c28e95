"""A damaged store repairs itself: set it aside, start fresh, keep what only the user made.

The store is a cache of the server plus the user's own state (read flags, deletion marks).
When SQLite says the file is corrupt or truncated, the file (with its ``-wal``) is renamed
``store.sqlite3.damaged-DATE``, a fresh store is created, whatever rows of the old file SQLite
can still read give back read flags and marks, and the next sync fetches the headers again.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui_mail.accounts.paths import data_root
from tui_mail.store.schema import StoreDamaged
from tui_mail.store.store import DB_NAME, Store, account_dir_name
from tui_mail.wording import plural

if TYPE_CHECKING:
    from tui_mail.accounts.config import Account

# key, server UID, copy, size, read, fingerprint
LedgerState = tuple[str, str, int, int, bool, "str | None"]


@dataclass
class UserState:
    """What a damaged store still tells about the user's own doings."""

    rows: list[LedgerState] = field(default_factory=list)
    marks: list[tuple[str, int | None, str | None]] = field(default_factory=list)


def account_directory(account: Account, data_dir: Path | None = None) -> Path:
    """Where :meth:`Store.for_account` keeps this account (it may not exist yet)."""
    name = account_dir_name(account.host, account.port, account.user)
    return data_root(data_dir) / "accounts" / name


def open_repairing(account: Account, data_dir: Path | None = None) -> tuple[Store, str | None]:
    """The account's store, repaired first if damaged; the second item is the line to show."""
    try:
        store = Store.for_account(account, data_dir=data_dir)
    except StoreDamaged:
        pass
    else:
        try:
            store.check_integrity()
            return store, None
        except StoreDamaged:
            store.close()
    directory = account_directory(account, data_dir)
    aside = set_aside(directory / DB_NAME)
    state = read_user_state(aside)
    store = Store.for_account(account, data_dir=data_dir)
    reads, marks = store.restore_user_state(state)
    kept = f"{plural(reads, 'read flag')} and {plural(marks, 'deletion mark')} recovered"
    return store, (
        f"The local store was damaged: set aside as {aside.name}, a fresh one is filled from "
        f"the server; {kept}."
    )


def set_aside(database: Path) -> Path:
    """Rename the database and its companions to ``NAME.damaged-DATE`` (never deleted)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = database.with_name(f"{database.name}.damaged-{stamp}")
    counter = 1
    while aside.exists():
        counter += 1
        aside = database.with_name(f"{database.name}.damaged-{stamp}-{counter}")
    os.replace(database, aside)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = database.with_name(database.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            os.replace(companion, aside.with_name(aside.name + suffix))
    return aside


def read_user_state(path: Path) -> UserState:
    """Read flags and marks from a damaged file, as far as SQLite can still read it.

    A truncated file is read from a copy padded back to the size its header claims: SQLite
    refuses a short file outright, though the pages that are left are often intact.
    """
    with tempfile.TemporaryDirectory(prefix="tui-mail-recover-") as scratch:
        return _read_user_state(_padded_copy(path, Path(scratch)))


def _padded_copy(path: Path, scratch: Path) -> Path:
    try:
        data = path.read_bytes()
    except OSError:
        return path
    if len(data) < 100 or not data.startswith(b"SQLite format 3\0"):
        return path
    page_size = int.from_bytes(data[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(data[28:32], "big")
    wanted = page_size * pages
    if wanted <= len(data) or wanted > 64 * len(data):
        return path
    copy = scratch / path.name
    copy.write_bytes(data + b"\0" * (wanted - len(data)))
    with contextlib.suppress(FileNotFoundError):
        wal = path.with_name(path.name + "-wal")
        copy.with_name(copy.name + "-wal").write_bytes(wal.read_bytes())
    return copy


def _read_user_state(path: Path) -> UserState:
    state = UserState()
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return state
    try:
        queries = (
            "SELECT uid, COALESCE(server_uid, uid), copy, size, read, fingerprint FROM ledger",
            "SELECT uid, uid, 1, size, read, NULL FROM ledger",  # a store from before marks
        )
        for query in queries:
            try:
                for key, uid, copy, size, read, fingerprint in db.execute(query):
                    state.rows.append(
                        (str(key), str(uid), int(copy), int(size), bool(read), fingerprint)
                    )
                break
            except sqlite3.Error:
                if state.rows:
                    break  # rows read before the damage are kept

        for query in (
            "SELECT uid, size, fingerprint FROM pending_deletions",
            "SELECT uid, NULL, NULL FROM pending_deletions",
        ):
            try:
                state.marks.extend(
                    (str(key), size, fingerprint) for key, size, fingerprint in db.execute(query)
                )
                break
            except sqlite3.Error:
                if state.marks:
                    break
    finally:
        db.close()
    sizes = {row[0]: row[3] for row in state.rows}
    state.marks = [
        (key, size if size is not None else sizes.get(key), fingerprint)
        for key, size, fingerprint in state.marks
        if key in sizes
    ]
    return state
