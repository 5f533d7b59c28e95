"""The UI's pure parts: cell formatting, sanitising, the list model, status words, saving."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from tests.fake_session import make_message
from tui_mail.session.events import ConnectionState, StateChanged
from tui_mail.store.models import MessageSummary
from tui_mail.ui.bindings import LIST_BINDINGS, PREVIEW_BINDINGS, SCREEN_BINDINGS, help_entries
from tui_mail.ui.columns import column_layout, fit_cells, format_date
from tui_mail.ui.list_model import MessageListModel, SortOrder
from tui_mail.ui.rendering import MailRenderer
from tui_mail.ui.safe_text import multi_line, one_line
from tui_mail.ui.saving import unused_path, write_private_file
from tui_mail.ui.widgets.list_header import header_text
from tui_mail.ui.widgets.preview import MAX_PREVIEW_CHARS, preview_text
from tui_mail.ui.widgets.status_bar import StatusInfo, describe_state, status_text
from tui_mail.wording import format_size, plural

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


# -- columns ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1.0K"),
        (1229, "1.2K"),
        (34_000, "33K"),
        (1_023_000, "999K"),
        (1_048_576, "1.0M"),
        (3_565_158, "3.4M"),
        (5 * 1024**3, "5.0G"),
    ],
)
def test_human_size(size: int, shown: str) -> None:
    assert format_size(size, compact=True) == shown


@given(st.integers(min_value=0, max_value=10**15))
def test_human_size_fits_the_column(size: int) -> None:
    assert len(format_size(size, compact=True)) <= 5


def test_format_date_today_this_year_older() -> None:
    assert format_date(NOW.replace(hour=9, minute=5), NOW) == "09:05"
    assert format_date(datetime(2025, 3, 2, tzinfo=UTC), NOW) == "Mar 02"
    assert format_date(datetime(2024, 12, 31, tzinfo=UTC), NOW) == "2024-12-31"
    assert format_date(None, NOW) == ""
    # shown in the viewer's zone: 23:30 UTC on the 14th is already the 15th in Tokyo
    tokyo = NOW.astimezone(timezone(timedelta(hours=9)))
    assert format_date(datetime(2025, 6, 14, 23, 30, tzinfo=UTC), tokyo) == "08:30"


@given(st.text(alphabet="aあ日本語😀x\u0301 ", max_size=40), st.integers(min_value=1, max_value=30))
def test_fit_cells_is_exact_and_never_splits_a_wide_character(text: str, width: int) -> None:
    fitted = fit_cells(text, width)
    assert cell_len(fitted) == width
    kept = fitted.rstrip(" …")
    assert text.startswith(kept.rstrip(" ")) or kept == ""


def test_fit_cells_japanese() -> None:
    assert fit_cells("会議の議事録", 7) == "会議の…"
    assert fit_cells("会議の議事録", 8) == "会議の …"  # half of 議 would not fit: a space instead
    assert fit_cells("短い", 6) == "短い  "


@pytest.mark.parametrize("width", [40, 79, 80, 120, 200])
def test_column_layout_fills_the_width(width: int) -> None:
    assert column_layout(width).total == width


# -- sanitising -----------------------------------------------------------------------------


def test_one_line_makes_controls_visible() -> None:
    hostile = "a\x1b]0;t\x07b\tc\nd\x9bz\u202e\u200b\x7f"
    assert one_line(hostile) == "a␛]0;t␇b c␊d<U+009B>z<U+202E><U+200B>␡"


def test_multi_line_keeps_newlines_and_expands_tabs() -> None:
    assert multi_line("a\tb\nc\x1b[31m\r\n") == "a       b\nc␛[31m\n"


# -- the list model ---------------------------------------------------------------------------


def row(uid: str, minutes: int, **changes: object) -> MessageSummary:
    base = MessageSummary(
        uid,
        100,
        NOW - timedelta(minutes=minutes),
        f"s{uid}",
        f"subj {uid}",
        False,
        arrival=1000 - minutes,
    )
    return base.with_(**changes)


def uids(model: MessageListModel) -> list[str]:
    return [model.uid_at(i) for i in range(len(model))]


def test_model_sorts_newest_first_and_by_each_order() -> None:
    model = MessageListModel()
    model.replace_all(
        [
            row("a", 30, size=5, sender="Zed"),
            row("b", 10, size=50, sender="amy"),
            row("c", 20, size=500, sender="Bob", date=None),
        ]
    )
    assert uids(model) == ["b", "a", "c"]  # undated last
    model.set_order(SortOrder.SENDER)
    assert uids(model) == ["b", "c", "a"]  # case-insensitive
    model.set_order(SortOrder.SIZE)
    assert uids(model) == ["c", "b", "a"]
    model.set_order(SortOrder.SERVER)
    assert uids(model) == ["b", "c", "a"]
    assert SortOrder.SERVER.next() is SortOrder.DATE


def test_model_counts_and_filter() -> None:
    model = MessageListModel()
    model.replace_all([row("a", 1, unread=True), row("b", 2, subject="Invoice"), row("c", 3)])
    model.update([row("c", 3, marked_delete=True, unread=True)])
    assert (model.total, model.unread, model.marked) == (3, 2, 1)
    model.set_filter("INVOICE")
    assert uids(model) == ["b"] and model.index_of("a") is None
    model.update([row("a", 1, subject="invoice too")])
    assert uids(model) == ["a", "b"]
    model.remove(["b"])
    assert uids(model) == ["a"] and model.total == 2
    model.set_filter("")
    assert uids(model) == ["a", "c"] and model.marked_uids() == ["c"]


rows_strategy = st.lists(
    st.builds(
        row,
        st.sampled_from([f"u{i}" for i in range(12)]),
        st.integers(min_value=0, max_value=20),
        subject=st.sampled_from(["alpha", "beta", "Alpha beta"]),
        size=st.integers(min_value=0, max_value=5),
        unread=st.booleans(),
        marked_delete=st.booleans(),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["update", "remove"]), rows_strategy), max_size=6),
    st.sampled_from(list(SortOrder)),
    st.sampled_from(["", "alpha", "beta"]),
)
def test_incremental_updates_match_a_full_rebuild(
    steps: list[tuple[str, list[MessageSummary]]], order: SortOrder, needle: str
) -> None:
    model = MessageListModel(order)
    model.BULK_FRACTION = 10**9  # force the incremental path
    model.set_filter(needle)
    truth: dict[str, MessageSummary] = {}
    for action, batch in steps:
        if action == "update":
            model.update(batch)
            truth.update({r.uid: r for r in batch})
        else:
            model.remove(r.uid for r in batch)
            for r in batch:
                truth.pop(r.uid, None)
    fresh = MessageListModel(order)
    fresh.replace_all(truth.values())
    fresh.set_filter(needle)
    assert uids(model) == uids(fresh)
    assert (model.total, model.unread, model.marked) == (fresh.total, fresh.unread, fresh.marked)
    for index, uid in enumerate(uids(model)):
        assert model.index_of(uid) == index


# -- status bar, header, help -----------------------------------------------------------------


def test_connection_words() -> None:
    assert describe_state(StateChanged(ConnectionState.ONLINE, "TLSv1.3")) == "online TLSv1.3"
    assert describe_state(StateChanged(ConnectionState.CONNECTING)) == "connecting"
    assert describe_state(StateChanged(ConnectionState.BUSY)) == "mailbox busy"
    retry = StateChanged(ConnectionState.RETRYING, retry_in=30)
    assert describe_state(retry) == "offline, retrying in 30 s"
    assert describe_state(retry, elapsed=12.5) == "offline, retrying in 18 s"
    assert describe_state(StateChanged(ConnectionState.OFFLINE)) == "offline"


def test_status_text_drops_the_least_useful_parts_first() -> None:
    info = StatusInfo(
        account="work",
        state=StateChanged(ConnectionState.ONLINE, "TLSv1.3"),
        messages=1000,
        unread=340,
        to_delete=2,
        activity=("headers 340/1000",),
    )
    wide = status_text(info, 120, 0.0)
    assert wide.split(" │ ")[0].strip() == "work"
    for words in ("online TLSv1.3", "1000 messages", "340 unread", "2 to delete", "headers"):
        assert words in wide
    narrow = status_text(info, 60, 0.0)
    assert cell_len(narrow) == 60
    assert "online TLSv1.3" in narrow and "2 to delete" in narrow and "work" not in narrow


def test_header_marks_the_sort_column_and_shows_the_filter_literally() -> None:
    text = header_text(79, SortOrder.SIZE, "[b]x")
    assert "Size▼" in text and "filter: [b]x · sort: size" in text and cell_len(text) == 79


def test_every_binding_has_an_id_and_help_applies_the_keymap() -> None:
    ids = [b.id for b in [*LIST_BINDINGS, *PREVIEW_BINDINGS, *SCREEN_BINDINGS]]
    assert None not in ids and len(ids) == len(set(ids))
    entries = {e.binding_id: e for e in help_entries({"mail.delete": "D,delete"})}
    assert entries["mail.delete"].keys == ("D", "delete")
    assert entries["mail.quit"].keys == ("q",)


# -- preview text, renderer fallback, saving --------------------------------------------------


def test_preview_text_is_sanitised_capped_and_never_markup() -> None:
    text = preview_text("From: [b]x[/b]\nSubject: \x1b]0;t\x07\n\n[@click=app.quit]q\n")
    assert text.plain.startswith("From: [b]x[/b]\nSubject: ␛]0;t␇")
    assert "[@click=app.quit]q" in text.plain and not text.spans[0].style == ""
    huge = preview_text("x" * (MAX_PREVIEW_CHARS + 10))
    assert len(huge.plain) < MAX_PREVIEW_CHARS + 200 and "S saves the whole message" in huge.plain


def test_mail_renderer_lists_and_saves_attachments(tmp_path: Path) -> None:
    raw = make_message(
        "1",
        sender="A <a@x>",
        subject="Hi",
        body="Body\n",
        when=NOW,
        attachments=[("../evil\u202etxt.exe", b"one"), ("b.bin", b"two")],
    )
    message = tmp_path / "message.eml"
    message.write_bytes(raw)
    renderer = MailRenderer()
    rendered = renderer.render(message)
    assert "Subject: Hi" in rendered.as_text() and "Body" in rendered.as_text()
    assert [a.index for a in rendered.attachments] == [1, 2]
    assert "\u202e" not in rendered.attachments[0].filename  # shown safely
    out = tmp_path / "out"
    out.mkdir()
    saved = renderer.save_attachment(message, 2, out / "b.bin", overwrite=False)
    assert saved.read_bytes() == b"two" and stat.S_IMODE(saved.stat().st_mode) == 0o600
    again = renderer.save_attachment(message, 1, out / "b.bin", overwrite=False)
    assert again != saved and saved.read_bytes() == b"two"  # never clobbers
    assert renderer.save_attachment(message, 1, out / "b.bin", overwrite=True) == saved
    assert saved.read_bytes() == b"one"
    with pytest.raises(IndexError):
        renderer.save_attachment(message, 3, out / "c.bin", overwrite=False)


def test_write_private_file_is_0600_and_never_clobbers(tmp_path: Path) -> None:
    target = tmp_path / "new" / "a.txt"
    write_private_file(target, b"one", overwrite=False)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    with pytest.raises(FileExistsError):
        write_private_file(target, b"two", overwrite=False)
    assert target.read_bytes() == b"one"
    write_private_file(target, b"two", overwrite=True)
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]  # no temp files left
    assert unused_path(target.parent, "a.txt").name == "a (1).txt"


def test_mail_renderer_follows_the_accounts_html_preference(tmp_path: Path) -> None:
    message = tmp_path / "alternative.eml"
    message.write_bytes(
        b"From: a@x\r\nSubject: both\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nthe plain version\r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n"
        b'<p>the <a href="https://example.org/x">html</a> version</p>\r\n--b--\r\n'
    )
    plain = MailRenderer().render(message).as_text()
    html = MailRenderer(prefer_html=True).render(message).as_text()
    assert "the plain version" in plain and "html version" not in plain
    assert "the html [1] version" in html and "https://example.org/x" in html
    assert "the plain version" not in html


def test_every_session_event_has_a_handler_on_the_app() -> None:
    """A new event is a dataclass in session/events.py plus a handler on the app, no more."""
    from typing import get_args

    from tui_mail.session.events import SessionEvent
    from tui_mail.ui.app import TuiMailApp
    from tui_mail.ui.messages import SessionMessage, handler_name, wrap_event

    kinds = get_args(SessionEvent)
    assert len(kinds) >= 8
    for kind in kinds:
        assert callable(getattr(TuiMailApp, handler_name(kind), None)), kind.__name__
    message = wrap_event(StateChanged(ConnectionState.ONLINE))
    assert isinstance(message, SessionMessage)
    assert message.handler_name == "on_session_state_changed"
    assert message.event == StateChanged(ConnectionState.ONLINE)


def test_plural_and_sizes_read_as_words() -> None:
    assert plural(1, "message") == "1 message"
    assert plural(0, "message") == "0 messages"
    assert plural(2, "copy", "copies") == "2 copies"
    assert format_size(512) == "512 B"
    assert format_size(12_800) == "12.5 KiB"
    assert format_size(11 * 1024 * 1024) == "11.0 MiB"
    assert format_size(3 * 1024**4) == "3.0 TiB"
    assert format_size(-5) == "0 B"
    assert format_size(5 * 1024**5, compact=True) == "5.0P"
