"""Key-press latency while a sync of a 100,000-message mailbox runs (see ui_keypress.py).

Keys are typed the way the terminal driver delivers them: from another thread, with
``post_message``, one every :data:`INTERVAL` seconds whatever the app is doing (a Pilot on
the app's own loop could not even send a key while that loop is frozen). A key's latency runs
from sending it to the first screen update after its action ran; keys are handled in order,
so the n-th action answers the n-th key.
"""

from __future__ import annotations

import asyncio
import bisect
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from big_store import NOW, PASSWORD, account_at, fill_store, served, uid_of
from textual import events

from tui_mail.accounts import SecretProvider
from tui_mail.pop3 import POP3Client
from tui_mail.session.events import ListReplaced
from tui_mail.session.mail_session import MailSession, RetryPolicy
from tui_mail.session.threaded import SessionThread
from tui_mail.store import Store
from tui_mail.ui.app import TuiMailApp

KEYS = ("j", "d", "n", "k")  # net one row down per round: never stuck at an edge
INTERVAL = 0.03  # seconds between keys: a held key's auto-repeat


class RebuildingSession(MailSession):
    """The baseline: as before this work, the whole list again after every sync."""

    def _report_list_changes(self, *, always: bool = False) -> None:
        self._report(ListReplaced(self.store.summaries()))


LAST_KEYS: list[tuple[float, float]] = []
"""(sent at, latency) of every key of the last run, for keys_timeline.py."""


def _timed(action: Callable[[], None], handled: list[float]) -> Callable[[], None]:
    def run() -> None:
        action()
        handled.append(time.perf_counter())

    return run


async def keys_while_syncing(
    threaded: bool, account: Any, data_dir: Path, newest: str, oldest: str, idle: float = 0.0
) -> tuple[dict[str, list[float]], float]:
    """Type keys until the sync is complete; latencies per key, and the sync's length.

    With ``idle`` seconds: no sync at all, keys typed for that long (the machine's floor).
    """
    secrets = SecretProvider()
    secrets.accept_typed_password(account, PASSWORD, remember=False)
    with Store.for_account(account, data_dir=data_dir) as store:
        kind = MailSession if threaded else RebuildingSession
        gate = threading.Event()  # the sync starts once the typing does

        async def open_when_typing() -> POP3Client:
            await asyncio.to_thread(gate.wait)
            return await inner._open_without_prompting()

        inner = kind(
            account, store, secrets, retry=RetryPolicy(first=60.0), opener=open_when_typing
        )
        session = SessionThread(inner) if threaded else inner
        app = TuiMailApp(session, account_name="bench", clock=lambda: NOW, outcome_delay=0)
        shots: list[float] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None and hasattr(renderable, "render_segments"):
                renderable.render_segments(app.console)  # what the driver would write
            shots.append(time.perf_counter())
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]
        sent: list[float] = []
        handled: list[float] = []
        listing = app.mail_screen.message_list
        for owner, name in (
            (listing, "action_cursor_down"),
            (listing, "action_cursor_up"),
            (app, "action_toggle_delete"),
            (app, "action_toggle_read"),
        ):
            setattr(owner, name, _timed(getattr(owner, name), handled))
        stop = threading.Event()

        def typist() -> None:
            while not stop.is_set():
                key = KEYS[len(sent) % len(KEYS)]
                sent.append(time.perf_counter())
                app.post_message(events.Key(key, key))
                time.sleep(INTERVAL)

        async with app.run_test(size=(80, 24)) as pilot:

            def synced() -> bool:
                text = app.mail_screen.status_bar.text
                return (
                    app.model.get(newest) is not None
                    and app.model.get(oldest) is None
                    and app._feed.pending == 0
                    and "online" in text
                    and "headers" not in text
                )

            while app.model.total == 0 or not listing.size.height:
                await pilot.pause(0.01)
            await pilot.pause()
            started = time.perf_counter()
            thread = threading.Thread(target=typist, daemon=True)
            thread.start()
            if idle:
                await asyncio.sleep(idle)
            else:
                gate.set()
            while not idle and not synced():
                await asyncio.sleep(0.01)
            took = time.perf_counter() - started
            stop.set()
            gate.set()  # (without a sync: frees the thread waiting at the gate)
            thread.join()
            while len(handled) < len(sent) and time.perf_counter() - started < 600:
                await asyncio.sleep(0.01)
            await pilot.pause(0.1)
            await pilot.press("x")  # quit, keeping the marks
            while app.return_code is None:
                await pilot.pause(0.01)
    latencies: dict[str, list[float]] = {key: [] for key in KEYS}
    LAST_KEYS.clear()
    for number, done in enumerate(handled):
        shown = bisect.bisect_left(shots, done)
        if shown < len(shots):
            latencies[KEYS[number % len(KEYS)]].append(shots[shown] - sent[number])
            LAST_KEYS.append((sent[number], shots[shown] - sent[number]))
    return latencies, took


def measure_during_sync(
    rows: int, churn: int, summarise: Callable[[str, list[float]], str]
) -> None:
    work = Path(tempfile.mkdtemp(prefix="tui-mail-keys-"))
    try:
        on_server = range(churn, rows + churn)  # the oldest `churn` gone, `churn` new
        with served(on_server) as port:
            account = account_at(port)
            started = time.perf_counter()
            fill_store(account, work / "filled", range(0, rows))
            print(
                f"\nstore of {rows:,} filled in {time.perf_counter() - started:.1f} s; the sync "
                f"drops {churn:,}, fetches {churn:,} headers, renumbers every message"
            )
            results = {}
            runs = (
                ("before (ListReplaced, UI loop)", False, 0.0),
                ("now", True, 0.0),
                ("now, no sync (the floor)", True, 5.0),
            )
            for number, (name, threaded, idle) in enumerate(runs):
                data_dir = work / str(number)
                shutil.copytree(work / "filled", data_dir)
                latencies, took = asyncio.run(
                    keys_while_syncing(
                        threaded, account, data_dir, uid_of(rows + churn - 1), uid_of(0), idle
                    )
                )
                results[name] = latencies
                every = [x for samples in latencies.values() for x in samples]
                done = "typing for" if idle else "sync and list complete after"
                print(f"-- {name}: {done} {took:.1f} s")
                for key, samples in latencies.items():
                    if samples:
                        print("   " + summarise(f"{key} during the sync", samples))
                if every:
                    print("   " + summarise("every key", every) + f"   p99 {p99(every):.1f} ms")
            every_key = [[x for s in lat.values() for x in s] for lat in results.values()]
            (old_max, new_max, floor_max) = (max(keys) * 1000 for keys in every_key)
            (old_p99, new_p99, floor_p99) = (p99(keys) for keys in every_key)
            print(
                f"worst key press during the sync: before {old_max:.0f} ms, now {new_max:.0f} ms "
                f"({old_max / new_max:.1f}x better; no sync: {floor_max:.0f} ms); target <= 50 ms"
            )
            print(
                f"p99: before {old_p99:.0f} ms, now {new_p99:.0f} ms "
                f"({old_p99 / new_p99:.1f}x better; no sync: {floor_p99:.0f} ms)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def p99(samples: list[float]) -> float:
    ms = sorted(sample * 1000 for sample in samples)
    return ms[max(0, round(0.99 * len(ms)) - 1)]
