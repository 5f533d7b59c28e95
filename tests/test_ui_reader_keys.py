"""Pilot tests of the reader as a mutt user expects it (issue 13): confirmations, the key line,
the previewed row, keeping your place, and the small things."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fake_session import small_mailbox
from tests.test_ui_app import loaded, make_app, row_line, screen_lines
from tests.waiting import until
from tui_mail.session.events import Progress
from tui_mail.ui.columns import PREVIEW_MARK
from tui_mail.ui.screens.attachments import AttachmentPicker
from tui_mail.ui.screens.confirm_quit import ConfirmQuit
from tui_mail.ui.screens.prompt import SavePrompt
from tui_mail.ui.widgets.preview import Preview

# -- 1: $ asks first ---------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["n", "escape"])
async def test_dollar_asks_and_n_or_escape_keeps_the_marks(tmp_path: Path, answer: str) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("d", "d", "dollar_sign")
        await until(lambda: isinstance(app.screen, ConfirmQuit), pilot=pilot)
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "Delete 2 messages from the server now?" in text
        assert "y  delete now" in text
        await pilot.press(answer)
        await pilot.pause()
        assert app.screen is app.mail_screen and app.return_code is None
        assert session.calls_named("apply_deletions") == []
        assert app.model.marked == 2 and session.row("u1").marked_delete
        await pilot.press("dollar_sign", "dollar_sign")  # a second $ does not stack dialogs
        await pilot.pause()
        assert len(app.screen_stack) == 2


async def test_dollar_with_nothing_marked_only_checks_for_mail(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("dollar_sign")
        await pilot.pause()
        assert app.screen is app.mail_screen
        assert session.calls_named("apply_deletions") == []
        assert session.calls_named("request_refresh") == [("request_refresh",)]


# -- 6: the key line and unbound keys ----------------------------------------------------------


async def test_key_line_names_the_main_keys_and_fits_80_columns(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        line = screen_lines(app)[-2]
        assert line.startswith(" q:Quit") and "?:Help" in line
        for hint in ("d:Del", "u:Undel", "s:Save att", "m:Mail", "r:Reply", "/:Filter", "$:Purge"):
            assert hint in line
        assert "Enter:Open" not in line  # the first to go when 80 columns are not enough
        assert len(line) == 80 and line.rstrip().endswith("?:Help")
        assert "online" in screen_lines(app)[-1]  # the status bar stays the last line


async def test_key_line_shrinks_on_a_narrow_terminal_but_keeps_help(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(40, 20)) as pilot:
        await loaded(pilot, app)
        line = screen_lines(app)[-2]
        assert "?:Help" in line and "q:Quit" in line and "c:Check" not in line


async def test_key_line_and_help_follow_the_keymap(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path, keymap={"mail.delete": "D", "mail.quit": "Q,q"})
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        line = screen_lines(app)[-2]
        assert "D:Del" in line and " Q:Quit" in line and " d:Del" not in line
        await pilot.press("question_mark")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "mail.delete" in text and "mail.quit" in text  # the ids [keys] uses
        assert "Q, q" in text


async def test_an_unbound_key_says_so_in_the_status_line(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("w")
        await pilot.pause()
        assert "key not bound: w" in screen_lines(app)[-1]
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert "key not bound: ^t" in app.mail_screen.status_bar.text
        await pilot.press("j")  # a bound key says nothing new
        await pilot.pause()
        assert app.mail_screen.message_list.cursor_index == 1
        await pilot.press("slash", "w")  # typed into the filter: not a key of the list
        await pilot.pause()
        assert app.model.filter_text == "w"


# -- 9: the previewed row and every action's target --------------------------------------------


async def test_the_previewed_row_is_marked_and_s_saves_the_highlighted_one(
    tmp_path: Path,
) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("enter")
        preview = app.query_one(Preview)
        await until(lambda: preview.uid == "u1", pilot=pilot)
        await pilot.press("j")
        await pilot.pause()
        assert row_line(app, "Lunch today?")[3] == PREVIEW_MARK
        assert PREVIEW_MARK not in row_line(app, "Re: invoice")
        await pilot.press("S")  # u2 is highlighted: it is opened and named in the prompt
        await until(lambda: isinstance(app.screen, SavePrompt), pilot=pilot)
        await pilot.pause()
        assert any("Save ‘Re: invoice [/] due’ (.eml) as:" in line for line in screen_lines(app))
        await pilot.press("enter")
        target = tmp_path / "downloads" / "Re_ invoice [_] due.eml"  # not "] due.eml"
        await until(target.exists, pilot=pilot)
        assert target.read_bytes() == session.bodies["u2"]
        assert preview.uid == "u2" and row_line(app, "Re: invoice")[3] == PREVIEW_MARK
        assert PREVIEW_MARK not in row_line(app, "Lunch today?")


async def test_a_pending_save_is_dropped_when_another_message_is_opened(tmp_path: Path) -> None:
    session = small_mailbox()
    session.hold_bodies = True
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("S", "j", "enter")
        await until(lambda: len(session.calls_named("request_body")) == 2, pilot=pilot)
        session.hold_bodies = False
        session.release_bodies()
        preview = app.query_one(Preview)
        await until(lambda: preview.uid == "u2", pilot=pilot)
        await pilot.pause()
        assert app.screen is app.mail_screen  # no prompt for u1 popping up later


async def test_attachment_picker_names_the_message_and_takes_j_k(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert app.mail_screen.message_list.select_uid("u5")
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, AttachmentPicker), pilot=pilot)
        await pilot.pause()
        assert any("Save which attachment of ‘[b]x’?" in line for line in screen_lines(app))
        await pilot.press("j", "k", "j", "enter")
        await until(lambda: isinstance(app.screen, SavePrompt), pilot=pilot)
        await pilot.pause()
        assert any("Save attachment b.txt of ‘[b]x’ as:" in line for line in screen_lines(app))


async def test_the_save_prompt_accepts_a_directory(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "invoice.pdf").write_bytes(b"older")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert app.mail_screen.message_list.select_uid("u2")
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, SavePrompt), pilot=pilot)
        field = app.screen.query_one("#path")
        field.value = str(folder)  # type: ignore[attr-defined]
        await pilot.press("enter")
        target = folder / "invoice (1).pdf"
        await until(target.exists, pilot=pilot)
    assert target.read_bytes() == b"%PDF-1.4 invoice"
    assert (folder / "invoice.pdf").read_bytes() == b"older"


# -- 10: Esc on a filter and o keep your place -------------------------------------------------


async def test_escape_on_a_filter_keeps_the_first_visible_message(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("slash", *"eve", "enter")
        await pilot.pause()
        listing = app.mail_screen.message_list
        assert len(app.model) == 1 and listing.cursor_index == 0
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.model) == 6
        assert listing.highlighted is not None and listing.highlighted.uid == "u5"
        assert row_line(app, "[b]x") in screen_lines(app)


async def test_o_keeps_the_message_on_the_first_row(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        listing = app.mail_screen.message_list
        assert listing.cursor_index == 0 and listing.highlighted.uid == "u1"  # type: ignore[union-attr]
        for _ in range(3):
            await pilot.press("o")
            await pilot.pause()
            assert listing.highlighted.uid == "u1"  # type: ignore[union-attr]


# -- 12: the small ones ------------------------------------------------------------------------


async def test_space_opens_the_highlighted_message_then_pages(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert app.mail_screen.message_list.select_uid("u5")
        await pilot.press("space")
        preview = app.query_one(Preview)
        await until(lambda: preview.uid == "u5", pilot=pilot)
        await pilot.pause()
        assert preview.scroll_offset.y == 0  # opening does not also scroll
        await pilot.press("space")
        assert preview.scroll_offset.y > 0
        await pilot.press("j", "pagedown")  # another row highlighted: PageDown opens it
        await until(lambda: preview.uid == "u6", pilot=pilot)
        assert session.calls_named("request_body") == [
            ("request_body", "u5"),
            ("request_body", "u6"),
        ]


async def test_download_progress_keeps_the_unread_count_visible(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        session.report(Progress("headers", 340, 1000))
        session.report(Progress("message bytes", 1_048_576, 2_621_440))
        await pilot.pause()
        status = app.mail_screen.status_bar.text
        assert "3 unread" in status and "message 40% of 2.5 MiB" in status
        assert "1048576" not in status


async def test_command_palette_lists_only_mail_actions(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        titles = [command.title for command in app.get_system_commands(app.mail_screen)]
        assert "Show message" in titles
        for generic in ("Theme", "Screenshot", "Maximize", "Keys", "Quit"):
            assert generic not in titles
        help_line = next(
            c for c in app.get_system_commands(app.mail_screen) if "deletion" in c.title
        )
        assert help_line.help == "key: d"


# -- 5: the filter matches names, addresses and subjects ---------------------------------------


async def test_filter_matches_the_sender_address(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("slash", *"bob@")
        await pilot.pause()
        assert [app.model.row_at(i).uid for i in range(len(app.model))] == ["u2"]
        await pilot.press("escape", "slash", *"EXAMPLE.ORG")
        await pilot.pause()
        assert {app.model.row_at(i).uid for i in range(len(app.model))} == {"u1", "u5", "u6"}
        await pilot.press("escape", "slash", *"invoice")  # subject and address both count
        await pilot.pause()
        assert [app.model.row_at(i).uid for i in range(len(app.model))] == ["u2"]
        await pilot.press("escape", "slash", *"山田")
        await pilot.pause()
        assert [app.model.row_at(i).uid for i in range(len(app.model))] == ["u3"]
