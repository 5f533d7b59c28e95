"""The reader starts its session before it loads the UI (issue 14: connecting, logging in and
listing overlap the UI's import time), keeps what the session reports meanwhile for the app,
and stops the session whatever happens to the app."""

from __future__ import annotations

import argparse
import time

import pytest

from tui_mail.commands import reader
from tui_mail.session.events import ConnectionState, SessionEvent, StateChanged
from tui_mail.session.threaded import SessionThread


def run_demo_with(monkeypatch: pytest.MonkeyPatch, fake_app: object) -> int:
    import tui_mail.ui.app

    monkeypatch.setattr(tui_mail.ui.app, "run_app", fake_app)
    args = argparse.Namespace(log=None, demo=True, account=None, mouse=False)
    return reader.run(args)


def online(events: list[SessionEvent]) -> bool:
    return any(
        isinstance(event, StateChanged) and event.state is ConnectionState.ONLINE
        for event in events
    )


def test_the_session_is_online_before_the_ui_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_run_app(session: SessionThread, **_: object) -> int:
        deadline = time.monotonic() + 30
        waiting = session._relay._waiting
        while not online(waiting) and time.monotonic() < deadline:
            time.sleep(0.01)
        seen["online before the app"] = online(waiting)
        seen["session"] = session
        events: list[SessionEvent] = []
        session._relay.attach(events.append)  # what the app's run() would do first
        seen["handed over"] = online(events)
        return 0

    assert run_demo_with(monkeypatch, fake_run_app) == 0
    assert seen["online before the app"] is True and seen["handed over"] is True
    session = seen["session"]
    assert isinstance(session, SessionThread) and session.thread is not None
    assert not session.thread.is_alive()  # stopped before the store closed


def test_an_app_that_fails_to_start_still_stops_the_session(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[SessionThread] = []

    def broken_app(session: SessionThread, **_: object) -> int:
        started.append(session)
        raise RuntimeError("no terminal")

    assert run_demo_with(monkeypatch, broken_app) == 1
    assert "no terminal" in capsys.readouterr().err
    assert started and started[0].thread is not None
    assert not started[0].thread.is_alive()
