"""Pilot tests of ``v``: a text attachment shown in the preview, Enter back to the message."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from tests.fake_session import FIXED_NOW, FakeSession, make_message, small_mailbox
from tests.waiting import until
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.attachment_view import ShowAttachmentPicker
from tui_mail.ui.bindings import help_entries
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


async def open_message(pilot: Pilot[None], app: TuiMailApp, uid: str) -> Preview:
    await until(
        lambda: len(app.model) > 0 and app.mail_screen.message_list.size.height, pilot=pilot
    )
    assert app.mail_screen.message_list.select_uid(uid)
    await pilot.press("enter")
    preview = app.query_one(Preview)
    await until(lambda: app.displayed is not None and preview.uid == uid, pilot=pilot)
    return preview


def shown(preview: Preview) -> str:
    return "\n".join(preview.plain_lines)


async def test_v_shows_the_chosen_text_attachment_and_enter_goes_back(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        preview = await open_message(pilot, app, "u5")
        message_text = shown(preview)
        await pilot.press("v")
        await until(lambda: isinstance(app.screen, ShowAttachmentPicker), pilot=pilot)
        assert "Show which attachment?" in str(app.screen.query_one("Static").render())
        await pilot.press("down", "enter")  # the second of a.txt and b.txt
        await until(lambda: "second" in shown(preview), pilot=pilot)
        text = shown(preview)
        assert "----- attachment #2  b.txt  (application/octet-stream, 6 B) -----" in text
        assert "first" not in text and preview.uid == "u5"
        assert app.displayed is not None and app.displayed.uid == "u5"  # s still saves from it
        await pilot.press("enter")
        await until(lambda: shown(preview) == message_text, pilot=pilot)


async def test_v_with_one_text_attachment_shows_it_directly(tmp_path: Path) -> None:
    session = small_mailbox()
    session.bodies["u1"] = make_message(
        "u1",
        sender="Alice Example",
        subject="Lunch today?",
        body="Menu attached.\n",
        when=FIXED_NOW,
        attachments=[("menu.txt", b"Soup\nSalad\n"), ("photo.jpg", b"\xff\xd8\xff")],
    )
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        preview = await open_message(pilot, app, "u1")
        await pilot.press("v")
        await until(lambda: "Soup" in shown(preview), pilot=pilot)
        assert "Salad" in shown(preview) and "Menu attached." not in shown(preview)


async def test_v_without_a_text_attachment_only_says_so(tmp_path: Path) -> None:
    app = make_app(small_mailbox(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("v")  # nothing open yet
        await pilot.pause()
        preview = await open_message(pilot, app, "u2")  # one attachment: invoice.pdf
        before = shown(preview)
        await pilot.press("v")
        await pilot.pause()
        assert app.screen is app.mail_screen and shown(preview) == before
        notices = [notification.message for notification in app._notifications]
        assert "Open a message with Enter first." in notices
        assert "This message has no text attachment to show." in notices


def test_the_key_is_listed_with_its_binding_id() -> None:
    entries = {entry.binding_id: entry for entry in help_entries()}
    assert entries["mail.view_attachment"].keys == ("v",)
    remapped = {e.binding_id: e for e in help_entries({"mail.view_attachment": "V"})}
    assert remapped["mail.view_attachment"].keys == ("V",)
