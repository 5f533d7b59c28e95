"""The one way tests wait: on a condition, with a generous limit that only stops hangs.

Workers run in threads and sessions on the network, so tests poll; the limit is long because a
busy CI machine is slow, and a test must never depend on the machine being quiet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

DEFAULT_LIMIT = 30.0
"""Seconds before giving up: far beyond any healthy wait, well inside pytest-timeout."""


async def until(
    condition: Callable[[], object],
    what: str = "the expected state",
    *,
    pilot: Pilot[Any] | None = None,
    limit: float = DEFAULT_LIMIT,
    step: float = 0.005,
) -> None:
    """Return once ``condition()`` is true; with ``pilot``, the app runs meanwhile.

    Raises AssertionError naming ``what`` after ``limit`` seconds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        if pilot is not None:
            await pilot.pause(step)
        else:
            await asyncio.sleep(step)
