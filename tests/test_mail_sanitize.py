"""The one sanitiser: every terminal-affecting character becomes a visible placeholder."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_mail.mail import sanitize_text
from tui_mail.mail.sanitize import FORMAT_RANGES, expand_tabs, unsafe_characters


def _covered(code: int) -> bool:
    return any(low <= code <= high for low, high in FORMAT_RANGES)


def test_format_ranges_cover_every_format_and_separator_character() -> None:
    missing = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in ("Cf", "Zl", "Zp") and not _covered(code)
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;pwned\x07", "␛]0;pwned␇"),  # OSC title
        ("\x1b]52;c;ZXZpbA==\x07", "␛]52;c;ZXZpbA==␇"),  # OSC 52 clipboard
        ("\x1b[2J\x1b[31m", "␛[2J␛[31m"),  # CSI
        ("\x9b31m", "<U+009B>31m"),  # C1 CSI
        ("a\x85b", "a<U+0085>b"),  # NEL
        ("nul\x00 del\x7f bs\x08 ff\x0c vt\x0b", "nul␀ del␡ bs␈ ff␌ vt␋"),
        ("safe\rEVIL", "safe␍EVIL"),
        ("invoice\u202efdp.exe", "invoice<U+202E>fdp.exe"),
        ("\u2066isolate\u2069 \u200e\u200f", "<U+2066>isolate<U+2069> <U+200E><U+200F>"),
        ("pay\u200bpal", "pay<U+200B>pal"),
        ("\ufeffbom", "<U+FEFF>bom"),
        ("tag\U000e0041\U000e0042", "tag<U+E0041><U+E0042>"),
        ("\u200c" * 50, "<U+200C×50>"),
        ("lone \udcff surrogate", "lone \ufffd surrogate"),
        ("line\u2028sep", "line<U+2028>sep"),
        ("\u3164filler", "<U+3164>filler"),
        ("crlf\r\nkept", "crlf\nkept"),
    ],
)
def test_placeholders(raw: str, shown: str) -> None:
    assert sanitize_text(raw) == shown


def test_single_line_mode_shows_line_breaks_and_flattens_tabs() -> None:
    assert sanitize_text("a\tb\nc\r\nd", single_line=True) == "a b␊c␍␊d"


def test_emoji_joiner_is_kept_but_a_lone_joiner_is_not() -> None:
    family = "👨\u200d👩\u200d👧"
    assert sanitize_text(family) == family
    assert sanitize_text("a\u200db") == "a<U+200D>b"
    assert sanitize_text("\u200d👩") == "<U+200D>👩"


def test_tabs_expand_to_eight_columns_counting_wide_characters() -> None:
    assert expand_tabs("a\tb") == "a       b"
    assert expand_tabs("日本\tx") == "日本    x"
    assert expand_tabs("12345678\tx\n\ty") == "12345678        x\n        y"
    assert sanitize_text("col\tcol") == "col     col"


def test_ordinary_text_is_unchanged() -> None:
    text = "Grüße, 日本語の本文、한국어, עברית, العربية, emoji 😀 — “quotes”\nsecond line"
    assert sanitize_text(text) == text


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF)))
def test_no_unsafe_character_survives(text: str) -> None:
    result = sanitize_text(text)
    assert [c for c in unsafe_characters(result) if c != "\t"] == []
    assert "\t" not in result
    result.encode("utf-8")  # no lone surrogate left
    assert unsafe_characters(sanitize_text(text, single_line=True), single_line=True) == []


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF)))
def test_sanitising_is_idempotent(text: str) -> None:
    once = sanitize_text(text)
    assert sanitize_text(once) == once
    one_line = sanitize_text(text, single_line=True)
    assert sanitize_text(one_line, single_line=True) == one_line
