"""Pilot tests of tagging (t, T) and of S writing the tagged messages as one mbox."""

from __future__ import annotations

import mailbox
import stat
from pathlib import Path

from tests.fake_session import small_mailbox
from tests.test_ui_app import loaded, make_app, row_line, screen_lines
from tests.waiting import until
from tui_mail.store.mbox import unquote_mboxrd
from tui_mail.ui.columns import DELETE_MARK, TAG_MARK
from tui_mail.ui.screens.prompt import SavePrompt

# small_mailbox's rows from the top (newest first): u1 Lunch, u2 invoice, u3 会議, u4, u5, u6


def mbox_messages(path: Path) -> list[bytes]:
    box = mailbox.mbox(path, create=False)
    try:
        return [unquote_mboxrd(box.get_bytes(key)) for key in box.keys()]
    finally:
        box.close()


async def test_t_tags_moves_down_and_t_again_untags(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("t")
        await pilot.pause()
        assert row_line(app, "Lunch today?")[2] == TAG_MARK
        assert app.mail_screen.message_list.cursor_index == 1
        assert "1 message tagged (S saves them as one mbox)" in app.mail_screen.status_bar.text
        await pilot.press("k", "t")
        await pilot.pause()
        assert row_line(app, "Lunch today?")[2] == " "
        assert app.model.tags == set()
        await pilot.press("k", "t", "k", "d")  # tagged and marked: D shows first
        await pilot.pause()
        assert row_line(app, "Lunch today?")[2] == DELETE_MARK


async def test_capital_t_tags_what_the_filter_shows_and_again_untags(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("slash", *"example.org", "enter")  # u1, u5, u6
        await until(lambda: len(app.model) == 3, pilot=pilot)
        await pilot.press("T")
        await pilot.pause()
        assert app.model.tags == {"u1", "u5", "u6"}
        assert "3 messages tagged" in app.mail_screen.status_bar.text
        await pilot.press("T")
        await pilot.pause()
        assert app.model.tags == set()
        await pilot.press("escape", "T")  # the whole list now
        await pilot.pause()
        assert len(app.model.tags) == 6


async def test_help_lists_the_tag_keys(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "mail.tag" in text and "mail.tag_all" in text
        assert "tagged messages: one mbox" in text


async def test_s_with_tags_writes_one_mbox_oldest_first(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("t", "t", "j", "t")  # u1, u2, u4
        await pilot.press("S")
        await until(lambda: isinstance(app.screen, SavePrompt), pilot=pilot)
        await pilot.pause()
        assert any("Save 3 tagged messages (mbox) as:" in line for line in screen_lines(app))
        await pilot.press("enter")
        target = tmp_path / "downloads" / "work.mbox"
        await until(
            lambda: "Saved 3 messages to work.mbox" in app.mail_screen.status_bar.text, pilot=pilot
        )
        assert mbox_messages(target) == [session.bodies[uid] for uid in ("u4", "u2", "u1")]
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        assert sorted(p.name for p in target.parent.iterdir()) == ["work.mbox"]
        assert session.row("u1").unread and app.model.get("u1").unread  # type: ignore[union-attr]
        assert session.calls_named("set_read") == []  # exporting is not reading
        assert app.model.tags == {"u1", "u2", "u4"}  # kept, as mutt keeps them


async def test_messages_that_cannot_be_had_are_skipped_and_counted(tmp_path: Path) -> None:
    session = small_mailbox()
    session.failing = {"u2"}
    app = make_app(session, tmp_path)
    async with app.run_test(size=(120, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("t", "t", "S")
        await until(lambda: isinstance(app.screen, SavePrompt), pilot=pilot)
        await pilot.press("enter")
        target = tmp_path / "downloads" / "work.mbox"
        await until(lambda: "Saved 1 message" in app.mail_screen.status_bar.text, pilot=pilot)
        text = app.mail_screen.status_bar.text
        assert "Saved 1 message to work.mbox; 1 skipped (-ERR no such message)." in text
        assert mbox_messages(target) == [session.bodies["u1"]]


async def test_nothing_had_writes_no_file(tmp_path: Path) -> None:
    session = small_mailbox()
    session.failing = {"u1", "u2"}
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("t", "t", "S")
        await until(lambda: isinstance(app.screen, SavePrompt), pilot=pilot)
        await pilot.press("enter")
        await until(lambda: "Nothing saved" in app.mail_screen.status_bar.text, pilot=pilot)
        downloads = tmp_path / "downloads"
        assert not downloads.exists() or list(downloads.iterdir()) == []


async def test_escape_stops_an_export_and_leaves_nothing(tmp_path: Path) -> None:
    session = small_mailbox()
    session.hold_bodies = True
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("t", "t", "S")
        await until(lambda: isinstance(app.screen, SavePrompt), pilot=pilot)
        await pilot.press("enter")
        await until(
            lambda: session.calls_named("request_body") == [("request_body", "u2")], pilot=pilot
        )
        assert "saving 2 messages to work.mbox (Esc stops)" in app.mail_screen.status_bar.text
        await pilot.press("escape")
        await pilot.pause()
        assert "mbox not saved: stopped." in app.mail_screen.status_bar.text
        session.hold_bodies = False
        session.release_bodies()
        await pilot.pause()
        assert list((tmp_path / "downloads").iterdir()) == []
        assert len(session.calls_named("request_body")) == 1  # nothing more was asked


async def test_export_waits_for_the_message_the_user_opened(tmp_path: Path) -> None:
    session = small_mailbox()
    session.hold_bodies = True
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("enter")  # u1 is on its way: the export must not cancel it
        await pilot.press("j", "t", "t", "S")  # u2, u3
        await until(lambda: isinstance(app.screen, SavePrompt), pilot=pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert session.calls_named("request_body") == [("request_body", "u1")]
        session.hold_bodies = False
        session.release_bodies()
        target = tmp_path / "downloads" / "work.mbox"
        await until(lambda: "Saved 2 messages" in app.mail_screen.status_bar.text, pilot=pilot)
        assert mbox_messages(target) == [session.bodies["u3"], session.bodies["u2"]]
        await until(lambda: app.mail_screen.preview.uid == "u1", pilot=pilot)  # theirs shown


async def test_s_without_tags_still_saves_one_eml(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("t", "k", "t", "S")  # tagged and untagged again
        await until(lambda: isinstance(app.screen, SavePrompt), pilot=pilot)
        await pilot.pause()
        assert any("(.eml) as:" in line for line in screen_lines(app))
