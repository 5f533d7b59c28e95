"""The end-of-sync diff (session/shown_rows.py): only what changed reaches the UI, and only
what changed is built into rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.accounts import Account
from tui_mail.session.events import ListChanged
from tui_mail.session.shown_rows import Fields, ShownRows
from tui_mail.store import MessageSummary, Store
from tui_mail.store.store import build_summaries


def header(number: int) -> bytes:
    return (
        f"From: Sender {number} <s{number}@example.org>\r\nSubject: Message {number}\r\n"
        "Date: Mon, 2 Jun 2025 10:00:00 +0000\r\n\r\n"
    ).encode()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    account = Account(name="t", host="127.0.0.1", port=1, tls="none", user="u")
    store = Store.for_account(account, data_dir=tmp_path)
    store.reconcile({uid: (n, 1000 + n) for n, uid in enumerate("abcd", start=1)})
    store.add_headers([(uid, header(n)) for n, uid in enumerate("abcd", start=1)])
    return store


class CountingBuild:
    """build_summaries, remembering which keys it was asked to build."""

    def __init__(self) -> None:
        self.built: list[str] = []

    def __call__(self, fields: list[Fields]) -> list[MessageSummary]:
        self.built.extend(item[0] for item in fields)
        return build_summaries(fields)


def shown_from(store: Store) -> tuple[ShownRows, list[MessageSummary]]:
    fields = store.present_fields()
    rows = build_summaries(fields)
    shown = ShownRows()
    shown.replace(rows, fields)
    return shown, rows


def test_nothing_changed_builds_nothing_and_keeps_the_objects(store: Store) -> None:
    shown, rows = shown_from(store)
    build = CountingBuild()
    assert shown.diff_fields(store.present_fields(), build) == ListChanged()
    assert build.built == []
    again = CountingBuild()
    shown.diff_fields(store.present_fields(), again)
    assert again.built == []  # the hashes were kept for the next diff too
    assert all(shown._rows[row.uid] is row for row in rows)  # the very objects the UI holds


def test_a_changed_row_is_built_and_sent_alone(store: Store) -> None:
    shown, _ = shown_from(store)
    store.mark_read(["b"], True)  # e.g. by `tui-mail` in another terminal
    store.reconcile({"a": (1, 1001), "b": (2, 1002), "d": (3, 1004), "e": (4, 900)})
    build = CountingBuild()
    change = shown.diff_fields(store.present_fields(), build)
    assert sorted(build.built) == ["b", "e"]
    assert [row.uid for row in change.updated] == ["b"] and not change.updated[0].unread
    assert [row.uid for row in change.added] == ["e"] and change.removed == ["c"]
    assert shown.diff_fields(store.present_fields(), CountingBuild()) == ListChanged()


def test_rows_the_ui_learnt_otherwise_are_compared_in_full(store: Store) -> None:
    shown, _ = shown_from(store)
    shown.edit("a", unread=False)  # `n` in the UI, written to the store just after
    store.mark_read(["a"], True)
    build = CountingBuild()
    assert shown.diff_fields(store.present_fields(), build) == ListChanged()
    assert build.built == ["a"]  # no hash since the edit: built, found equal
    shown.edit("c", marked_delete=True)  # the store never hears of it (a failed write)
    change = shown.diff_fields(store.present_fields(), CountingBuild())
    assert [(row.uid, row.marked_delete) for row in change.updated] == [("c", False)]
    fresh = store.summaries()[3]
    shown.note([fresh.with_(subject="older copy")])  # SummariesUpdated, then the store moved on
    change = shown.diff_fields(store.present_fields(), CountingBuild())
    assert change.updated == [fresh]


def full_diff(before: list[MessageSummary], after: list[MessageSummary]) -> ListChanged:
    """The difference by the definition: every row built and compared."""
    old = {row.uid: row for row in before}
    new = {row.uid: row for row in after}
    return ListChanged(
        added=[row for uid, row in new.items() if uid not in old],
        removed=[uid for uid in old if uid not in new],
        updated=[row for uid, row in new.items() if uid in old and old[uid] != row],
    )


def test_equal_to_the_full_diff(store: Store) -> None:
    by_fields, before = shown_from(store)
    store.mark_for_deletion(["d"])
    store.reconcile({"b": (1, 1002), "c": (2, 1003), "d": (3, 1004), "f": (4, 50)})
    fields = store.present_fields()
    expected = full_diff(before, build_summaries(fields))
    assert expected.updated and expected.removed and expected.added  # all three kinds
    assert by_fields.diff_fields(fields, build_summaries) == expected
