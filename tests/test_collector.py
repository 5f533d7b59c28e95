"""The cycle collector kept out of the way of a 100,000-row list (session/collector.py).

Why it matters is measured in ``benchmarks/ui_keypress.py --only-sync`` (a full collection
walking 100,000 rows stops the UI thread for 50-170 ms); here only what the module promises:
no collection inside a pause, from any thread; the state restored after; kept objects frozen
out of later walks, and garbage never frozen with them.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.fake_session import sample_mailbox
from tui_mail.accounts import Account, SecretProvider
from tui_mail.session.collector import collector_paused
from tui_mail.session.mail_session import MailSession
from tui_mail.session.shown_rows import ShownRows
from tui_mail.store import Store
from tui_mail.ui.app import TuiMailApp


class Node:
    """An object that can be in a reference cycle (and be seen leaving by a weakref)."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    """A reference cycle that is garbage at once: only the collector can free it."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def frozen(obj: object) -> bool:
    """Out of the collector's reach: tracked, yet in no generation."""
    return gc.is_tracked(obj) and not any(o is obj for o in gc.get_objects())


def test_no_collection_inside_and_the_state_restored_after(enabled: None) -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()  # disabled before: still disabled after
    gc.enable()


def test_overlapping_pauses_from_two_threads_end_with_the_last(enabled: None) -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with collector_paused():
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the other thread's pause still runs
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_kept_objects_leave_the_walk_and_garbage_is_not_frozen_with_them(
    enabled: None,
) -> None:
    with collector_paused(keep=True):  # a first freeze (as the rows at start-up)
        first = [Node() for _ in range(10)]
    assert all(frozen(node) for node in first)
    garbage = cycle()
    assert garbage() is not None  # not collected yet
    with collector_paused(keep=True):
        kept = [Node() for _ in range(10)]
    assert garbage() is None  # collected before the freeze, not frozen for ever
    assert all(frozen(node) for node in kept)
    del first, kept


async def test_the_list_rows_are_frozen_once_shown() -> None:
    session = sample_mailbox(50)
    app = TuiMailApp(session, account_name="work")
    async with app.run_test(size=(80, 24)) as pilot:
        while app.model.total < 50:
            await pilot.pause(0.01)
        row = app.model.row_at(0)
        assert frozen(row)
        app.exit()


def test_the_end_of_sync_diff_runs_with_the_collector_paused(
    enabled: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[bool] = []
    original = ShownRows.diff_fields

    def diff(self: ShownRows, *args: Any) -> object:
        seen.append(gc.isenabled())
        return original(self, *args)

    monkeypatch.setattr(ShownRows, "diff_fields", diff)
    account = Account(name="t", host="127.0.0.1", port=1, tls="none", user="u")
    reported: list[object] = []
    with Store.for_account(account, data_dir=tmp_path) as store:
        store.reconcile({"a": (1, 100)})
        session = MailSession(account, store, SecretProvider())
        session._report = reported.append
        session._report_list_changes(always=True)
    assert seen == [False]
    assert gc.isenabled()
    assert [row.uid for row in reported[0].added] == ["a"]  # type: ignore[attr-defined]


def test_a_reconcile_leaves_nothing_young_to_walk_when_the_pause_ends(
    enabled: None, tmp_path: Path
) -> None:
    """The first collection after the pause would walk whatever the reconcile left young:
    the ledger read and the matching must be gone by then (~60 ms at 100,000 messages)."""
    young: list[int] = []

    @contextmanager
    def quiet() -> Iterator[None]:
        with collector_paused():
            yield
            young.append(len(gc.get_objects(0)))

    account = Account(name="t", host="127.0.0.1", port=1, tls="none", user="u")
    with Store.for_account(account, data_dir=tmp_path) as store:
        store.reconcile({f"u{n}": (n, 100) for n in range(1, 5001)})
        gc.collect()
        result = store.reconcile({f"u{n}": (n - 1, 100) for n in range(2, 5002)}, quiet=quiet)
    assert young and young[0] < 1000  # not ~10,000 rows and pairs of 5,000 messages
    assert result.listing["u5001"] == (5000, 100) and result.new == ["u5001"]
