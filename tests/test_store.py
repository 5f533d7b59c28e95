"""The per-account store: ledger reconciliation, header cache, deletions, metadata."""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tui_mail.store import (
    GONE_RETENTION,
    Listing,
    MessageSummary,
    Store,
    StoreError,
    account_dir_name,
)


class Clock:
    """A controllable time source (epoch seconds)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def header(n: int, subject: str | None = None) -> bytes:
    """A simple ASCII header block (what TOP n 0 returns)."""
    return (
        f"From: Sender {n} <s{n}@example.org>\r\n"
        f"Subject: {subject or f'Message {n}'}\r\n"
        f"Date: Tue, 02 Jan 2024 10:{n % 60:02d}:00 +0900\r\n"
        f"Message-ID: <{n}@example.org>\r\n\r\n"
    ).encode()


def listing(*uids: str, size: int = 1000) -> Listing:
    """Messages numbered 1..n in the order given (1 = oldest); a UID keeps its size.

    (A size that changes for one UID means the server reused the UID for other mail.)
    """
    return {
        uid: (number, size + zlib.crc32(uid.encode()) % 997)
        for number, uid in enumerate(uids, start=1)
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    with Store.open("pop.example.org", 995, "alice", data_dir=tmp_path, clock=clock) as opened:
        yield opened


def raw_db(store: Store) -> sqlite3.Connection:
    return sqlite3.connect(store.directory / "store.sqlite3")


# -- reconcile -----------------------------------------------------------------------


def test_first_listing_is_all_new_and_unread_newest_first(store: Store) -> None:
    result = store.reconcile(listing("a", "b", "c"))
    assert result.applied and result.mass_change is None
    assert result.new == ["c", "b", "a"]
    assert result.need_headers == ["c", "b", "a"]
    assert (result.total, result.unread, result.vanished, result.returned) == (3, 3, [], [])
    assert [s.uid for s in store.summaries()] == ["a", "b", "c"]
    assert all(s.unread and not s.headers_loaded for s in store.summaries())


def test_same_listing_again_is_nothing_new(store: Store) -> None:
    store.reconcile(listing("a", "b"))
    store.add_headers([("a", header(1)), ("b", header(2))])
    again = store.reconcile(listing("a", "b"))
    assert (again.new, again.need_headers, again.vanished) == ([], [], [])


def test_new_mail_and_renumbering_after_a_deletion_elsewhere(store: Store) -> None:
    store.reconcile(listing("a", "b", "c"))
    store.add_headers([(uid, header(i)) for i, uid in enumerate("abc")])
    result = store.reconcile(listing("b", "c", "d", "e"))  # "a" deleted by another client
    assert result.new == ["e", "d"]
    assert result.vanished == ["a"]
    assert result.need_headers == ["e", "d"]
    rows = store.summaries()
    # The list's order of arrival: b and c keep theirs (the renumbering changes no row), the
    # new mail comes after them in listing order; the numbers are this session's listing.
    assert [(s.uid, s.arrival) for s in rows] == [("b", 2), ("c", 3), ("d", 6), ("e", 7)]
    assert {uid: number for uid, (number, _) in result.listing.items()} == {
        "b": 1,
        "c": 2,
        "d": 3,
        "e": 4,
    }
    sizes = listing("b", "c", "d", "e")
    assert [s.size for s in rows] == [sizes[uid][1] for uid in "bcde"]  # sizes follow LIST
    assert store.raw_headers("a") is None  # vanished UIDs leave the header cache


def test_vanished_uid_is_remembered_and_not_new_when_it_returns(store: Store) -> None:
    store.reconcile(listing("a", "b"))
    store.add_headers([("a", header(1))])
    store.mark_read(["a"])
    store.reconcile(listing("b"))
    assert store.message_count() == 1
    back = store.reconcile(listing("a", "b"))
    assert back.new == [] and back.returned == ["a"]
    assert "a" in back.need_headers  # its headers left with it
    summary = store.summary("a")
    assert summary is not None and not summary.unread  # read flag survived


def test_gone_uids_are_pruned_after_the_retention(store: Store, clock: Clock) -> None:
    store.reconcile(listing("a", "b"))
    store.reconcile(listing("b"))
    clock.now += GONE_RETENTION + 1
    result = store.reconcile(listing("b"))
    assert result.pruned == 1
    assert store.reconcile(listing("a", "b")).new == ["a"]  # forgotten, so new again


def test_mass_uid_change_is_reported_not_applied(store: Store) -> None:
    old = [f"old{i}" for i in range(50)]
    store.reconcile(listing(*old))
    store.mark_read(old)
    new = [f"new{i}" for i in range(50)]
    result = store.reconcile(listing(*new))
    assert not result.applied
    assert result.mass_change is not None
    assert (result.mass_change.known, result.mass_change.vanished) == (50, 50)
    assert (result.mass_change.listed, result.mass_change.new) == (50, 50)
    assert "50 of 50 known messages vanished" in result.mass_change.describe()
    assert len(result.new) == 50 and result.need_headers == []
    assert [s.uid for s in store.summaries()] == old  # untouched
    accepted = store.reconcile(listing(*new), accept_mass_change=True)
    assert accepted.applied and accepted.mass_change is not None
    assert [s.uid for s in store.summaries()] == new
    assert accepted.unread == 50


@pytest.mark.parametrize(
    ("known", "kept", "added", "flagged"),
    [
        (50, 0, 50, True),  # everything replaced
        (50, 5, 45, True),  # 90 % gone, 90 % new
        (50, 20, 30, False),  # only 60 % gone: ordinary churn
        (19, 0, 19, False),  # too small a mailbox to tell
        (50, 0, 5, False),  # mailbox emptied elsewhere, a few new ones arrived
    ],
)
def test_mass_change_threshold_and_minimum(
    store: Store, known: int, kept: int, added: int, flagged: bool
) -> None:
    old = [f"old{i}" for i in range(known)]
    store.reconcile(listing(*old))
    result = store.reconcile(listing(*old[:kept], *[f"new{i}" for i in range(added)]))
    assert (result.mass_change is not None) is flagged
    assert result.applied is not flagged


def test_first_sync_of_a_big_mailbox_is_not_a_mass_change(store: Store) -> None:
    result = store.reconcile(listing(*[f"u{i}" for i in range(200)]))
    assert result.applied and result.mass_change is None and len(result.new) == 200


# -- header cache --------------------------------------------------------------------


def test_headers_fill_the_list_fields(store: Store) -> None:
    store.reconcile(listing("a", "b"))
    updated = store.add_headers([("a", header(7, "Hello"))])
    assert [s.uid for s in updated] == ["a"]
    row = store.summary("a")
    assert row is not None and row.headers_loaded
    assert row.subject == "Hello"
    assert "Sender 7" in row.sender
    assert row.date is not None
    assert row.date.utcoffset() == timedelta(hours=9)
    assert (row.date.year, row.date.hour, row.date.minute) == (2024, 10, 7)
    assert store.raw_headers("a") == header(7, "Hello")
    assert updated == [row]


def test_list_fields_are_sanitised_mail_text(store: Store) -> None:
    store.reconcile(listing("a"))
    store.add_headers(
        [
            (
                "a",
                b"From: \x1b]0;owned\x07Eve <e@x.org>\r\n"
                b"Subject: pay\xe2\x80\xae fdp.exe\x1b[2J\r\n\r\n",
            )
        ]
    )
    row = store.summary("a")
    assert row is not None
    for text in (row.sender, row.subject):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    raw = store.raw_headers("a")
    assert raw is not None and b"\x1b" in raw  # raw kept


def test_message_without_date_has_none(store: Store) -> None:
    store.reconcile(listing("a"))
    store.add_headers([("a", b"Subject: no date\r\n\r\n")])
    row = store.summary("a")
    assert row is not None and row.date is None and row.subject == "no date"


def test_headers_for_unknown_uid_roll_back_the_whole_batch(store: Store) -> None:
    store.reconcile(listing("a"))
    with pytest.raises(StoreError, match="reconcile first"):
        store.add_headers([("a", header(1)), ("zzz", header(2))])
    assert store.raw_headers("a") is None


def test_headers_for_a_uid_gone_meanwhile_are_skipped(store: Store) -> None:
    store.reconcile(listing("a", "b"))
    store.reconcile(listing("b"))
    assert store.add_headers([("a", header(1)), ("b", header(2))]) == [store.summary("b")]
    assert store.raw_headers("a") is None


def test_headers_can_be_refreshed(store: Store) -> None:
    store.reconcile(listing("a"))
    store.add_headers([("a", header(1, "first"))])
    store.add_headers([("a", header(1, "second"))])
    row = store.summary("a")
    assert row is not None and row.subject == "second"


def test_odd_uids_are_plain_keys(store: Store) -> None:
    uids = ["../../etc/passwd", "a b", "x" * 300, "ünï", "'; DROP TABLE ledger; --"]
    store.reconcile(listing(*uids))
    store.add_headers([(uid, header(i)) for i, uid in enumerate(uids)])
    assert [s.uid for s in store.summaries()] == uids


# -- read flags, deletions, metadata ---------------------------------------------------


def test_read_flags_and_counts(store: Store) -> None:
    store.reconcile(listing("a", "b", "c"))
    assert store.mark_read(["a", "b"]) == 2
    assert store.mark_read(["a"]) == 0  # already read
    assert (store.message_count(), store.unread_count()) == (3, 1)
    store.mark_read(["b"], read=False)
    assert [s.unread for s in store.summaries()] == [False, True, True]


def test_pending_deletions_by_uid(store: Store) -> None:
    store.reconcile(listing("a", "b", "c"))
    store.add_headers([(uid, header(i)) for i, uid in enumerate("abc")])
    store.mark_for_deletion(["c", "a", "not-a-uid"])
    assert store.pending_deletions() == ["a", "c"]
    assert [s.marked_delete for s in store.summaries()] == [True, False, True]
    store.unmark_for_deletion(["c"])
    assert store.pending_deletions() == ["a"]
    store.deletions_done(["a"])
    assert store.pending_deletions() == []
    assert [s.uid for s in store.summaries()] == ["b", "c"]
    assert store.raw_headers("a") is None
    assert store.reconcile(listing("b", "c")).vanished == []  # already known to be gone


def test_vanished_uid_leaves_pending_deletions(store: Store) -> None:
    store.reconcile(listing("a", "b"))
    store.mark_for_deletion(["a"])
    store.reconcile(listing("b"))
    assert store.pending_deletions() == []


def test_metadata(store: Store, clock: Clock) -> None:
    assert (store.identity, store.last_sync) == ("strong", None)
    store.set_identity("weak")
    store.record_sync()
    store.set_meta("login_delay", "300")
    assert store.identity == "weak"
    assert store.last_sync == clock.now
    assert store.get_meta("login_delay") == "300"
    store.set_meta("login_delay", None)
    assert store.get_meta("login_delay") is None


def test_state_survives_reopening(tmp_path: Path) -> None:
    with Store.open("H", 995, "u", data_dir=tmp_path) as first:
        first.reconcile(listing("a", "b"))
        first.add_headers([("a", header(1))])
        first.mark_read(["b"])
        first.mark_for_deletion(["a"])
        expected = first.summaries()
    with Store.open("h", 995, "u", data_dir=tmp_path) as second:  # host case does not matter
        assert second.summaries() == expected
        assert second.pending_deletions() == ["a"]


def test_each_login_has_its_own_store(tmp_path: Path) -> None:
    names = {
        account_dir_name("h", 995, "u"),
        account_dir_name("h", 110, "u"),
        account_dir_name("h", 995, "U"),
        account_dir_name("g", 995, "u"),
        account_dir_name("../h", 995, "u/.."),
    }
    assert len(names) == 5
    assert all("/" not in name and not name.startswith(".") for name in names)
    assert account_dir_name("Pop.Example.ORG", 995, "u") == account_dir_name(
        "pop.example.org", 995, "u"
    )


def test_data_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUI_MAIL_DATA_DIR", str(tmp_path / "data"))
    with Store.open("h", 995, "u") as store:
        assert store.directory.parent.parent == tmp_path / "data"


def test_default_data_dir_is_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TUI_MAIL_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    with Store.open("h", 995, "u") as store:
        assert store.directory.parent == tmp_path / "xdg" / "tui-mail" / "accounts"


def test_a_directory_of_another_account_is_refused(tmp_path: Path) -> None:
    with Store.open("h", 995, "u", data_dir=tmp_path) as store:
        directory = store.directory
    with pytest.raises(StoreError, match="belongs to another account"):
        Store(directory, identity=("other", 995, "u"))


def test_summaries_are_message_summary_rows(store: Store) -> None:
    store.reconcile(listing("a"))
    (row,) = store.summaries()
    assert row == MessageSummary(
        uid="a",
        size=listing("a")["a"][1],
        date=None,
        sender="",
        subject="",
        unread=True,
        marked_delete=False,
        arrival=1,
        headers_loaded=False,
    )
