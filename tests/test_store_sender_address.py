"""The sender's address is cached next to the name, so the list filter can match it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.test_store import listing
from tests.test_store_migrations import old_store
from tui_mail.store import Store
from tui_mail.ui.list_model import MessageListModel

HEADERS = b"From: Carol Jones <carol@example.org>\r\nSubject: report\r\n\r\n"


def test_new_headers_carry_the_address(tmp_path: Path) -> None:
    with Store.open("h", 995, "u", data_dir=tmp_path) as store:
        store.reconcile(listing("a", "b"))
        rows = store.add_headers([("a", HEADERS), ("b", b"From: x@y.example\r\n\r\n")])
        assert {row.uid: row.sender_address for row in rows} == {
            "a": "carol@example.org",
            "b": "x@y.example",
        }
        row = store.summary("a")
        assert row is not None and row.sender == "Carol Jones"
        assert row.sender_address == "carol@example.org"


def test_a_store_from_before_addresses_is_filled_in_from_raw_headers(tmp_path: Path) -> None:
    directory = old_store(tmp_path, version=2)
    with sqlite3.connect(directory / "store.sqlite3") as db:
        db.execute("UPDATE raw_headers SET raw = ? WHERE uid = 'a'", (HEADERS,))
    with Store.open("h", 995, "u", data_dir=tmp_path) as store:
        rows = {row.uid: row for row in store.summaries()}
    assert rows["a"].sender_address == "carol@example.org"
    assert rows["a"].sender == "Sender"  # the shown name is left as it was cached
    model = MessageListModel()
    model.replace_all(rows.values())
    model.set_filter("carol@")
    assert [model.row_at(i).uid for i in range(len(model))] == ["a"]
    with sqlite3.connect(directory / "store.sqlite3") as db:
        left = db.execute("SELECT count(*) FROM headers WHERE sender_address IS NULL").fetchone()
    assert left == (0,)  # done once, not at every start


def test_a_read_only_store_from_before_addresses_still_lists(tmp_path: Path) -> None:
    from tui_mail.store.read_only import ReadOnlyCache

    directory = old_store(tmp_path, version=2)  # never migrated: the directory is read-only
    cache = ReadOnlyCache(directory)
    try:
        rows = {row.uid: row for row in cache.summaries()}
    finally:
        cache.close()
    assert rows["a"].subject == "Hi" and rows["a"].sender_address == ""
    assert rows["a"].problem == ""
