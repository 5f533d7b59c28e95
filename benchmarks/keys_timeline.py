"""Where the slow key presses of ``ui_keypress.py --only-sync`` come from: one timeline.

The same run as the "now" case of ``keys_during_sync.py`` (100,000 messages, 3,000 gone and
3,000 new, every message renumbered, keys typed from another thread every 30 ms), with three
recorders on, printed on one clock (seconds from the start of the sync's reconcile):

* the store and model calls that do work per message (reconcile, the end-of-sync read and
  diff, header batches, model steps), with how long each took;
* every gap between two handled keys longer than ``--gap`` ms (keys come every 30 ms, so a
  gap of 60 ms means a key waited ~30 ms);
* every collection of Python's cycle collector longer than 10 ms, with its generation and the
  thread that triggered it (from ``gc.callbacks``; a collection holds the GIL, so it stops
  the UI thread too).

Slow keys that line up with a store call are GIL sharing with the session's thread; slow keys
that line up with a collection are the collector. Diagnostic only: it prints what it saw,
it asserts nothing.

    python benchmarks/keys_timeline.py [--rows 100000] [--churn 3000] [--gap 45]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

import keys_during_sync  # noqa: E402
from big_store import account_at, fill_store, served, uid_of  # noqa: E402

from tui_mail.session.shown_rows import ShownRows  # noqa: E402
from tui_mail.store import Store  # noqa: E402
from tui_mail.ui.list_model import MessageListModel  # noqa: E402

Calls = list[tuple[float, float, str]]  # (start, seconds, what)


def record_calls(calls: Calls) -> None:
    """Time the calls that do work per message (their owners are patched for this run)."""
    watched: list[tuple[Any, str, str]] = [
        (Store, "size_suspects", "session: size suspects"),
        (Store, "reconcile", "session: reconcile"),
        (Store, "add_headers", "session: header batch"),
        (Store, "present_fields", "session: end-of-sync read"),
        (ShownRows, "diff_fields", "session: end-of-sync diff"),
        (MessageListModel, "apply", "ui: model step"),
        (MessageListModel, "replace_all", "ui: whole list"),
    ]
    for owner, name, label in watched:
        original = getattr(owner, name)

        def timed(*args: Any, _original: Any = original, _label: str = label, **kw: Any) -> Any:
            started = time.perf_counter()
            try:
                return _original(*args, **kw)
            finally:
                calls.append((started, time.perf_counter() - started, _label))

        setattr(owner, name, timed)


def record_collections(collections: Calls) -> Callable[[str, dict[str, int]], None]:
    started: dict[int, float] = {}

    def callback(phase: str, info: dict[str, int]) -> None:
        thread = threading.get_ident()
        if phase == "start":
            started[thread] = time.perf_counter()
        elif thread in started:
            begun = started.pop(thread)
            took = time.perf_counter() - begun
            if took > 0.01:
                name = threading.current_thread().name
                collections.append((begun, took, f"gc: generation {info['generation']} ({name})"))

    gc.callbacks.append(callback)
    return callback


def watch_the_interpreter(stalls: Calls, stop: threading.Event, over: float) -> threading.Thread:
    """A thread waking every millisecond: when it wakes ``over`` seconds late, some thread
    held the interpreter (a C call that never lets go, such as a sort or a set of 100,000
    items, or a collection); what the other threads are in just after says which."""

    def where(frame: Any) -> str:
        while frame is not None and "site-packages" in frame.f_code.co_filename:
            frame = frame.f_back
        if frame is None:
            return "?"
        return f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} {frame.f_code.co_name}"

    def watch() -> None:
        me = threading.get_ident()
        names = {}
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            if now - last > over:
                if not names or len(names) != threading.active_count():
                    names = {t.ident: t.name for t in threading.enumerate()}
                frames = sys._current_frames()
                seen = ", ".join(
                    f"{names.get(ident, ident)} in {where(frame)}"
                    for ident, frame in frames.items()
                    if ident != me and names.get(ident) in ("MainThread", "tui-mail session")
                )
                stalls.append((last, now - last, f"stall: {seen}"))
            last = now

    thread = threading.Thread(target=watch, name="watcher", daemon=True)
    thread.start()
    return thread


def record_keys(handled: list[float]) -> None:
    """Every handled key's time, whichever action it ran (wraps the benchmark's own hook)."""
    original = keys_during_sync._timed

    def timed(action: Callable[[], None], into: list[float]) -> Callable[[], None]:
        inner = original(action, into)

        def run() -> None:
            inner()
            handled.append(time.perf_counter())

        return run

    keys_during_sync._timed = timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--churn", type=int, default=3000)
    parser.add_argument("--slow", type=float, default=30.0, help="report keys over this (ms)")
    parser.add_argument("--gaps", action="store_true", help="also report gaps between keys")
    parser.add_argument("--gap", type=float, default=45.0, help="key gaps over this (ms)")
    parser.add_argument(
        "--stalls", type=float, default=0.0, help="also report interpreter stalls over this (ms)"
    )
    args = parser.parse_args()
    calls: Calls = []
    collections: Calls = []
    handled: list[float] = []
    work = Path(tempfile.mkdtemp(prefix="tui-mail-timeline-"))
    try:
        with served(range(args.churn, args.rows + args.churn)) as port:
            account = account_at(port)
            fill_store(account, work, range(0, args.rows))
            record_calls(calls)
            record_keys(handled)
            callback = record_collections(collections)
            stop = threading.Event()
            if args.stalls:
                watch_the_interpreter(collections, stop, args.stalls / 1000)
            latencies, took = asyncio.run(
                keys_during_sync.keys_while_syncing(
                    True, account, work, uid_of(args.rows + args.churn - 1), uid_of(0)
                )
            )
            gc.callbacks.remove(callback)
            stop.set()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    every = sorted(x * 1000 for samples in latencies.values() for x in samples)
    print(
        f"sync and list complete after {took:.1f} s; {len(every)} keys, "
        f"worst {every[-1]:.0f} ms, p95 {every[round(0.95 * len(every)) - 1]:.0f} ms"
    )
    reconciles = [start for start, _, what in calls if what == "session: reconcile"]
    zero = reconciles[0] if reconciles else min(start for start, _, _ in calls)
    lines = [
        (start, f"{seconds * 1000:7.1f} ms  {what}")
        for start, seconds, what in calls
        if seconds > 0.002  # not the UI's own one-row edits (d, n)
    ]
    lines += [(start, f"{seconds * 1000:7.1f} ms  {what}") for start, seconds, what in collections]
    lines += [
        (sent, f"{took * 1000:7.1f} ms  KEY (shown at {sent + took - zero:.3f} s)")
        for sent, took in keys_during_sync.LAST_KEYS
        if took * 1000 > args.slow
    ]
    if args.gaps:
        lines += [
            (before, f"{(after - before) * 1000:7.1f} ms  key gap (to {after - zero:.3f} s)")
            for before, after in itertools.pairwise(handled)
            if (after - before) * 1000 > args.gap
        ]
    for start, text in sorted(lines):
        if start >= zero - 0.5:
            print(f"{start - zero:8.3f} s  {text}")


if __name__ == "__main__":
    main()
