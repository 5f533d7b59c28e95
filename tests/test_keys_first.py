"""Key presses first (tui_mail/keys_first.py): other threads' long loops wait while a key is
in hand, never the UI's own thread, never longer than the hold; the app reports every key it
takes, and the store's long loops really do step aside."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import events

from tests.fake_session import small_mailbox
from tests.test_ui_app import loaded, make_app
from tests.waiting import until
from tui_mail.accounts import Account
from tui_mail.keys_first import KeysFirst, keys_first
from tui_mail.store import Store
from tui_mail.ui.keys_first_app import KeysFirstApp


class Worker:
    """A thread that calls ``gate.step_aside()`` once, then says it is done."""

    def __init__(self, gate: KeysFirst) -> None:
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(gate,), daemon=True)
        self.thread.start()

    def _run(self, gate: KeysFirst) -> None:
        gate.step_aside()
        self.done.set()


async def test_nothing_in_hand_nothing_waits() -> None:
    gate = KeysFirst()
    worker = Worker(gate)
    await until(worker.done.is_set, "the worker ran through")
    assert gate.waits == 0


async def test_work_waits_while_a_key_is_in_hand_and_goes_on_when_it_is_shown() -> None:
    gate = KeysFirst(max_hold=60.0)
    gate.key_arrived()
    worker = Worker(gate)
    await until(lambda: gate.waits == 1, "the worker stepped aside")
    assert not worker.done.wait(0.05)
    gate.key_shown()
    await until(worker.done.is_set, "the worker went on once the key was shown")
    assert gate.in_hand == 0


async def test_every_key_in_hand_must_be_shown_before_work_goes_on() -> None:
    gate = KeysFirst(max_hold=60.0)
    gate.key_arrived()
    gate.key_arrived()
    gate.key_shown()
    worker = Worker(gate)
    await until(lambda: gate.waits == 1, "the worker stepped aside for the second key")
    assert gate.in_hand == 1 and not worker.done.is_set()
    gate.key_shown()
    await until(worker.done.is_set, "the worker went on")


async def test_a_key_never_shown_holds_work_back_only_for_the_hold() -> None:
    gate = KeysFirst(max_hold=0.05)
    gate.key_arrived()
    worker = Worker(gate)
    await until(worker.done.is_set, "the worker went on after the hold")
    assert gate.in_hand == 1  # still counted, but no longer holding anything back
    second = Worker(gate)
    await until(second.done.is_set, "an expired hold does not wait again")
    assert gate.waits == 1


async def test_the_ui_thread_never_waits_for_itself() -> None:
    gate = KeysFirst(max_hold=60.0)
    gate.ui_thread = threading.get_ident()
    gate.key_arrived()
    gate.step_aside()  # returns at once: waiting here would hold the key's own handling
    assert gate.waits == 0


async def test_release_all_lets_everything_go() -> None:
    gate = KeysFirst(max_hold=60.0)
    gate.key_arrived()
    gate.key_arrived()
    gate.release_all()
    worker = Worker(gate)
    await until(worker.done.is_set, "nothing is held after release_all")
    assert gate.in_hand == 0 and gate.waits == 0
    gate.key_shown()  # a late report after the release does not go negative
    assert gate.in_hand == 0


def test_paced_yields_everything_and_steps_aside_every_n_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = KeysFirst()
    calls: list[int] = []
    seen: list[int] = []

    def counting() -> None:
        calls.append(len(seen))

    monkeypatch.setattr(gate, "step_aside", counting)
    for item in gate.paced(range(10), every=4):
        seen.append(item)
    assert seen == list(range(10))
    assert calls == [3, 7]  # before the 4th and the 8th item


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[KeysFirst]:
    """The shared gate, clean before and after (the app binds its UI thread to it)."""
    keys_first.release_all()
    monkeypatch.setattr(keys_first, "max_hold", 60.0)
    monkeypatch.setattr(keys_first, "ui_thread", None)
    monkeypatch.setattr(keys_first, "waits", 0)
    yield keys_first
    keys_first.release_all()


async def test_the_app_reports_each_key_it_takes_and_releases_it_once_shown(
    tmp_path: Path, gate: KeysFirst
) -> None:
    app = make_app(small_mailbox(), tmp_path)
    assert isinstance(app, KeysFirstApp)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert gate.ui_thread == threading.get_ident()
        arrivals: list[int] = []
        original = gate.key_arrived

        def counted() -> None:
            arrivals.append(gate.in_hand)
            original()

        gate.key_arrived = counted  # type: ignore[method-assign]
        try:
            for key in ("j", "j", "k", "f12"):  # f12 is bound to nothing: shown all the same
                await pilot.press(key)
                await until(lambda: gate.in_hand == 0, f"{key} released", pilot=pilot)
        finally:
            del gate.key_arrived
        assert len(arrivals) == 4


async def test_a_store_reconcile_steps_aside_while_a_key_is_in_hand(
    tmp_path: Path, gate: KeysFirst
) -> None:
    account = Account(name="t", host="127.0.0.1", port=1, tls="none", user="u")
    store = Store.for_account(account, data_dir=tmp_path)
    listing = {f"U{n:05d}": (n, 1000 + n) for n in range(1, 3001)}
    store.reconcile(listing)
    gate.key_arrived()
    finished = threading.Event()

    def sync() -> None:
        store.reconcile({uid: (number + 1, size) for uid, (number, size) in listing.items()})
        finished.set()

    threading.Thread(target=sync, daemon=True).start()
    await until(lambda: gate.waits >= 1, "the reconcile stepped aside for the key")
    assert not finished.is_set()
    gate.key_shown()
    await until(finished.is_set, "the reconcile finished once the key was shown")
    assert store.summaries()[0].uid == "U00001"


async def test_a_key_is_drawn_at_once_not_at_the_next_frame(
    tmp_path: Path, gate: KeysFirst, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mail screen draws a key's effect when idle: even with Textual's frame timer
    stopped for good, the key reaches the terminal (KeysFirstScreen)."""
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        shown: list[object] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                shown.append(renderable)
            original(screen, renderable)

        monkeypatch.setattr(app, "_display", display)
        monkeypatch.setattr(app.mail_screen._update_timer, "resume", lambda: None)
        cursor = app.mail_screen.message_list.cursor_index
        # as the terminal driver delivers keys (Pilot's own waits draw frames themselves)
        assert app._driver is not None
        app._driver.send_message(events.Key("j", "j"))
        await until(lambda: shown, "the key's effect went to the terminal")
        assert app.mail_screen.message_list.cursor_index == cursor + 1
        await until(lambda: gate.in_hand == 0, "the key released", pilot=pilot)
