"""The pipelining window follows the link: full on a fast one, short on a slow one."""

from __future__ import annotations

from tui_mail.pop3.window import AdaptiveWindow


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _run(window: AdaptiveWindow, clock: FakeClock, *, rtt: float, rate: float, n: int) -> None:
    """Commands sent in one batch; answers of 2,000 bytes arrive at ``rate`` after ``rtt``."""
    window.sent(n)
    clock.now += rtt
    for _ in range(n):
        clock.now += 2000 / rate
        window.answered(2000)


def test_a_fast_link_gets_the_whole_window() -> None:
    clock = FakeClock()
    window = AdaptiveWindow(128, clock=clock)
    _run(window, clock, rtt=0.05, rate=100e6 / 8, n=40)
    assert window.size == 128


def test_a_slow_link_keeps_a_quarter_second_in_flight() -> None:
    clock = FakeClock()
    window = AdaptiveWindow(128, clock=clock)
    _run(window, clock, rtt=0.05, rate=2e6 / 8, n=40)  # 2 Mbit/s
    in_flight_seconds = window.size * 2000 / (2e6 / 8)
    assert 8 <= window.size <= 40
    assert in_flight_seconds <= 0.35


def test_a_long_round_trip_keeps_the_pipe_full() -> None:
    clock = FakeClock()
    window = AdaptiveWindow(128, clock=clock)
    _run(window, clock, rtt=0.3, rate=2e6 / 8, n=40)
    # at least two round trips of data stay in flight, or the link would idle
    assert window.size * 2000 / (2e6 / 8) >= 0.55


def test_no_pipelining_means_one() -> None:
    clock = FakeClock()
    window = AdaptiveWindow(1, clock=clock)
    _run(window, clock, rtt=0.01, rate=1e9, n=5)
    assert window.size == 1
