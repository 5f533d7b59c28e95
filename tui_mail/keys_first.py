"""Key presses first: the session's long loops step aside while a key is being handled.

The session runs on its own thread, but Python runs one thread at a time (the GIL). While a
sync of 100,000 messages reconciles, parses headers or diffs the list, the UI thread gets the
interpreter only every few milliseconds, so a key press that needs ten turns of the UI's
event loop waited 40-80 ms (``benchmarks/ui_keypress.py --only-sync``) instead of the 5-20 ms
it takes with nothing else running.

So the UI says when a key arrives (:meth:`KeysFirst.key_arrived`, from whichever thread
delivers it) and when the screen showing its effect has been handed to the terminal
(:meth:`KeysFirst.key_shown`); the session's long loops call :meth:`KeysFirst.step_aside`
every few hundred items, which waits, off the GIL, while a key is in hand. Nothing about the
work changes, only when it runs, and the wait is bounded: a key not shown within
:data:`MAX_HOLD` seconds (an app closing, a handler gone wrong) lets the work go on, and the
UI's own thread never waits on itself. This module sits below every layer and imports
nothing of ours, so the store's loops can step aside too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import Final, TypeVar

MAX_HOLD: Final = 0.25
"""Seconds one key may hold the work back at most, shown or not."""
EVERY: Final = 256
"""Items between two calls to :meth:`KeysFirst.step_aside` in a paced loop."""

Item = TypeVar("Item")


class KeysFirst:
    """Counts the keys in hand and holds other threads' long loops back while there are any."""

    def __init__(self, *, max_hold: float = MAX_HOLD) -> None:
        self.max_hold = max_hold
        self._lock = threading.Lock()
        self._clear = threading.Event()
        self._clear.set()
        self._in_hand = 0
        self._since = 0.0  # when the oldest key in hand arrived
        self.ui_thread: int | None = None  # set by the UI; it never steps aside for itself
        self.waits = 0  # how many times work stepped aside (for tests and benchmarks)

    @property
    def in_hand(self) -> int:
        """Keys arrived and not yet shown."""
        return self._in_hand

    def key_arrived(self) -> None:
        """A key is on its way to the UI: hold long loops back until it is shown."""
        with self._lock:
            if self._in_hand == 0:
                self._since = time.monotonic()
                self._clear.clear()
            self._in_hand += 1

    def key_shown(self) -> None:
        """The screen after one key has gone to the terminal."""
        with self._lock:
            if self._in_hand == 0:
                return
            self._in_hand -= 1
            if self._in_hand == 0:
                self._clear.set()
            else:
                self._since = time.monotonic()  # the next key gets its own bound

    def release_all(self) -> None:
        """Forget every key in hand (the app is leaving): nothing is held back any more."""
        with self._lock:
            self._in_hand = 0
            self._clear.set()

    def holding(self) -> bool:
        """A key is in hand and its hold has not expired: work that can wait should."""
        return not self._clear.is_set() and time.monotonic() < self._since + self.max_hold

    def step_aside(self) -> None:
        """Wait, without the GIL, while a key is in hand; at most until its hold expires."""
        if self._clear.is_set() or threading.get_ident() == self.ui_thread:
            return
        left = self._since + self.max_hold - time.monotonic()
        if left > 0:
            self.waits += 1
            self._clear.wait(left)

    def paced(self, items: Iterable[Item], every: int = EVERY) -> Iterator[Item]:
        """``items``, stepping aside for keys every ``every`` items."""
        count = 0
        for item in items:
            count += 1
            if count >= every:
                count = 0
                self.step_aside()
            yield item


keys_first: Final = KeysFirst()
"""The one the app and its session share (one UI per process)."""
paced: Final = keys_first.paced
step_aside: Final = keys_first.step_aside
