"""Schema versions: an older store is migrated in place; a newer one is refused untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tui_mail.store import SCHEMA_VERSION, Store, StoreError, account_dir_name
from tui_mail.store.database import Database
from tui_mail.store.schema import MIGRATIONS, migrate, schema_version


def old_store(tmp_path: Path, version: int) -> Path:
    """A store directory as an older tui-mail (schema ``version``) would have left it."""
    directory = tmp_path / "accounts" / account_dir_name("h", 995, "u")
    directory.mkdir(parents=True)
    database = Database(directory / "store.sqlite3", schema_version=version)
    db = database.connection
    identity = [("host", "h"), ("port", "995"), ("user", "u")]
    db.executemany("INSERT INTO meta VALUES (?, ?)", identity)
    columns = "(uid, first_seen, read, server_order, size, gone_since)"
    db.execute(f"INSERT INTO ledger {columns} VALUES ('a', 1.0, 1, 1, 500, NULL)")
    db.execute(f"INSERT INTO ledger {columns} VALUES ('b', 2.0, 0, 2, 600, NULL)")
    db.execute(
        "INSERT INTO headers (uid, date_epoch, tz_offset, sender, subject, fetched_at) "
        "VALUES ('a', 1704157200, 32400, 'Sender', 'Hi', 3.0)"
    )
    db.execute("INSERT INTO raw_headers VALUES ('a', x'53756265637420')")
    db.execute("INSERT INTO pending_deletions (uid, marked_at) VALUES ('b', 4.0)")
    database.close()
    return directory


def test_version_one_store_is_migrated_with_its_data(tmp_path: Path) -> None:
    directory = old_store(tmp_path, version=1)
    with Store.open("h", 995, "u", data_dir=tmp_path) as store:
        assert store.directory == directory
        rows = store.summaries()
        assert [(r.uid, r.unread, r.subject, r.marked_delete) for r in rows] == [
            ("a", False, "Hi", False),
            ("b", True, "", True),
        ]
        assert rows[0].date is not None and rows[0].date.isoformat() == "2024-01-02T10:00:00+09:00"
        assert [r.arrival for r in rows] == [1, 2]  # version 6: the listing order so far
        again = store.reconcile({"b": (1, 600), "c": (2, 700)})  # "a" deleted elsewhere
        assert again.new == ["c"]
        assert [(r.uid, r.arrival) for r in store.summaries()] == [("b", 2), ("c", 4)]
        store.bodies.store("a", b"body")  # the table added by version 2 works
        assert store.bodies.read("a") == b"body"
    with sqlite3.connect(directory / "store.sqlite3") as db:
        assert schema_version(db) == SCHEMA_VERSION


def test_migrations_run_one_version_at_a_time(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    for version in range(1, len(MIGRATIONS) + 1):
        migrate(db, version)
        assert schema_version(db) == version
    migrate(db)  # already current: nothing to do
    assert schema_version(db) == SCHEMA_VERSION


def test_failed_migration_keeps_the_previous_version(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    migrate(db, 1)
    db.execute("CREATE TABLE bodies (clash INTEGER)")  # version 2 cannot create its table
    with pytest.raises(sqlite3.OperationalError):
        migrate(db)
    assert schema_version(db) == 1
    leftover = db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'bodies_lru'")
    assert leftover.fetchone()[0] == 0


def test_store_from_a_newer_program_is_refused_untouched(tmp_path: Path) -> None:
    directory = old_store(tmp_path, version=SCHEMA_VERSION)
    path = directory / "store.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this tui-mail"):
        Store.open("h", 995, "u", data_dir=tmp_path)
    with sqlite3.connect(path) as db:
        assert schema_version(db) == SCHEMA_VERSION + 1
        assert db.execute("SELECT COUNT(*) FROM ledger").fetchone()[0] == 2


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    directory = tmp_path / "accounts" / account_dir_name("h", 995, "u")
    directory.mkdir(parents=True)
    (directory / "store.sqlite3").write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreError, match="unusable"):
        Store.open("h", 995, "u", data_dir=tmp_path)
