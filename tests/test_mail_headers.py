"""Header decoding: encoded-words joined before decoding, addresses, dates, the list summary."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_mail.mail import HeaderSummary, summarize_headers
from tui_mail.mail.addresses import parse_addresses
from tui_mail.mail.dates import format_date, parse_date
from tui_mail.mail.encoded_words import decode_encoded_words, decode_unstructured
from tui_mail.mail.sanitize import unsafe_characters

JST = timezone(timedelta(hours=9))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("header", "text"),
    [
        # a UTF-8 character cut between two words (the stdlib shows two U+FFFD here)
        (
            "=?UTF-8?B?"
            + b64("日本".encode()[:4])
            + "?= =?utf-8?B?"
            + b64("日本".encode()[4:])
            + "?=",
            "日本",
        ),
        # a JIS sequence cut between words, folded onto the next line
        (
            "=?ISO-2022-JP?B?"
            + b64(b'\x1b$B$"$')
            + "?=\r\n =?ISO-2022-JP?B?"
            + b64(b"$\x1b(B")
            + "?=",
            "あい",
        ),
        ("=?utf-8?q?caf=C3=A9_au_lait?=", "café au lait"),
        ("=?utf-8?b?YWJj?=  =?utf-8?b?ZGVm?=", "abcdef"),  # whitespace between words goes
        ("a =?utf-8?b?YWJj?= b", "a abc b"),  # whitespace next to plain text stays
        ("=?utf-8*en?q?lang?=", "lang"),  # RFC 2231 language suffix
        ("=?utf-8?b?YWJj?=", "abc"),
        ("=?utf-8?b?YWJjZA?=", "abcd"),  # missing padding
        ('"=?utf-8?b?5bGx55Sw?=" <a@b>', '"山田" <a@b>'),  # inside quotes (non-standard)
        ("=?utf-8?x?bad?= stays", "=?utf-8?x?bad?= stays"),
        ("=?x-unknown?q?abc?=", "abc"),
    ],
)
def test_encoded_words(header: str, text: str) -> None:
    decoded, _problems = decode_unstructured(header.encode().replace(b"\r\n", b""))
    assert decoded == text


def test_unknown_charset_in_a_word_is_reported() -> None:
    _text, problems = decode_encoded_words("=?x-unknown?b?w6k=?=")
    assert problems == ["unknown charset \u201cx-unknown\u201d; shown as UTF-8"]


def test_raw_jis_and_raw_shift_jis_headers() -> None:
    assert decode_unstructured(b'\x1b$B$"\x1b(B raw')[0] == "あ raw"
    text, problems = decode_unstructured("件名".encode("cp932"))
    assert text == "件名"
    assert problems == ["no charset declared; shown as Shift_JIS (CP932)"]


@pytest.mark.parametrize(
    ("raw", "pairs"),
    [
        (b"Taro <taro@example.jp>", [("Taro", "taro@example.jp")]),
        (
            f"=?UTF-8?B?{b64('山田'.encode())}?= <y@example.jp>, b@example.jp".encode(),
            [("山田", "y@example.jp"), ("", "b@example.jp")],
        ),
        (b'"Doe, John" <j@example.com>', [("Doe, John", "j@example.com")]),
        ("鈴木 <s@example.jp>".encode(), [("鈴木", "s@example.jp")]),
        (b"undisclosed-recipients:;", [("undisclosed-recipients:;", "")]),
        (b"not an address at all", [("not an address at all", "")]),
        (b"", []),
    ],
)
def test_parse_addresses(raw: bytes, pairs: list[tuple[str, str]]) -> None:
    assert parse_addresses(raw)[0] == pairs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 01 May 2024 10:30:00 +0900", datetime(2024, 5, 1, 10, 30, tzinfo=JST)),
        ("1 May 2024 10:30:00 JST", datetime(2024, 5, 1, 10, 30, tzinfo=JST)),
        ("Wed, 01 May 2024 10:30:00 -0000", datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        ("Wed, 01 May 2024 10:30:00 +0900 (JST)", datetime(2024, 5, 1, 10, 30, tzinfo=JST)),
        ("2024-05-01T10:30:00+09:00", datetime(2024, 5, 1, 10, 30, tzinfo=JST)),
        ("yesterday", None),
        ("", None),
        ("Wed, 99 Foo 2024 99:99:99 +9999", None),
    ],
)
def test_parse_date(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_format_date_is_locale_free_and_in_the_given_zone() -> None:
    value = datetime(2024, 5, 1, 10, 30, tzinfo=JST)
    assert format_date(value, UTC) == "Wed, 01 May 2024 01:30:00 +0000"
    assert format_date(value, timezone(timedelta(hours=-5, minutes=-30))) == (
        "Tue, 30 Apr 2024 20:00:00 -0530"
    )


TOP_OUTPUT = (
    b"Return-Path: <bounce@example.com>\r\n"
    b"Received: from mx.example.com\r\n\tby pop.example.jp; Wed, 01 May 2024 10:31:00 +0900\r\n"
    b"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\r\n"
    b"Subject: =?UTF-8?B?5Lya6K2w?=\r\n =?UTF-8?B?44Gu44GK55+l44KJ44Gb?=\r\n"
    b"Date: Wed, 01 May 2024 10:30:00 +0900\r\n"
    b"Message-ID: <abc@example.jp>\r\n"
    b"\r\n"
    b"Subject: a body line that must not count\r\n"
)


def test_summarize_headers_from_top_output() -> None:
    assert summarize_headers(TOP_OUTPUT) == HeaderSummary(
        date=datetime(2024, 5, 1, 10, 30, tzinfo=JST),
        sender="山田",
        subject="会議のお知らせ",
        from_address="yamada@example.jp",
        message_id="<abc@example.jp>",
    )


def test_summarize_headers_with_missing_and_broken_fields() -> None:
    summary = summarize_headers(b"Subject: only a subject\n\nbody\n")
    assert summary == HeaderSummary(None, "", "only a subject", "", None)
    assert summarize_headers(b"") == HeaderSummary(None, "", "", "", None)
    assert summarize_headers(b"\r\nSubject: after the blank line\r\n").subject == ""
    assert summarize_headers(b"From: a@example.com\nDate: garbage\n").date is None
    naive = summarize_headers(b"Date: Wed, 01 May 2024 10:30:00 -0000\n").date
    assert naive is not None and naive.tzinfo is not None


def test_summary_fields_are_single_line_and_sanitised() -> None:
    raw = (
        b'From: "Evil \x1b]0;x\x07" <e@example.com>\r\n'
        b"Subject: =?utf-8?q?a=0Ab=1B[2J_=E2=80=AEfdp.exe?=  [/] [ @click=app.quit]\r\n"
        b"Message-ID: <\x1b[31m@x>\r\n\r\n"
    )
    summary = summarize_headers(raw)
    assert summary.subject == "a␊b␛[2J <U+202E>fdp.exe [/] [ @click=app.quit]"
    assert summary.sender == "Evil ␛]0;x␇"
    assert summary.message_id == "<␛[31m@x>"


def test_summary_subject_is_bounded() -> None:
    summary = summarize_headers(b"Subject: " + b"x" * 100_000 + b"\r\n\r\n")
    assert len(summary.subject) == 1000 and summary.subject.endswith("\u2026")


@given(st.binary(max_size=400))
def test_summarize_headers_never_raises_and_is_clean(raw: bytes) -> None:
    summary = summarize_headers(b"Subject: " + raw + b"\r\nFrom: " + raw + b"\r\n\r\n")
    for field in (summary.subject, summary.sender, summary.from_address, summary.message_id or ""):
        assert unsafe_characters(field, single_line=True) == []


def test_full_header_lines_unfold_decode_and_defuse() -> None:
    from tui_mail.mail.headers import FULL_HEADER_FIELDS, full_header_lines

    raw = (
        b"Received: from a.example\r\n\tby b.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        b"Subject: =?UTF-8?B?5pel5pys6Kqe?= \x1b]0;owned\x07 [/]\r\n"
        b"X-Raw: caf\xc3\xa9\r\n"
        b"\r\n"
        b"Body: not a header\r\n"
    )
    lines = full_header_lines(raw)
    assert lines[0] == "Received: from a.example by b.example; Mon, 1 Jan 2024 00:00:00 +0000"
    assert lines[1].startswith("Subject: 日本語 ")
    assert "\x1b" not in lines[1] and "\x07" not in lines[1] and "[/]" in lines[1]
    assert lines[2] == "X-Raw: café"
    assert len(lines) == 3  # the body is not headers
    many = b"".join(b"X-%d: v\r\n" % n for n in range(FULL_HEADER_FIELDS + 7))
    cut = full_header_lines(many)
    assert len(cut) == FULL_HEADER_FIELDS + 1 and "7 more header fields" in cut[-1]
    assert full_header_lines(b"X-Long: " + b"y" * 50_000)[0].endswith("\u2026")
