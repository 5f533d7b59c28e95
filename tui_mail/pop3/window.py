"""How many pipelined commands to keep in flight: enough to fill the link, few to drain fast.

A fixed window is wrong on one link or another: 128 TOP answers (~2 KB each) keep a fast 50 ms
link busy, but on 2 Mbit/s they are a full second of data that a message the user asked for
must wait behind (answers already requested cannot be recalled). The window here follows what
the link delivers: about ``drain_seconds`` worth of answers at the measured rate (at least two
round trips' worth, so the pipe never runs dry), within ``[minimum, maximum]``.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

RATE_SAMPLES = 32  # answers over which the delivery rate is measured
#: The first window: about one screen of list rows, so the first rows need one round trip of
#: TOPs (not three while the window grows from a handful); later windows follow the link.
FIRST_WINDOW = 40


class AdaptiveWindow:
    """Pure bookkeeping (no I/O): call :meth:`sent` per command and :meth:`answered` per answer."""

    def __init__(
        self,
        maximum: int,
        *,
        minimum: int = 4,
        start: int = FIRST_WINDOW,
        drain_seconds: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.maximum = max(1, maximum)
        self.minimum = min(max(1, minimum), self.maximum)
        self._size = min(max(start, self.minimum), self.maximum)
        self._drain = drain_seconds
        self._clock = clock
        self._sent_at: deque[float] = deque()
        self._arrivals: deque[tuple[float, int]] = deque()
        self._in_samples = 0  # bytes of the arrivals kept, but the first (a running sum)
        self._round_trip: float | None = None
        self._total_bytes = 0
        self._answers = 0

    @property
    def size(self) -> int:
        """Commands to keep in flight now."""
        return self._size

    def sent(self, count: int = 1) -> None:
        now = self._clock()
        self._sent_at.extend([now] * count)

    def answered(self, nbytes: int) -> None:
        """One answer (status line and data) was read completely."""
        now = self._clock()
        if self._sent_at:
            latency = now - self._sent_at.popleft()
            if self._round_trip is None or latency < self._round_trip:
                self._round_trip = latency
        arrivals = self._arrivals
        if arrivals:
            self._in_samples += nbytes
        arrivals.append((now, nbytes))
        if len(arrivals) > RATE_SAMPLES:
            arrivals.popleft()
            self._in_samples -= arrivals[0][1]  # the new first one no longer counts
        self._total_bytes += nbytes
        self._answers += 1
        self._resize()

    def _resize(self) -> None:
        if len(self._arrivals) < 2:
            return
        first_time = self._arrivals[0][0]
        span = self._arrivals[-1][0] - first_time
        if span <= 0:
            self._size = self.maximum  # everything arrived at once: the link is not the limit
            return
        rate = self._in_samples / span  # bytes per second
        average = max(1.0, self._total_bytes / self._answers)
        horizon = max(self._drain, 2 * (self._round_trip or 0.0))
        wanted = math.ceil(rate * horizon / average)
        self._size = max(self.minimum, min(self.maximum, wanted))
