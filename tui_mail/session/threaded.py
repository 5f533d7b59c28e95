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
        self.thread: threading.Thread | None = None

    # -- the thread ------------------------------------------------------------------------

    async def run(self, report: Callable[[SessionEvent], None]) -> None:
        """Start the thread and wait (without blocking this loop) until the session ends."""
        caller = asyncio.get_running_loop()
        done: asyncio.Future[None] = caller.create_future()

        def finished(error: BaseException | None) -> None:
            if done.done():
                return
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)

        def main() -> None:
            error: BaseException | None = None
            try:
                asyncio.run(self._serve(report))
            except BaseException as exc:  # reported to the awaiting side, as a task would
                error = exc
            with contextlib.suppress(RuntimeError):  # the caller's loop is already closed
                caller.call_soon_threadsafe(finished, error)

        self.thread = threading.Thread(target=main, name="tui-mail session", daemon=True)
        self.thread.start()
        try:
            await asyncio.shield(done)
        except asyncio.CancelledError:  # the app is closing: let the session hang up first
            self.shutdown()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(done), self._stop_timeout)
            raise

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
