"""One bad message stays one bad message: store -> list row -> preview never raise for mail.

Each case here stopped the whole reader before (issue 10): a Date offset of 24 h or more, a
year-9999 or year-1 date formatted east or west of UTC, 500 nested ``(`` in From (the stdlib
address parser's RecursionError), a 12 MB folded header growing the header cache.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tui_mail.mail.dates import parse_date
from tui_mail.mail.degraded import render_message_safely, summarize_headers_safely
from tui_mail.store import Store
from tui_mail.store.headers import MAX_HEADER_BLOCK
from tui_mail.store.models import MessageSummary
from tui_mail.ui.columns import PROBLEM_MARK, column_layout
from tui_mail.ui.rendering import MailRenderer
from tui_mail.ui.widgets.message_list import _row_cells

ZONES = ["Asia/Tokyo", "America/Los_Angeles", "UTC"]

NORMAL = b"From: Alice <alice@example.org>\r\nSubject: hello\r\nDate: Wed, 01 May 2024 10:00:00 +0000\r\n\r\n"
BAD_HEADERS = {
    "offset-3000": b"From: a@example.org\r\nSubject: tz\r\nDate: Fri, 31 Dec 2010 12:00:00 -3000\r\n\r\n",
    "year-9999": b"From: b@example.org\r\nSubject: far\r\nDate: Fri, 31 Dec 9999 23:00:00 +0000\r\n\r\n",
    "year-1": b"From: c@example.org\r\nSubject: old\r\nDate: Mon, 01 Jan 0001 00:00:00 +0000\r\n\r\n",
    "nested-from": b"From: " + b"(" * 500 + b"x@example.org\r\nSubject: nest\r\n\r\n",
}


@pytest.fixture(params=ZONES)
def local_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test as a user in that zone (the list and preview use the local zone)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def store_with(tmp_path: Path, blocks: dict[str, bytes]) -> Store:
    store = Store.open("h", 995, "u", data_dir=tmp_path)
    listing = {uid: (number, 1000) for number, uid in enumerate(blocks, 1)}
    store.reconcile(listing)
    store.add_headers(blocks.items())
    return store


def draw(row: MessageSummary) -> tuple[str, ...]:
    return _row_cells(row, column_layout(80), datetime.now().astimezone())


def test_a_date_offset_of_a_day_or_more_is_read_as_utc() -> None:
    parsed = parse_date("Fri, 31 Dec 2010 23:00:00 -3000")
    assert parsed is not None
    assert parsed.isoformat() == "2010-12-31T23:00:00+00:00"


EXPECTED_CELLS = {  # column -> text of the bad row, in every zone
    "offset-3000": (2, "2010-12-31"),
    "year-9999": (2, "9999-12-31"),
    "year-1": (2, "0001-01-01"),
    "nested-from": (4, "nest"),
}


@pytest.mark.parametrize("name", sorted(BAD_HEADERS))
def test_a_bad_message_is_listed_beside_a_normal_one_in_every_zone(
    tmp_path: Path, local_zone: str, name: str
) -> None:
    with store_with(tmp_path, {"normal": NORMAL, name: BAD_HEADERS[name]}) as store:
        rows = {row.uid: row for row in store.summaries()}
    assert set(rows) == {"normal", name}
    assert draw(rows["normal"])[3].strip() == "Alice"
    column, text = EXPECTED_CELLS[name]
    assert draw(rows[name])[column].strip() == text


def test_cached_dates_that_cannot_be_converted_never_crash_a_later_start(
    tmp_path: Path, local_zone: str
) -> None:
    store_with(tmp_path, BAD_HEADERS).close()
    with Store.open("h", 995, "u", data_dir=tmp_path) as store:  # the next start, any zone
        for row in store.summaries():
            draw(row)


def test_a_from_that_defeats_the_address_parser_degrades_that_row_only(tmp_path: Path) -> None:
    summary, problem = summarize_headers_safely(BAD_HEADERS["nested-from"])
    assert summary.subject == "nest"
    assert summary.sender.startswith("((((") and summary.sender.endswith("…")
    assert problem == "From: nested too deeply to parse (RecursionError); shown as written"
    with store_with(tmp_path, {"ok": NORMAL, "bad": BAD_HEADERS["nested-from"]}) as store:
        rows = {row.uid: row for row in store.summaries()}
    assert rows["ok"].problem == ""
    assert rows["bad"].problem.startswith("From: nested too deeply")
    assert draw(rows["bad"])[1] == PROBLEM_MARK
    assert draw(rows["ok"])[1] == " "


def test_a_huge_folded_header_is_kept_only_up_to_the_bound(tmp_path: Path) -> None:
    folded = b"X-Junk: start\r\n" + b"\tfold fold fold fold fold fold fold\r\n" * 350_000  # 12 MB
    block = b"Subject: big\r\n" + folded + b"\r\n"
    assert len(block) > 12_000_000
    with store_with(tmp_path, {"big": block}) as store:
        kept = store.raw_headers("big")
        row = store.summaries()[0]
    assert kept is not None and len(kept) <= MAX_HEADER_BLOCK
    assert row.subject == "big"
    assert row.problem == "header block longer than 256 KiB; the rest is dropped"


def test_the_preview_of_an_unparsable_message_says_why_and_shows_the_source(
    tmp_path: Path, local_zone: str
) -> None:
    message = tmp_path / "m.eml"
    message.write_bytes(BAD_HEADERS["nested-from"] + b"the body \x1b]0;title\x07\r\n")
    text = MailRenderer().render(message).as_text()
    assert "[This message could not be shown normally (nested too deeply to parse" in text
    assert "Subject: nest" in text
    assert "the body ␛]0;title␇" in text
    assert "\x1b" not in text


@pytest.mark.parametrize("name", sorted(BAD_HEADERS))
def test_render_command_prints_every_bad_message_without_a_traceback(
    tmp_path: Path, name: str
) -> None:
    message = tmp_path / "m.eml"
    message.write_bytes(BAD_HEADERS[name] + b"body\r\n")
    for zone in ("Asia/Tokyo", "America/Los_Angeles"):
        done = subprocess.run(
            [sys.executable, "-m", "tui_mail", "render", str(message)],
            capture_output=True,
            env={"TZ": zone, "PATH": "/usr/bin:/bin"},
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert b"Traceback" not in done.stderr
        assert b"body" in done.stdout


def test_render_safely_degrades_any_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import tui_mail.mail.render as render

    def explode(*args: object, **kwargs: object) -> object:
        raise KeyError("boom")

    monkeypatch.setattr(render, "render_message", explode)
    rendered = render_message_safely(NORMAL + b"text\r\n")
    assert rendered.from_ == "Alice <alice@example.org>"
    assert (
        rendered.defects[0]
        == "could not show this message normally: could not be decoded (KeyError)"
    )
    assert "text" in rendered.body
