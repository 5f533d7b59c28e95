"""Key-press-to-repaint latency of the reader with 100,000 messages (headless, 80x24).

For each key the clock starts when Pilot delivers the key and stops when the app hands the
next screen update to the driver, after that update has been turned into the escape sequences
a terminal would receive (headless mode skips the write itself, so we do the encoding here).

Also measured: loading the 100,000-row list, and applying 1,000 updated rows in batches of 50
to the 100,000-row model incrementally versus re-sorting everything per batch.

With a sync running (``--sync``, the figure issue 14 asks for): a store of 100,000 messages,
and our test server (in a subprocess) holding the same mailbox without its 3,000 oldest and
with 3,000 new ones, so the sync drops 3,000, fetches 3,000 headers and renumbers every
message. j/k/d/n are pressed in turn for as long as the sync runs, and again as before this
work (the baseline, same run): the session on the UI's loop, its SQLite writes on key presses
there too, and the whole list re-read and rebuilt after the sync (``ListReplaced``).

Run: python benchmarks/ui_keypress.py [--rows 100000] [--presses 200] [--sync [--only-sync]]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_session import FakeSession
from tui_mail.store.models import MessageSummary
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.list_model import MessageListModel, sort_key

sys.path.insert(0, str(Path(__file__).resolve().parent))
from keys_during_sync import measure_during_sync

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
SUBJECTS = ("Quarterly report", "会議の議事録について（第３回）", "Re: invoice [/] due", "Lunch?")


def make_rows(count: int) -> list[MessageSummary]:
    return [
        MessageSummary(
            uid=f"U{n:07d}",
            size=1000 + n * 37 % 900_000,
            date=NOW - timedelta(minutes=7 * n),
            sender=f"Sender {n % 997}",
            subject=f"{SUBJECTS[n % 4]} #{n}",
            unread=n % 3 == 0,
            arrival=count - n,
        )
        for n in range(count)
    ]


def summarise(name: str, samples: list[float]) -> str:
    ms = sorted(sample * 1000 for sample in samples)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    return (
        f"{name:<28} n={len(ms):<4} median {statistics.median(ms):6.2f} ms"
        f"   p95 {p95:6.2f} ms   max {ms[-1]:6.2f} ms"
    )


async def measure_keys(rows: list[MessageSummary], presses: int) -> None:
    session = FakeSession(rows, {}, account_name="bench")
    app = TuiMailApp(session, account_name="bench", clock=lambda: NOW, outcome_delay=0)
    displays: list[float] = []
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        if renderable is not None and hasattr(renderable, "render_segments"):
            renderable.render_segments(app.console)  # what the driver would write
        displays.append(time.perf_counter())
        original(screen, renderable)

    app._display = display  # type: ignore[method-assign]
    started = time.perf_counter()
    async with app.run_test(size=(80, 24)) as pilot:
        while app.model.total < len(rows):
            await pilot.pause(0.001)
        await pilot.pause()
        print(
            f"list of {len(rows):,} rows on screen after {time.perf_counter() - started:.2f} s "
            "(app start included)"
        )

        async def latency(key: str) -> float:
            before = time.perf_counter()
            count = len(displays)
            await pilot.press(key)
            for _ in range(200):
                if len(displays) > count:
                    break
                await pilot.pause(0.001)
            return displays[count] - before

        plan = [
            ("j (cursor down)", "j", presses),
            ("k (cursor up)", "k", presses // 2),
            ("ctrl+f (list page down)", "ctrl+f", presses // 4),
            ("G / g (last / first)", "G", 10),
            ("d (mark, move down)", "d", presses // 4),
            ("o (re-sort 100k)", "o", 8),
        ]
        for name, key, count in plan:
            samples = []
            for _ in range(count):
                samples.append(await latency(key))
                if key == "G":
                    samples.append(await latency("g"))
            print(summarise(name, samples))
        await pilot.press("slash")
        typed = [await latency(letter) for letter in "invoice"]
        print(summarise("filter keystroke (live)", typed))
        print(summarise("Esc (clear filter)", [await latency("escape")]))
        app.exit()


def measure_batches(rows: list[MessageSummary]) -> None:
    fresh = make_rows(len(rows) + 1000)[len(rows) :]
    batches = [fresh[start : start + 50] for start in range(0, 1000, 50)]

    model = MessageListModel()
    model.replace_all(rows)
    incremental = []
    for batch in batches:
        start = time.perf_counter()
        model.update(batch)
        incremental.append(time.perf_counter() - start)

    table = {row.uid: row for row in rows}
    resort = []
    for batch in batches:
        start = time.perf_counter()
        table.update({row.uid: row for row in batch})
        sorted(sort_key(row, model.order) for row in table.values())
        resort.append(time.perf_counter() - start)
    print(summarise("batch of 50 (bisect)", incremental))
    print(summarise("batch of 50 (full re-sort)", resort))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--sync", action="store_true", help="also: keys while a sync runs")
    parser.add_argument("--only-sync", action="store_true")
    parser.add_argument("--churn", type=int, default=3000, help="messages gone and new")
    arguments = parser.parse_args()
    if not arguments.only_sync:
        rows = make_rows(arguments.rows)
        measure_batches(rows)
        asyncio.run(measure_keys(rows, arguments.presses))
    if arguments.sync or arguments.only_sync:
        measure_during_sync(arguments.rows, arguments.churn, summarise)


if __name__ == "__main__":
    main()
