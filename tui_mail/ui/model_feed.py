"""The session's row events reach the list model in order, in slices, between key presses.

A sync that renumbers a 100,000-message mailbox (another client deleted the oldest mail, so
every message number moved) changes every row: applied at once that is ~0.4 s on the UI's
loop. Here each change waits in one queue, in the order the session sent it, and a large
one is cut into slices of :data:`SLICE` rows; one drain applies slices for at most
:data:`BUDGET` seconds, then has the next drain scheduled after every other task had its
turn (the app's ``_after_a_turn``), so a key press waits for one slice, never for the
whole mailbox; and while a key is in hand (tui_mail/keys_first.py) no slice starts at all,
so the key's screen is drawn before the next rows.

The UI's own edits (``d``, ``n``) change the model at once for immediate feedback; if a
queued slice carries an older copy of that row, the session's echo of the edit (queued
after it) puts it right.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

from tui_mail.keys_first import keys_first
from tui_mail.session.collector import collector_paused
from tui_mail.store.models import MessageSummary
from tui_mail.ui.list_model import MessageListModel

SLICE = 2000  # rows per step: ~10-15 ms at 100,000 rows (benchmarks/ui_keypress.py)
BUDGET = 0.008  # seconds of model work per drain before the keys get their turn

_Step = tuple[list[MessageSummary] | None, list[MessageSummary], list[str]]  # replace, rows, gone


class ModelFeed:
    """Queue of model changes applied by :meth:`drain`; ``changed`` redraws after each."""

    def __init__(
        self,
        model: MessageListModel,
        *,
        changed: Callable[[], None],
        schedule: Callable[[Callable[[], None]], object],
    ) -> None:
        self._model = model
        self._changed = changed
        self._schedule = schedule
        self._steps: deque[_Step] = deque()
        self._scheduled = False

    @property
    def pending(self) -> int:
        """Steps not applied yet (0 when the model shows everything the session sent)."""
        return len(self._steps)

    def replace(self, rows: list[MessageSummary]) -> None:
        """The whole list (from the cache at start-up): drops any change still queued."""
        self._steps.clear()
        self._steps.append((rows, [], []))
        self._wake()

    def change(self, rows: list[MessageSummary], removed: Iterable[str] = ()) -> None:
        """Rows added or changed, UIDs removed; cut into slices of at most SLICE each."""
        gone = list(removed)
        for start in range(0, len(gone), SLICE):
            self._steps.append((None, [], gone[start : start + SLICE]))
        for start in range(0, len(rows), SLICE):
            self._steps.append((None, rows[start : start + SLICE], []))
        self._wake()

    def drain(self) -> None:
        """Apply queued steps for up to BUDGET seconds; schedule the rest for later."""
        self._scheduled = False
        if not self._steps:
            return
        if keys_first.holding():  # the key's screen first, then the rows (keys_first.py)
            self._wake()
            return
        deadline = time.perf_counter() + BUDGET
        while self._steps:
            replace, rows, gone = self._steps.popleft()
            if replace is not None:
                with collector_paused(keep=True):  # rows and keys live as long as the list
                    self._model.replace_all(replace)
            else:
                self._model.apply(rows, gone)
            if time.perf_counter() >= deadline or keys_first.holding():
                break
        self._changed()
        self._wake()

    def _wake(self) -> None:
        if self._steps and not self._scheduled:
            self._scheduled = True
            self._schedule(self.drain)
