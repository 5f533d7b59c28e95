"""The set-up screen at 80x24: the field you are asked to fill is on screen, the status line
talks about the focused field, and a hung server can be given up on with Esc (issue 13)."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widget import Widget

from tests.certs import CertFiles
from tests.test_setup import (
    PASSWORD,
    check_server,
    config_path,
    field,
    fill,
    start,
    tls_server,
)
from tests.waiting import until
from tui_mail.ui.screens.setup import FIELD_HINTS, SetupScreen
from tui_mail.ui.setup_app import SetupApp


def on_screen(screen: SetupScreen, widget: Widget) -> bool:
    """The whole widget is inside the part of the form that is visible."""
    form = screen.query_one("#form", VerticalScroll)
    visible = form.content_region
    region = widget.region
    return bool(region) and visible.contains_region(region)


def test_every_hint_fits_the_status_line_at_80_columns() -> None:
    assert all(len(hint) <= 78 for hint in FIELD_HINTS.values())  # one cell of padding each side


async def test_the_hint_follows_the_focused_field(tmp_path: Path) -> None:
    app = SetupApp(SetupScreen(config_path=config_path(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        assert screen.status_text == FIELD_HINTS["address"]
        await pilot.press("enter")  # to the server field
        await pilot.pause()
        assert screen.status_text == FIELD_HINTS["server"]
        await pilot.press("enter")
        await pilot.pause()
        assert screen.status_text == FIELD_HINTS["user"]
        await pilot.press("tab")  # the Gmail checkbox is hidden for this address
        await pilot.pause()
        assert app.focused is field(screen, "cafile")
        assert screen.status_text == FIELD_HINTS["cafile"]
        await pilot.press("tab")
        await pilot.pause()
        assert screen.status_text == FIELD_HINTS["check"]


async def test_an_error_about_a_field_stays_while_that_field_has_focus(tmp_path: Path) -> None:
    app = SetupApp(SetupScreen(config_path=config_path(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        await fill(pilot, screen, "server", "bad host name")
        field(screen, "cafile").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is field(screen, "server")
        assert screen.status_text not in FIELD_HINTS.values()  # the error, not a hint


async def test_after_login_the_name_field_and_save_are_on_screen(
    tmp_path: Path, certs: CertFiles
) -> None:
    server = tls_server(certs, extra_capabilities=["EXPIRE 0", "LOGIN-DELAY 300"])
    async with server:
        app = SetupApp(SetupScreen(config_path=config_path(tmp_path)))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await start(pilot, app)
            await check_server(pilot, screen, server.port, certs.cafile)
            assert on_screen(screen, field(screen, "password"))
            await fill(pilot, screen, "password", PASSWORD)
            await pilot.press("enter")
            await until(lambda: screen.login is not None, pilot=pilot, limit=60)
            await pilot.pause()
            await pilot.pause()
            assert app.focused is field(screen, "name")
            assert on_screen(screen, field(screen, "name"))
            assert on_screen(screen, screen.query_one("#save"))
            assert "press Enter to save" in screen.status_text


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


async def test_escape_stops_a_hung_check_and_keeps_what_was_typed(
    tmp_path: Path, silent_server: int
) -> None:
    app = SetupApp(SetupScreen(config_path=config_path(tmp_path), probe_timeout=60))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        await fill(pilot, screen, "server", f"127.0.0.1:{silent_server}")
        field(screen, "cafile").focus()
        await pilot.press("enter")
        ticking = re.compile(r"… [1-9][0-9]* s \(Esc stops it\)$")
        await until(lambda: bool(ticking.search(screen.status_text)), pilot=pilot, limit=60)
        assert "Checking 127.0.0.1" in screen.status_text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and app.return_value is None  # still in set-up
        assert "stopped; your entries are kept" in screen.status_text
        assert field(screen, "address").value == "alice@example.org"
        assert field(screen, "server").value == f"127.0.0.1:{silent_server}"
        await asyncio.sleep(1.2)
        await pilot.pause()
        assert "stopped; your entries are kept" in screen.status_text  # the clock stopped with it
        assert not [w for w in app.workers if w.group == "setup-probe" and w.is_running]
        await pilot.press("escape")  # nothing running: Esc leaves
        await until(lambda: app.return_code is not None, pilot=pilot)
