"""The model feed: session row events applied in order, large ones in slices between keys."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.test_list_model_changes import make_row, shown
from tui_mail.keys_first import KeysFirst
from tui_mail.ui import model_feed
from tui_mail.ui.list_model import MessageListModel
from tui_mail.ui.model_feed import ModelFeed


class Scheduler:
    """Stands in for ``call_later``: keeps the callbacks so the test runs them one by one."""

    def __init__(self) -> None:
        self.waiting: list[Callable[[], None]] = []

    def __call__(self, callback: Callable[[], None]) -> None:
        self.waiting.append(callback)

    def run_one(self) -> None:
        self.waiting.pop(0)()


def test_a_large_change_is_applied_in_slices_one_drain_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(model_feed, "SLICE", 10)
    monkeypatch.setattr(model_feed, "BUDGET", 0.0)  # one slice per drain
    model = MessageListModel()
    redraws: list[int] = []
    later = Scheduler()
    feed = ModelFeed(model, changed=lambda: redraws.append(model.total), schedule=later)
    feed.replace([make_row(f"old{n:02d}", n) for n in range(25)])
    feed.change(
        [make_row(f"new{n:02d}", 100 + n) for n in range(35)], [f"old{n:02d}" for n in range(15)]
    )
    assert model.total == 0 and len(later.waiting) == 1  # nothing yet: it waits its turn
    drains = 0
    while later.waiting:
        later.run_one()
        drains += 1
        assert len(later.waiting) <= 1  # never more than one drain queued
    assert drains == 1 + 2 + 4  # the list, two slices of removals, four of new rows
    assert redraws == [25, 15, 10, 20, 30, 40, 45]
    direct = MessageListModel()
    direct.replace_all(make_row(f"old{n:02d}", n) for n in range(15, 25))
    direct.update([make_row(f"new{n:02d}", 100 + n) for n in range(35)])
    assert shown(model) == shown(direct) and feed.pending == 0


def test_changes_keep_their_order_across_drains(monkeypatch: pytest.MonkeyPatch) -> None:
    """An older copy of a row queued first never wins over the newer one queued after it."""
    monkeypatch.setattr(model_feed, "BUDGET", 0.0)
    model = MessageListModel()
    later = Scheduler()
    feed = ModelFeed(model, changed=lambda: None, schedule=later)
    feed.change([make_row("a", 1, marked_delete=False)])
    feed.change([make_row("a", 1, marked_delete=True)])  # e.g. the session's echo of "d"
    feed.change([], ["gone"])
    while later.waiting:
        later.run_one()
    row = model.get("a")
    assert row is not None and row.marked_delete and model.marked == 1


def test_no_slice_starts_while_a_key_is_in_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key's screen is drawn first (tui_mail/keys_first.py); the rows wait their turn."""
    gate = KeysFirst(max_hold=60.0)
    monkeypatch.setattr(model_feed, "keys_first", gate)
    model = MessageListModel()
    later = Scheduler()
    feed = ModelFeed(model, changed=lambda: None, schedule=later)
    gate.key_arrived()
    feed.replace([make_row(f"r{n}", n) for n in range(5)])
    for _ in range(3):
        later.run_one()
        assert model.total == 0 and len(later.waiting) == 1  # asked again, applied nothing
    gate.key_shown()
    later.run_one()
    assert model.total == 5 and not later.waiting
