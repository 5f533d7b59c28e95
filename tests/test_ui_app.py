"""Pilot tests of the reader against the in-memory session, at 80x24 unless said otherwise."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.fake_session import FIXED_NOW, FakeSession, small_mailbox
from tests.waiting import until
from tui_mail.session.events import (
    ConnectionState,
    ListReplaced,
    Progress,
    StateChanged,
    SummariesUpdated,
)
from tui_mail.store.models import MessageSummary
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.confirm_quit import ConfirmQuit
from tui_mail.ui.screens.prompt import SavePrompt
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.preview import Preview


def make_app(session: FakeSession, tmp_path: Path, **options: object) -> TuiMailApp:
    return TuiMailApp(
        session,
        account_name=session.account_name,
        clock=lambda: FIXED_NOW,
        download_dir=tmp_path / "downloads",
        outcome_delay=0,
        **options,  # type: ignore[arg-type]
    )


def screen_lines(app: TuiMailApp) -> list[str]:
    """The whole screen as the terminal would show it, one string per row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def loaded(pilot: Pilot[None], app: TuiMailApp, count: int = 6) -> None:
    await until(
        lambda: len(app.model) == count and app.mail_screen.message_list.size.height, pilot=pilot
    )
    await pilot.pause()


def row_line(app: TuiMailApp, needle: str) -> str:
    matches = [line for line in screen_lines(app) if needle in line]
    assert matches, f"{needle!r} not on screen:\n" + "\n".join(screen_lines(app))
    return matches[0]


async def test_list_shows_rows_unread_marks_and_status(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        lines = screen_lines(app)
        assert "Date▼" in lines[0] and "sort: date" in lines[0]
        # newest first; unread rows carry the mark, read rows do not
        assert "Lunch today?" in lines[1] and lines[1].startswith("●")
        assert "09:30" in lines[1] and "1.2K" in lines[1]
        assert row_line(app, "Re: invoice").startswith(" ") and "Jun 10" in row_line(app, "Bob")
        assert "2024-12-31" in row_line(app, "Trent")
        assert "3.2M" in row_line(app, "山田")
        status = lines[-1]
        for words in ("work", "online TLSv1.3", "6 messages", "3 unread", "0 to delete"):
            assert words in status


async def test_japanese_subject_is_cut_on_cell_boundaries(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        line = row_line(app, "山田")
        assert "…" in line  # too long for the column
        strip = app.mail_screen.message_list.render_line(2)
        assert strip.cell_length == app.mail_screen.message_list.row_width
        assert "\ufffd" not in line


async def test_moving_the_cursor_never_fetches_or_marks_read(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("j", "j", "down", "k", "up", "G", "g", "end", "home")
        await pilot.pause()
        assert session.calls_named("request_body") == []
        assert session.calls_named("set_read") == []
        assert app.model.unread == 3


async def test_enter_shows_body_marks_read_and_keeps_focus(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("enter")
        preview = app.query_one(Preview)
        await until(lambda: preview.uid == "u1", pilot=pilot)
        assert session.calls_named("request_body") == [("request_body", "u1")]
        assert ("set_read", "u1", True) in session.calls
        assert "Shall we meet at noon?" in "\n".join(preview.plain_lines)
        await pilot.pause()
        assert not row_line(app, "Lunch today?").startswith("●")
        assert "2 unread" in screen_lines(app)[-1]
        assert isinstance(app.focused, MessageList)
        await pilot.press("j")
        assert app.mail_screen.message_list.highlighted is not None
        assert app.mail_screen.message_list.highlighted.uid == "u2"
        assert len(session.calls_named("request_body")) == 1  # moving on fetched nothing


async def test_body_failure_is_shown_and_does_not_mark_read(tmp_path: Path) -> None:
    session = small_mailbox()
    session.failing.add("u1")
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("enter")
        preview = app.query_one(Preview)
        await until(
            lambda: any("Could not load" in line for line in preview.plain_lines), pilot=pilot
        )
        assert session.calls_named("set_read") == []
        assert app.model.unread == 3


async def test_n_toggles_read_state(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("n")
        assert ("set_read", "u1", True) in session.calls
        await pilot.press("n")
        assert ("set_read", "u1", False) in session.calls
        assert app.model.unread == 3


async def test_space_and_pagedown_scroll_the_preview_from_the_list(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert app.mail_screen.message_list.select_uid("u5")
        await pilot.press("enter")
        preview = app.query_one(Preview)
        await until(lambda: preview.uid == "u5", pilot=pilot)
        await pilot.pause()
        await pilot.press("space")
        first = preview.scroll_offset.y
        assert first > 0
        await pilot.press("pagedown")
        assert preview.scroll_offset.y > first
        await pilot.press("pageup")
        assert preview.scroll_offset.y == first
        assert isinstance(app.focused, MessageList)
        assert app.mail_screen.message_list.highlighted.uid == "u5"  # type: ignore[union-attr]
        await pilot.press("tab")
        assert isinstance(app.focused, Preview)


async def test_d_marks_and_moves_down_u_unmarks(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("d")
        assert session.calls_named("set_marked") == [("set_marked", "u1", True)]
        assert app.mail_screen.message_list.cursor_index == 1
        assert row_line(app, "Lunch today?")[2] == "D"
        assert "1 to delete" in screen_lines(app)[-1]
        await pilot.press("k", "u")
        assert session.calls_named("set_marked")[-1] == ("set_marked", "u1", False)
        assert app.model.marked == 0
        await pilot.press("k", "d", "k", "d")  # d again on a marked row unmarks it
        assert session.calls_named("set_marked")[-2:] == [
            ("set_marked", "u1", True),
            ("set_marked", "u1", False),
        ]


async def test_q_with_marks_asks_then_y_deletes_and_exits(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("d", "d", "q")
        await until(lambda: isinstance(app.screen, ConfirmQuit), pilot=pilot)
        await pilot.pause()
        assert any(
            "Delete 2 messages from the server and quit?" in line for line in screen_lines(app)
        )
        assert session.calls_named("apply_deletions") == []
        await pilot.press("y")
        await until(lambda: app.return_code is not None, pilot=pilot)
    assert session.calls_named("apply_deletions") == [("apply_deletions", True)]
    assert app.outcome == "Deleted 2 messages from the server."
    assert set(session._rows) == {"u3", "u4", "u5", "u6"}
    assert session.finished


async def test_outcome_reports_uids_not_found(tmp_path: Path) -> None:
    session = small_mailbox()
    session.vanished.add("u2")
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("d", "d", "q", "y")
        await until(lambda: app.return_code is not None, pilot=pilot)
    assert app.outcome is not None
    assert app.outcome.startswith("Deleted 1 message from") and "1 marked was not found" in (
        app.outcome
    )


@pytest.mark.parametrize("keys", [("q", "n"), ("x",)])
async def test_n_and_x_quit_without_deleting(tmp_path: Path, keys: tuple[str, ...]) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("d")
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await until(lambda: app.return_code is not None, pilot=pilot)
    assert session.calls_named("apply_deletions") == []
    assert session.calls_named("shutdown") == [("shutdown",)]
    assert session.row("u1").marked_delete  # the mark is kept for next time
    assert app.outcome is None


async def test_escape_in_the_quit_dialog_stays(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("d", "q")
        await until(lambda: isinstance(app.screen, ConfirmQuit), pilot=pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.mail_screen
        assert app.return_code is None
        assert session.calls_named("apply_deletions") == []
        assert session.calls_named("shutdown") == []


async def test_q_without_marks_quits_at_once(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("q")
        await until(lambda: app.return_code is not None, pilot=pilot)
    assert session.calls_named("shutdown") == [("shutdown",)]
    assert session.calls_named("apply_deletions") == []


async def test_dollar_applies_deletions_and_stays(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("d", "dollar_sign")
        await until(lambda: isinstance(app.screen, ConfirmQuit), pilot=pilot)
        await pilot.pause()
        assert any("Delete 1 message from the server now?" in line for line in screen_lines(app))
        assert session.calls_named("apply_deletions") == []
        await pilot.press("y")
        await until(lambda: app.model.total == 5, pilot=pilot)
        assert session.calls_named("apply_deletions") == [("apply_deletions", False)]
        assert app.model.get("u1") is None
        assert app.return_code is None
        assert "Deleted 1 message from" in screen_lines(app)[-1]


async def test_c_asks_for_new_mail(tmp_path: Path) -> None:
    session = small_mailbox()
    session.incoming.append(
        MessageSummary("u7", 500, FIXED_NOW - timedelta(minutes=5), "Zoe", "New!", True, False, 7)
    )
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("c")
        await until(lambda: app.model.total == 7, pilot=pilot)
        assert session.calls_named("request_refresh") == [("request_refresh",)]
        assert "New!" in screen_lines(app)[1]  # newest first, the cursor follows the top


async def test_filter_and_escape(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("slash", *"INVOICE")
        await pilot.pause()
        assert len(app.model) == 1
        assert "filter: invoice" in screen_lines(app)[0].casefold()
        await pilot.press("enter")  # keeps the filter, back to the list
        assert isinstance(app.focused, MessageList)
        await pilot.press("escape")
        assert len(app.model) == 6
        await pilot.press("slash", "q", "x", "escape")  # keys typed into the filter do not quit
        await pilot.pause()
        assert app.return_code is None and len(app.model) == 6
        await pilot.press("slash", *"mallory", "enter")
        assert app.mail_screen.message_list.highlighted.uid == "u4"  # type: ignore[union-attr]


async def test_o_cycles_the_sort(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        seen = []
        for _ in range(4):
            await pilot.press("o")
            await pilot.pause()
            found = re.search(r"sort: (date|sender|size|server order)", screen_lines(app)[0])
            assert found is not None
            seen.append(found.group(1))
        assert seen == ["sender", "size", "server order", "date"]
        await pilot.press("o")
        await pilot.pause()
        senders = [app.model.row_at(i).sender for i in range(len(app.model))]
        assert senders == sorted(senders, key=str.casefold)


async def test_hostile_subjects_and_bodies_are_shown_literally(tmp_path: Path) -> None:
    session = small_mailbox()
    session.summaries.append(
        MessageSummary("evil", 10, FIXED_NOW, "x\x1b]0;pwned\x07", "t\x1b[2Jz\u202eabc", False)
    )
    session.__post_init__()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app, count=7)
        text = "\n".join(screen_lines(app))
        for subject in (
            "Re: invoice [/] due",
            "[ @click=app.quit]click me",
            "[b]x",
            "[@click=app.bell]bell[/]",
        ):
            assert subject in text
        assert "x␛]0;pwned␇" in text and "t␛[2Jz<U+202E>abc" in text
        assert "\x1b" not in text
        assert app.title == "tui-mail" and app.sub_title == ""
        assert app.mail_screen.message_list.select_uid("u4")
        await pilot.press("enter")
        preview = app.query_one(Preview)
        await until(lambda: preview.uid == "u4", pilot=pilot)
        body = "\n".join(preview.plain_lines)
        assert "[bold red]not bold[/] [@click=app.quit]q[/]" in body
        assert "Subject: [ @click=app.quit]click me" in body
        await pilot.click(Preview, offset=(10, 5))
        await pilot.pause()
        assert app.return_code is None


async def test_progress_and_connection_words(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)

        async def status_after(event: object) -> str:
            session.report(event)  # type: ignore[arg-type]
            await pilot.pause()
            return app.mail_screen.status_bar.text

        assert "headers 340/1000" in await status_after(Progress("headers", 340, 1000))
        assert "headers" not in await status_after(Progress("headers", 1000, 1000))
        assert "mailbox busy" in await status_after(StateChanged(ConnectionState.BUSY))
        assert "connecting" in await status_after(StateChanged(ConnectionState.CONNECTING))
        retrying = await status_after(StateChanged(ConnectionState.RETRYING, retry_in=30))
        assert "offline, retrying in 30 s" in retrying or "retrying in 29 s" in retrying
        assert "online TLSv1.2" in await status_after(
            StateChanged(ConnectionState.ONLINE, "TLSv1.2")
        )


async def test_summary_batches_keep_the_cursor_message(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("j", "j")
        batch = [
            MessageSummary(f"n{i}", 100, FIXED_NOW - timedelta(minutes=i), "New", f"n {i}", True)
            for i in range(50)
        ]
        session.report(SummariesUpdated(batch))
        await until(lambda: app.model.total == 56, pilot=pilot)
        assert app.mail_screen.message_list.highlighted.uid == "u3"  # type: ignore[union-attr]
        assert "53 unread" in app.mail_screen.status_bar.text


async def test_hundred_thousand_rows_load_and_move(tmp_path: Path) -> None:
    rows = [
        MessageSummary(
            f"U{n:06d}",
            1000 + n,
            FIXED_NOW - timedelta(minutes=n),
            f"Sender {n}",
            f"Subject {n}",
            n % 2 == 0,
            False,
            100_000 - n,
        )
        for n in range(100_000)
    ]
    session = FakeSession(rows, {}, account_name="big")
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app, count=100_000)
        assert "100000 messages" in screen_lines(app)[-1]
        await pilot.press("j", "j", "j")
        assert app.mail_screen.message_list.cursor_index == 3
        await pilot.press("ctrl+f")
        assert app.mail_screen.message_list.cursor_index > 3
        await pilot.press("G")
        await pilot.pause()
        assert "Subject 99999" in screen_lines(app)[-3]  # above the key line and the status
        await pilot.press("o")
        await pilot.pause()
        assert app.mail_screen.message_list.highlighted.uid == "U099999"  # type: ignore[union-attr]
        assert session.calls_named("request_body") == []


async def test_wide_terminal_puts_preview_beside_the_list(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(170, 30)) as pilot:
        await loaded(pilot, app)
        await pilot.press("enter")
        preview = app.query_one(Preview)
        await until(lambda: preview.uid == "u1", pilot=pilot)
        await pilot.pause()
        assert preview.region.x > 0 and preview.region.y == 0
        assert app.mail_screen.message_list.region.right <= preview.region.x


async def test_z_toggles_full_screen_preview(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("enter", "z")
        await pilot.pause()
        preview = app.query_one(Preview)
        # everything but the key line and the status bar
        assert preview.region.height == 22 and isinstance(app.focused, Preview)
        assert not app.mail_screen.message_list.region
        await pilot.press("z")
        await pilot.pause()
        assert isinstance(app.focused, MessageList) and app.mail_screen.message_list.region


async def test_S_saves_the_message_privately(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("S")  # the highlighted message, opened first since it is not shown
        await until(lambda: isinstance(app.screen, SavePrompt), pilot=pilot)
        assert app.displayed is not None and app.displayed.uid == "u1"
        await pilot.pause()
        assert any("Save ‘Lunch today?’ (.eml) as:" in line for line in screen_lines(app))
        await pilot.press("enter")
        target = tmp_path / "downloads" / "Lunch today_.eml"
        await until(target.exists, pilot=pilot)
    assert target.read_bytes() == session.bodies["u1"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


async def test_s_saves_the_chosen_attachment(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert app.mail_screen.message_list.select_uid("u5")
        await pilot.press("enter")
        await until(lambda: app.displayed is not None, pilot=pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("down", "enter")  # second of two attachments
        await until(lambda: isinstance(app.screen, SavePrompt), pilot=pilot)
        await pilot.press("enter")
        target = tmp_path / "downloads" / "b.txt"
        await until(target.exists, pilot=pilot)
        assert target.read_bytes() == b"second"
        await pilot.press("s", "enter")
        await until(lambda: isinstance(app.screen, SavePrompt), pilot=pilot)
        await pilot.press("enter")  # default is a fresh name: never overwrites
        await until((tmp_path / "downloads" / "a.txt").exists, pilot=pilot)


async def test_help_screen_and_command_palette_list_the_actions(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "Mark/unmark for deletion" in text and "Quit without deleting" in text
        await pilot.press("d")  # mail keys do not act behind the help screen
        assert app.model.marked == 0
        await pilot.press("escape")
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.mail_screen)]
        for title in ("Show message", "Check for new mail", "Quit without deleting anything"):
            assert title in titles


async def test_keys_can_be_remapped_by_binding_id(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path, keymap={"mail.delete": "D", "list.down": "ctrl+n"})
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("d")
        assert session.calls_named("set_marked") == []
        await pilot.press("D", "ctrl+n")
        assert session.calls_named("set_marked") == [("set_marked", "u1", True)]
        assert app.mail_screen.message_list.cursor_index == 2


@dataclass(frozen=True)
class SimpleRendered:
    """A rendered message held as plain text, with no attachments."""

    text: str
    attachments: tuple[()] = ()

    def as_text(self) -> str:
        return self.text


class PlainRenderer:
    """A renderer that returns plain strings (the real one lives in tui_mail.mail)."""

    def __init__(self, fail_on: bytes = b"") -> None:
        self.fail_on = fail_on

    def render(self, message: Path) -> SimpleRendered:
        raw = message.read_bytes()
        if self.fail_on and self.fail_on in raw:
            raise ValueError("cannot render")
        return SimpleRendered(f"Rendered {len(raw)} bytes\n[red]literal[/red]\n")

    def save_attachment(self, message: Path, index: int, target: Path, *, overwrite: bool) -> Path:
        raise LookupError(index)


async def test_the_renderer_is_pluggable_and_its_failures_are_contained(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path, renderer=PlainRenderer(fail_on=b"Subject: Bob"))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        preview = app.query_one(Preview)
        await pilot.press("enter")
        await until(lambda: preview.uid == "u1", pilot=pilot)
        assert preview.plain_lines[0].startswith("Rendered ")
        assert preview.plain_lines[1] == "[red]literal[/red]"
        assert app.mail_screen.message_list.select_uid("u2")
        raw_u2 = session.bodies["u2"]
        assert b"Subject: Re: invoice" in raw_u2
        session.bodies["u2"] = raw_u2.replace(b"From: Bob", b"Subject: Bob")
        await pilot.press("enter")
        await until(
            lambda: any("Could not show" in line for line in preview.plain_lines), pilot=pilot
        )
        assert "ValueError" in "\n".join(preview.plain_lines)
        assert session.row("u2").unread is False and ("set_read", "u2", True) not in session.calls
        assert app.return_code is None


class CrashingSession(FakeSession):
    async def run(self, report: Callable[..., None]) -> None:
        report(StateChanged(ConnectionState.CONNECTING))
        raise RuntimeError("secret-free but unexpected")


async def test_a_crashing_session_leaves_the_reader_usable(tmp_path: Path) -> None:
    session = CrashingSession([], {}, account_name="work")
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: "session stopped" in app.mail_screen.status_bar.text, pilot=pilot)
        assert "offline (session stopped: RuntimeError)" in app.mail_screen.status_bar.text
        await pilot.press("q")
        await until(lambda: app.return_code is not None, pilot=pilot)


async def test_rows_waiting_for_headers_show_a_placeholder(tmp_path: Path) -> None:
    session = small_mailbox()
    session.summaries.append(
        MessageSummary("h1", 4000, None, "", "", True, arrival=9, headers_loaded=False)
    )
    session.__post_init__()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app, count=7)
        last = screen_lines(app)[7]
        assert last.startswith("●") and "…" in last and "3.9K" in last


class CrashingAfterListSession(FakeSession):
    """Shows its list, then dies the way a disk-full SQLite error used to kill the session."""

    async def run(self, report: Callable[..., None]) -> None:
        report(StateChanged(ConnectionState.CONNECTING))
        report(ListReplaced(list(self.summaries)))
        await asyncio.sleep(0.05)
        raise sqlite3.OperationalError("database or disk is full")


async def test_quit_and_yes_after_the_session_died_exits_and_deletes_nothing(
    tmp_path: Path,
) -> None:
    session = CrashingAfterListSession(small_mailbox().summaries, {}, account_name="work")
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: app.model.total > 0, pilot=pilot)
        await pilot.press("d")
        await until(lambda: "session stopped" in app.mail_screen.status_bar.text, pilot=pilot)
        await pilot.press("q")
        await until(lambda: isinstance(app.screen, ConfirmQuit), pilot=pilot)
        await pilot.press("y")
        await until(lambda: app.return_code is not None, pilot=pilot)
    assert app.outcome is not None and app.outcome.startswith("Nothing was deleted")
    assert not [call for call in session.calls if call[0] == "apply_deletions"]


async def test_h_shows_every_header_field_without_downloading_then_the_message(
    tmp_path: Path,
) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        preview = app.query_one(Preview)
        await pilot.press("h")
        await until(lambda: preview.uid == "u1", "the headers of u1 shown", pilot=pilot)
        shown = "\n".join(preview.plain_lines)
        assert "Message-ID: <u1@example.org>" in shown
        assert "MIME-Version: 1.0" in shown
        assert "Shall we meet at noon?" not in shown
        assert session.calls_named("request_body") == []  # from the header cache alone
        assert session.calls_named("set_read") == []
        await pilot.press("h")
        await until(
            lambda: "Shall we meet at noon?" in "\n".join(preview.plain_lines),
            "the message shown again",
            pilot=pilot,
        )
        assert "MIME-Version" not in "\n".join(preview.plain_lines)
        await pilot.press("h")  # and back to the headers once more
        await until(
            lambda: "MIME-Version: 1.0" in "\n".join(preview.plain_lines),
            "the headers shown again",
            pilot=pilot,
        )
