"""The session runs on its own thread: key presses only enqueue, SQLite stays off the UI loop.

A real :class:`MailSession` on :class:`SessionThread` against our test server, in the app:
every SQL statement is traced with the thread that ran it, and none of those made while keys
are pressed may come from the UI's thread. Then the thread wrapper alone: calls keep their
order (also before the loop runs), run on the session's thread, and still count after it ended.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Collection
from pathlib import Path

from tests.pop3server import POP3TestServer
from tests.test_app_flow import NOW, RETRY, quit_and_wait
from tests.test_session import MESSAGES, account_for
from tests.waiting import until
from tui_mail.accounts import SecretProvider
from tui_mail.session.events import ConnectionState, SessionEvent, StateChanged
from tui_mail.session.mail_session import MailSession
from tui_mail.session.threaded import SessionThread
from tui_mail.store import Store
from tui_mail.ui.app import TuiMailApp


async def test_key_presses_never_touch_sqlite_on_the_ui_thread(tmp_path: Path) -> None:
    async with POP3TestServer(MESSAGES) as server:
        account = account_for(server)
        secrets = SecretProvider()
        secrets.accept_typed_password(account, server.password, remember=False)
        with Store.for_account(account, data_dir=tmp_path) as store:
            session = SessionThread(MailSession(account, store, secrets, retry=RETRY))
            app = TuiMailApp(session, account_name="thread", clock=lambda: NOW, outcome_delay=0)
            traced: list[tuple[int, str]] = []
            async with app.run_test(size=(80, 24)) as pilot:
                await until(
                    lambda: app.model.total == 5 and "online" in app.mail_screen.status_bar.text,
                    "the list online",
                    pilot=pilot,
                )
                ui_thread = threading.get_ident()
                connection = store._db.connection
                with store._db.lock:
                    connection.set_trace_callback(
                        lambda sql: traced.append((threading.get_ident(), sql))
                    )
                await pilot.press("j", "d", "k", "n", "h")  # move, mark, read/unread, headers
                await until(
                    lambda: "Message-ID" in "\n".join(app.mail_screen.preview.plain_lines),
                    "the header fields shown",
                    pilot=pilot,
                )
                await until(
                    lambda: any("pending_deletions" in sql for _, sql in traced),
                    "the mark written",
                    pilot=pilot,
                )
                await until(
                    lambda: any("SET read" in sql for _, sql in traced),
                    "the read state written",
                    pilot=pilot,
                )
                with store._db.lock:
                    connection.set_trace_callback(None)
                assert traced, "nothing was traced"
                on_ui = [sql for thread, sql in traced if thread == ui_thread]
                assert on_ui == []
                assert session.thread is not None and session.thread.is_alive()
                await quit_and_wait(pilot, app, "x")  # quit, keeping the mark
            assert session.thread is not None
            session.thread.join(5)
            assert not session.thread.is_alive()
            assert len(store.pending_deletions()) == 1  # x kept the mark, on disk


class RecordingSession:
    """Records each call with the thread it ran on; ``run`` waits for ``shutdown``."""

    account_name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.stop: asyncio.Event | None = None

    def _note(self, name: str) -> None:
        self.calls.append((name, threading.get_ident()))

    async def run(self, report: Callable[[SessionEvent], None]) -> None:
        self._note("run")
        self.stop = asyncio.Event()
        report(StateChanged(ConnectionState.ONLINE))
        await self.stop.wait()

    def request_refresh(self) -> None:
        self._note("refresh")

    def request_body(self, uid: str) -> None:
        self._note(f"body {uid}")

    def cancel_body(self) -> None:
        self._note("cancel")

    def request_headers(self, uid: str) -> None:
        self._note(f"headers {uid}")

    def set_read(self, uid: str, read: bool) -> None:
        self._note(f"read {uid} {read}")

    def set_marked(self, uid: str, marked: bool) -> None:
        self._note(f"marked {uid} {marked}")

    def apply_deletions(self, *, then_quit: bool, uids: Collection[str] | None = None) -> None:
        self._note(f"apply {then_quit} {sorted(uids or [])}")

    def remove_local(self, uids: Collection[str]) -> None:
        self._note("remove_local")

    def provide_password(self, password: str | None) -> None:
        self._note("password")

    def shutdown(self) -> None:
        self._note("shutdown")
        if self.stop is not None:
            self.stop.set()


async def test_calls_run_on_the_session_thread_in_order() -> None:
    inner = RecordingSession()
    session = SessionThread(inner)
    session.set_marked("a", True)  # before the thread exists: kept, made first
    events: list[SessionEvent] = []
    task = asyncio.create_task(session.run(events.append))
    await until(lambda: events, "the session started")
    session.request_body("b")
    session.set_read("b", True)
    session.request_headers("c")
    session.apply_deletions(then_quit=False, uids=["a"])
    session.shutdown()
    await asyncio.wait_for(task, 5)
    names = [name for name, _ in inner.calls]
    assert names == [
        "marked a True",
        "run",
        "body b",
        "read b True",
        "headers c",
        "apply False ['a']",
        "shutdown",
    ]
    assert session.thread is not None
    session.thread.join(5)
    assert not session.thread.is_alive()
    threads = {thread for _, thread in inner.calls}
    assert threads == {session.thread.ident}
    session.set_marked("late", True)  # after the end: still made, here
    assert inner.calls[-1] == ("marked late True", threading.get_ident())


async def test_a_cancelled_run_shuts_the_session_down() -> None:
    inner = RecordingSession()
    session = SessionThread(inner)
    task = asyncio.create_task(session.run(lambda event: None))
    await until(lambda: inner.stop is not None, "the session running")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert [name for name, _ in inner.calls][-1] == "shutdown"
    assert session.thread is not None
    session.thread.join(5)
    assert not session.thread.is_alive()


async def test_an_error_in_the_session_reaches_the_caller() -> None:
    class Failing(RecordingSession):
        async def run(self, report: Callable[[SessionEvent], None]) -> None:
            raise RuntimeError("the store is gone")

    session = SessionThread(Failing())
    try:
        await session.run(lambda event: None)
    except RuntimeError as error:
        assert str(error) == "the store is gone"
    else:
        raise AssertionError("the error was lost")


async def test_started_before_the_ui_its_events_wait_and_arrive_in_order() -> None:
    """The reader starts the session before loading Textual: what it reports meanwhile is
    kept, and reaches the app first, in order, once the app runs it."""

    class Chatty(RecordingSession):
        async def run(self, report: Callable[[SessionEvent], None]) -> None:
            self._note("run")
            self.stop = asyncio.Event()
            for state in (ConnectionState.CONNECTING, ConnectionState.ONLINE):
                report(StateChanged(state))
            await self.stop.wait()
            report(StateChanged(ConnectionState.OFFLINE))

    inner = Chatty()
    session = SessionThread(inner)
    session.start()
    await until(lambda: inner.stop is not None, "the session running with nobody listening")
    session.start()  # a second start changes nothing
    events: list[SessionEvent] = []
    task = asyncio.create_task(session.run(events.append))
    await until(lambda: len(events) == 2, "the early events delivered")
    session.shutdown()
    await asyncio.wait_for(task, 5)
    assert [event.state for event in events if isinstance(event, StateChanged)] == [
        ConnectionState.CONNECTING,
        ConnectionState.ONLINE,
        ConnectionState.OFFLINE,
    ]
    assert [name for name, _ in inner.calls].count("run") == 1


async def test_a_session_that_ended_before_anyone_waited_is_still_reported() -> None:
    class Failing(RecordingSession):
        async def run(self, report: Callable[[SessionEvent], None]) -> None:
            raise RuntimeError("the store is gone")

    session = SessionThread(Failing())
    session.start()
    assert session.thread is not None
    session.thread.join(5)
    try:
        await asyncio.wait_for(session.run(lambda event: None), 5)
    except RuntimeError as error:
        assert str(error) == "the store is gone"
    else:
        raise AssertionError("the error was lost")


async def test_close_stops_a_session_the_ui_never_ran() -> None:
    inner = RecordingSession()
    session = SessionThread(inner)
    session.start()
    await until(lambda: inner.stop is not None, "the session running")
    session.close()
    assert session.thread is not None and not session.thread.is_alive()
    assert [name for name, _ in inner.calls][-1] == "shutdown"
    session.close()  # closing again is harmless


async def test_marks_and_read_state_are_echoed_after_a_stale_list_change(
    tmp_path: Path,
) -> None:
    """A sync's change computed before a ``d`` must not leave the row unmarked in the UI: the
    session echoes each edit after writing it, so the UI's last word is the edit."""
    from tests.test_session import new_session, running, synced
    from tui_mail.session.events import ListChanged, SummariesUpdated

    async with POP3TestServer(MESSAGES) as server:
        with Store.for_account(account_for(server), data_dir=tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the sync")
                uid = server.uids()[1]
                stale = events.rows()[uid]
                events(ListChanged(updated=[stale]))  # as if computed just before the edit
                session.set_marked(uid, True)
                session.set_read(uid, True)
                rows = events.rows()
                assert rows[uid].marked_delete and not rows[uid].unread
                echoes = events.of(SummariesUpdated)[-2:]
                assert [echo.summaries[0].uid for echo in echoes] == [uid, uid]
