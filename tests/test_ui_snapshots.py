"""Snapshot tests of the reader at 80x24 (update with ``pytest --snapshot-update``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.fake_session import FIXED_NOW, small_mailbox
from tests.waiting import until
from tui_mail.ui.app import TuiMailApp

SIZE = (80, 24)


def make_app(tmp_path: Path, theme: str = "textual-dark") -> TuiMailApp:
    session = small_mailbox()
    return TuiMailApp(
        session,
        account_name=session.account_name,
        clock=lambda: FIXED_NOW,
        download_dir=tmp_path,
        theme=theme,
        outcome_delay=0,
    )


async def loaded(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, TuiMailApp)
    await until(lambda: app.model.total == 6, pilot=pilot)
    await pilot.pause()


def test_message_list(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=loaded)


def test_message_list_ansi_theme_for_16_colours(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(make_app(tmp_path, "ansi-dark"), terminal_size=SIZE, run_before=loaded)


def test_preview_of_a_hostile_message(snap_compare: Any, tmp_path: Path) -> None:
    async def open_hostile(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        app = pilot.app
        assert isinstance(app, TuiMailApp)
        app.mail_screen.message_list.select_uid("u4")
        await pilot.press("enter")
        await until(lambda: app.mail_screen.preview.uid == "u4", pilot=pilot)
        await pilot.pause()

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=open_hostile)


def test_quit_dialog(snap_compare: Any, tmp_path: Path) -> None:
    async def mark_and_quit(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        await pilot.press("d", "d", "q")
        await pilot.pause()

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=mark_and_quit)
