"""A sync's changes (``ListChanged``) reach the list in place: the cursor, the message in the
preview, the marks and the filter survive new mail arriving and old mail vanishing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.fake_session import FIXED_NOW, small_mailbox
from tests.test_ui_app import loaded, make_app, row_line, screen_lines
from tests.waiting import until
from tui_mail.session.events import ListChanged
from tui_mail.store.models import MessageSummary


def newcomer(uid: str, subject: str, minutes: int = 5) -> MessageSummary:
    return MessageSummary(
        uid=uid,
        size=900,
        date=FIXED_NOW - timedelta(minutes=minutes),
        sender="Newcomer",
        subject=subject,
        unread=True,
        arrival=100,
    )


def shown_uids(app: object) -> list[str]:
    model = app.model  # type: ignore[attr-defined]
    return [model.uid_at(i) for i in range(len(model))]


async def test_a_sync_adds_and_removes_rows_without_losing_the_place(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        listing = app.mail_screen.message_list
        await pilot.press("j", "j", "d")  # u3 marked; the cursor moves on to u4
        await pilot.press("enter")  # u4 in the preview
        await until(lambda: app.displayed is not None, "u4 shown", pilot=pilot)
        assert listing.highlighted is not None and listing.highlighted.uid == "u4"
        renamed = session.row("u5").with_(subject="Renamed by the server")
        session.report(
            ListChanged(
                added=[newcomer("n1", "Fresh mail")],
                removed=["u2", "u6"],
                updated=[renamed],
            )
        )
        await until(lambda: app.model.total == 5, "the change applied", pilot=pilot)
        await pilot.pause()
        assert shown_uids(app) == ["n1", "u1", "u3", "u4", "u5"]
        assert listing.highlighted is not None and listing.highlighted.uid == "u4"
        assert listing.previewed_uid == "u4" and app.displayed is not None
        assert app.displayed.uid == "u4"
        marked = app.model.get("u3")
        assert marked is not None and marked.marked_delete and app.model.marked == 1
        assert "Fresh mail" in row_line(app, "Newcomer")
        assert "Renamed by the server" in row_line(app, "Eve")
        assert not any("invoice" in line for line in screen_lines(app))
        assert "1 to delete" in app.mail_screen.status_bar.text


async def test_new_mail_from_a_refresh_respects_the_filter(tmp_path: Path) -> None:
    session = small_mailbox()
    session.incoming = [
        newcomer("n1", "Another invoice", minutes=1),
        newcomer("n2", "Nothing to see"),
    ]
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("slash", *"invoice", "enter")
        await until(lambda: shown_uids(app) == ["u2"], "the filter", pilot=pilot)
        await pilot.press("c")
        await until(lambda: app.model.total == 8, "the new mail", pilot=pilot)
        await pilot.pause()
        assert shown_uids(app) == ["n1", "u2"]
        assert app.mail_screen.message_list.highlighted is not None
        await pilot.press("escape")  # the filter off: everything, newest first
        await pilot.pause()
        assert shown_uids(app)[:3] == ["n1", "n2", "u1"]


async def test_an_empty_change_leaves_the_list_alone(tmp_path: Path) -> None:
    session = small_mailbox()
    app = make_app(session, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("G")
        before = screen_lines(app)
        session.report(ListChanged())
        await pilot.pause()
        assert screen_lines(app) == before
        assert app.mail_screen.message_list.cursor_index == 5
