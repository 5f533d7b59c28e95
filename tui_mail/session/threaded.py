"""The session on its own thread, with its own event loop, away from the UI's.

With the session as a task on the UI's loop, every SQLite read and write it made (a batch of
100 header rows, the 100,000-row read after a sync, a mark on ``d``) ran on the loop that
draws the screen and reads the keys. Here :meth:`SessionThread.run` starts one thread that
runs the wrapped session's loop (its connection, its store) and waits for it without blocking;
every :class:`~tui_mail.session.control.SessionControl` call only hands the call to that loop
(``call_soon_threadsafe``) and returns, so a key press never waits for the store or the
network. Events come back through ``report``, which the UI makes thread-safe
(``post_message``).

Calls made before the loop runs are kept and made first, in order; calls made after it ended
(a mark after the session failed) run on the caller's thread, so they are still recorded.
The reader starts the thread (:meth:`SessionThread.start`) before it loads the UI; events
reported meanwhile wait in a :class:`ReportRelay` until the app attaches.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Collection
from typing import Any

from tui_mail.session.control import SessionControl
from tui_mail.session.events import SessionEvent

STOP_TIMEOUT = 5.0  # seconds a cancelled run waits for the thread to close its connection


class ReportRelay:
    """The session's ``report`` before the UI exists: events wait, in order, until attached.

    Thread-safe: the session reports from its thread, the UI attaches from its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[SessionEvent] = []
        self._sink: Callable[[SessionEvent], None] | None = None

    def __call__(self, event: SessionEvent) -> None:
        with self._lock:
            if self._sink is None:
                self._waiting.append(event)
                return
            sink = self._sink
        sink(event)

    def attach(self, sink: Callable[[SessionEvent], None]) -> None:
        """From now on events go to ``sink``; those that waited go first, in order."""
        with self._lock:
            waiting, self._waiting = self._waiting, []
            for event in waiting:
                sink(event)
            self._sink = sink


class SessionThread:
    """A :class:`SessionControl` that runs ``session`` on a thread of its own."""

    def __init__(self, session: SessionControl, *, stop_timeout: float = STOP_TIMEOUT) -> None:
        self.session = session
        self.account_name = session.account_name
        self._stop_timeout = stop_timeout
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._early: list[tuple[Callable[..., object], tuple[Any, ...]]] = []
        self._ended = False
        self._relay = ReportRelay()
        self._outcome: tuple[BaseException | None] | None = None  # set once the thread ends
        self._on_end: Callable[[BaseException | None], None] | None = None
        self.thread: threading.Thread | None = None

    # -- the thread ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the session now, before the UI exists (its events wait for :meth:`run`).

        The reader calls this before importing Textual: connecting, logging in and reading
        the listing then overlap the ~0.4 s the UI takes to load and draw its first frame.
        """
        with self._lock:
            if self.thread is not None:
                return
            self.thread = threading.Thread(target=self._main, name="tui-mail session", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        error: BaseException | None = None
        try:
            asyncio.run(self._serve(self._relay))
        except BaseException as exc:  # reported to the awaiting side, as a task would
            error = exc
        with self._lock:
            self._outcome = (error,)
            on_end = self._on_end
        if on_end is not None:
            on_end(error)

    async def run(self, report: Callable[[SessionEvent], None]) -> None:
        """Start the thread (unless :meth:`start` did) and wait, without blocking this loop,
        until the session ends; its events, from the first, go to ``report``."""
        caller = asyncio.get_running_loop()
        done: asyncio.Future[None] = caller.create_future()

        def finished(error: BaseException | None) -> None:
            if done.done():
                return
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)

        def from_thread(error: BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # the caller's loop is already closed
                caller.call_soon_threadsafe(finished, error)

        self._relay.attach(report)
        with self._lock:
            outcome = self._outcome
            if outcome is None:
                self._on_end = from_thread
        if outcome is not None:  # it ended before anyone waited
            finished(outcome[0])
        self.start()
        try:
            await asyncio.shield(done)
        except asyncio.CancelledError:  # the app is closing: let the session hang up first
            self.shutdown()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(done), self._stop_timeout)
            raise

    def close(self) -> None:
        """Make sure the session has stopped (the UI never ran, or ended without waiting):
        ask it to hang up and wait for its thread, at most the stop timeout."""
        thread = self.thread
        if thread is None or not thread.is_alive():
            return
        self.shutdown()
        thread.join(self._stop_timeout)

    async def _serve(self, report: Callable[[SessionEvent], None]) -> None:
        with self._lock:
            self._loop = asyncio.get_running_loop()
            early, self._early = self._early, []
        try:
            for call, arguments in early:
                call(*arguments)
            await self.session.run(report)
        finally:
            with self._lock:
                self._loop = None
                self._ended = True

    def _post(self, call: Callable[..., object], *arguments: Any) -> None:
        """Run ``call`` on the session's loop, in the order posted; never wait for it."""
        with self._lock:
            loop = self._loop
            if loop is None and not self._ended:
                self._early.append((call, arguments))
                return
            if loop is not None:
                try:
                    loop.call_soon_threadsafe(call, *arguments)
                    return
                except RuntimeError:  # the loop closed just now
                    pass
        call(*arguments)  # the session has ended: record it here (marks, read state)

    # -- SessionControl: each call only enqueues -------------------------------------------

    def request_refresh(self) -> None:
        self._post(self.session.request_refresh)

    def request_body(self, uid: str) -> None:
        self._post(self.session.request_body, uid)

    def cancel_body(self) -> None:
        self._post(self.session.cancel_body)

    def request_headers(self, uid: str) -> None:
        self._post(self.session.request_headers, uid)

    def set_read(self, uid: str, read: bool) -> None:
        self._post(self.session.set_read, uid, read)

    def set_marked(self, uid: str, marked: bool) -> None:
        self._post(self.session.set_marked, uid, marked)

    def apply_deletions(self, *, then_quit: bool, uids: Collection[str] | None = None) -> None:
        def apply() -> None:
            self.session.apply_deletions(then_quit=then_quit, uids=uids)

        self._post(apply)

    def remove_local(self, uids: Collection[str]) -> None:
        self._post(self.session.remove_local, list(uids))

    def provide_password(self, password: str | None) -> None:
        self._post(self.session.provide_password, password)

    def shutdown(self) -> None:
        self._post(self.session.shutdown)
