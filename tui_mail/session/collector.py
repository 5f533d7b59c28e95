"""Python's cycle collector, kept from freezing the screen of a 100,000-message reader.

A full (generation 2) collection walks every tracked object of the process while holding the
GIL: with 100,000 list rows that is 50-170 ms (measured by ``benchmarks/ui_keypress.py
--only-sync``), and it stops the UI thread whichever thread triggered it. It is triggered by
allocation bursts that live a moment, such as the whole store read again to diff it against
the shown rows, or the ledger read for a reconcile: those objects hold no cycles and are freed
by their reference counts, so the collector has nothing to find in them.

So such bursts run under :func:`collector_paused`, and what they leave that lives long (the
list's rows, loaded once; a session's listing) is moved out of the collector's reach
(``gc.freeze``): later collections walk only what is newer. Objects frozen that way are still
freed when their last reference goes; only a reference cycle among them would stay (rows and
listings hold none).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # nested or concurrent pauses (the session's thread and the UI's)
_was_enabled = True


@contextmanager
def collector_paused(*, keep: bool = False) -> Iterator[None]:
    """No automatic collection inside (from any thread); restored as it was after.

    With ``keep``, what the block made and kept (a listing, the list's rows) is exempted
    from later collections (``gc.freeze``) before collecting resumes, so no collection
    walks it afterwards either. So that no garbage is frozen with it (a reference cycle
    frozen is never freed), the garbage is collected first; that is cheap once the first
    freeze (the rows, at start-up) took everything old out of the walk.
    """
    global _depth, _was_enabled
    if keep and gc.get_freeze_count():
        gc.collect()
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            if keep:
                gc.freeze()
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
