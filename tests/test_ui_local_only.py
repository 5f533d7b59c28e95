"""Pilot tests of messages kept here that the server no longer has (marked ``L``)."""

from __future__ import annotations

from pathlib import Path

from tests.fake_session import FakeSession, small_mailbox
from tests.test_ui_app import loaded, make_app, row_line, screen_lines
from tests.waiting import until
from tui_mail.ui.columns import DELETE_MARK, LOCAL_MARK
from tui_mail.ui.screens.confirm_quit import ConfirmQuit
from tui_mail.ui.widgets.preview import Preview

LOCAL = ("u2", "u5")  # Re: invoice [/] due, [b]x


def local_mailbox() -> FakeSession:
    session = small_mailbox()
    for uid in LOCAL:
        session._rows[uid] = session._rows[uid].with_(local_only=True, arrival=0)
    return session


async def test_local_only_rows_are_marked_and_counted_apart(tmp_path: Path) -> None:
    app = make_app(local_mailbox(), tmp_path)
    async with app.run_test(size=(100, 24)) as pilot:
        await loaded(pilot, app)
        assert row_line(app, "Re: invoice")[2] == LOCAL_MARK
        assert row_line(app, "Lunch today?")[2] == " "
        bar = app.mail_screen.status_bar.text
        assert "4 messages │ 2 only on this machine" in bar
        await pilot.press("d")  # u1: D as always
        await pilot.press("d")  # u2 (local only): D comes before L
        await pilot.pause()
        assert row_line(app, "Re: invoice")[2] == DELETE_MARK


async def test_filter_tilde_l_shows_only_them(tmp_path: Path) -> None:
    app = make_app(local_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("slash", "~", "L", "enter")
        await until(lambda: len(app.model) == 2, pilot=pilot)
        assert {app.model.uid_at(0), app.model.uid_at(1)} == set(LOCAL)
        await pilot.press("slash", "space", *"invoice", "enter")  # "~L invoice"
        await until(lambda: len(app.model) == 1, pilot=pilot)
        assert app.model.uid_at(0) == "u2"
        await pilot.press("escape")
        await until(lambda: len(app.model) == 6, pilot=pilot)


async def test_a_local_only_message_opens(tmp_path: Path) -> None:
    session = local_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("j", "enter")
        preview = app.query_one(Preview)
        await until(lambda: preview.uid == "u2", pilot=pilot)


async def test_dollar_counts_server_and_local_apart(tmp_path: Path) -> None:
    session = local_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("d", "d", "dollar_sign")  # u1 (server), u2 (local only)
        await until(lambda: isinstance(app.screen, ConfirmQuit), pilot=pilot)
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "Delete 1 from the server and 1 local copy now?" in text
        await pilot.press("y")
        await until(lambda: app.model.get("u2") is None, pilot=pilot)
        assert session.calls_named("remove_local") == [("remove_local", ["u2"])]
        assert session.confirmed == {"u1"}  # the server is asked only about its own
        await until(lambda: app.model.get("u1") is None, pilot=pilot)
        assert app.screen is app.mail_screen and app.return_code is None


async def test_quit_with_only_local_marks_asks_and_removes_them(tmp_path: Path) -> None:
    session = local_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("slash", "~", "L", "enter")
        await until(lambda: len(app.model) == 2, pilot=pilot)
        await pilot.press("d", "d", "q")
        await until(lambda: isinstance(app.screen, ConfirmQuit), pilot=pilot)
        await pilot.pause()
        assert "Delete 2 local copies and quit?" in "\n".join(screen_lines(app))
        await pilot.press("y")
        await until(lambda: session.finished, pilot=pilot)
    assert app.outcome == "Deleted 2 local copies."
    assert session.calls_named("apply_deletions") == []  # the server was never asked


async def test_n_keeps_the_local_copies(tmp_path: Path) -> None:
    session = local_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("j", "d", "dollar_sign")
        await until(lambda: isinstance(app.screen, ConfirmQuit), pilot=pilot)
        await pilot.pause()
        assert "Delete 1 local copy now?" in "\n".join(screen_lines(app))
        await pilot.press("n")
        await pilot.pause()
        assert session.calls_named("remove_local") == []
        assert app.model.get("u2") is not None
