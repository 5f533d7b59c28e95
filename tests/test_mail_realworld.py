"""Unit tests for the real-world rendering fixes of issue 12, one group per layer.

The corpus (tests/corpus/corpus_realworld.py) holds a whole message for each case; these
tests pin the rules themselves, in both directions where a rule decides between readings.
"""

from __future__ import annotations

import base64
import mmap
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_mail.mail import Limits, render_attachment, render_message, save_attachment
from tui_mail.mail.addresses import parse_addresses
from tui_mail.mail.attachments import shows_as_text
from tui_mail.mail.charsets import decode_bytes, guess_japanese, latin1_word_score, mostly_utf8
from tui_mail.mail.headers import summarize_headers
from tui_mail.mail.html import LinkRegistry, _tokens_to_text, html_to_text, link_target
from tui_mail.mail.sanitize import sanitize_text, unsafe_characters
from tui_mail.mail.source import normalize_line_ends, open_source
from tui_mail.mail.transfer import fails_base64_sanity

HEAD = b"From: a@example.com\r\nSubject: s\r\nDate: Wed, 01 May 2024 10:30:00 +0000\r\n"

# -- 1. broken UTF-8 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("日本語".encode()[:-1], "日本\ufffd"),  # the last character cut off
        ("Картинка".encode()[:7] + b"\xff" + "Картинка".encode()[8:], "Кар\ufffd\ufffdинка"),
        ("Grüße aus Köln".encode().replace(b"\xc3\xb6", b"\xc3"), "Grüße aus K\ufffdln"),
    ],
)
def test_utf8_with_a_few_bad_bytes_stays_utf8(data: bytes, text: str) -> None:
    assert mostly_utf8(data)
    for label in (None, "us-ascii", "iso-8859-1", "utf-8"):
        decoded = decode_bytes(data, label)
        assert (decoded.text, decoded.charset) == (text, "utf-8"), label
        assert decoded.problem is not None and "\ufffd" in decoded.problem


@pytest.mark.parametrize(
    "data",
    [
        b"caf\xe9",  # Latin-1: no valid UTF-8 pair at all
        b"\xc2\xa3 5 and caf\xe9 cr\xe8me",  # one accidental pair, two invalid bytes
        "お知らせ".encode("cp932"),
        "お知らせ".encode("euc_jp"),
        b"",
        b"plain ascii",
        "valid UTF-8 ✓".encode(),  # valid text is not "mostly" valid: it is valid
    ],
)
def test_text_that_is_not_broken_utf8(data: bytes) -> None:
    assert not mostly_utf8(data)


# -- 2. Latin-1 or Japanese: the scored rule ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "PROGRAMAÇÃO",
        "Emagreça",
        "São Paulo",
        "Clínica São Paulo",
        "Grüße aus München",
        "Æble og øl på café",
        "Où est la gare? À gauche.",
        "Informações válidas até sábado",
    ],
)
def test_unlabelled_latin1_is_not_read_as_japanese(text: str) -> None:
    data = text.encode("latin-1")
    assert guess_japanese(data) is None
    decoded = decode_bytes(data, None)
    assert (decoded.text, decoded.charset) == (text, "cp1252")
    mislabelled = decode_bytes(data, "utf-8")
    assert (mislabelled.text, mislabelled.charset) == (text, "cp1252")
    assert mislabelled.problem == "labelled utf-8 but the text is windows-1252"


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("テスト", "cp932"),  # katakana: Shift_JIS trail bytes are ASCII letters here
        ("Re: テスト", "cp932"),
        ("会議", "euc_jp"),  # kanji only, no kana
        ("ID番号: A-123", "euc_jp"),
        ("【重要】パスワード変更", "cp932"),
        ("お疲れ様です。明日の会議は10時からです。", "cp932"),
        ("お疲れ様です。明日の会議は10時からです。", "euc_jp"),
        ("ｶﾀｶﾅとひらがな", "cp932"),
        ("abcの資料xyz", "cp932"),
    ],
)
def test_unlabelled_japanese_is_still_detected(text: str, codec: str) -> None:
    data = text.encode(codec)
    guess = guess_japanese(data)
    assert guess is not None and guess[1] == text
    assert decode_bytes(data, None).text == text


def test_the_latin1_evidence_counts_accents_inside_words_only() -> None:
    assert latin1_word_score(b"S\xe3o Paulo") == 3
    assert latin1_word_score(b"PROGRAMA\xc7\xc3O") == 3  # one run of two accents
    assert latin1_word_score(b"caf\xe9 cr\xe8me") == 6
    assert latin1_word_score(b" \xe0 ") == 0  # not inside a word
    assert latin1_word_score("日本語のテキスト".encode("euc_jp")) == 0
    assert latin1_word_score("テスト".encode("cp932")) == 0  # 0x83 is no Latin-1 letter


_ACCENTED = "áàâãçéêíóôõúüñöäßøåæèëï"


@st.composite
def _latin_words(draw: st.DrawFn) -> str:
    words = []
    for _ in range(draw(st.integers(1, 6))):
        letters = draw(st.text("abcdefghijklmnoprstuvz", min_size=1, max_size=8))
        accents = draw(st.text(_ACCENTED, min_size=1, max_size=2))
        at = draw(st.integers(0, len(letters)))
        words.append(letters[:at] + accents + letters[at:])
    return " ".join(words)


@given(_latin_words())
def test_latin1_words_never_become_japanese(text: str) -> None:
    assert guess_japanese(text.encode("latin-1")) is None


# -- 3. CR-only line ends ------------------------------------------------------------------------


def test_cr_only_messages_are_normalised_and_others_are_left_alone(tmp_path: Path) -> None:
    crlf = HEAD + b"\r\nline\r\nline\r\n"
    assert normalize_line_ends(crlf) is crlf
    lf = crlf.replace(b"\r\n", b"\n")
    assert normalize_line_ends(lf) is lf
    stray = HEAD + b"\r\nsafe\rEVIL\r\n"  # one stray CR: the sanitiser shows it as ␍
    assert normalize_line_ends(stray) is stray
    assert render_message(stray, tz=UTC).body == "safe␍EVIL"
    buggy = HEAD.replace(b"\r\n", b"\r\r\n") + b"\r\r\nbody\r\r\n"  # CRCRLF writers
    assert normalize_line_ends(buggy) is buggy
    mac = crlf.replace(b"\r\n", b"\r")
    assert normalize_line_ends(mac) == lf
    path = tmp_path / "mac.eml"
    path.write_bytes(mac)
    with path.open("rb") as stream, open_source(stream) as buf:
        assert not isinstance(buf, mmap.mmap) and buf == lf
    with path.open("rb") as stream:
        assert render_message(stream, tz=UTC).body == "line\nline"


def test_cr_only_header_blocks_in_the_message_list() -> None:
    summary = summarize_headers(b"From: Mac <mac@example.com>\rSubject: Old\rDate: x\r\r")
    assert (summary.sender, summary.subject) == ("Mac", "Old")


# -- 4. HTML nested past the parser's limit ------------------------------------------------------


def test_html_nested_past_the_depth_limit_shows_all_text_and_says_so() -> None:
    depth = 3000
    html = "<p>top</p>" + "<div>" * depth + "deep" + "</div>" * depth + "<p>after</p>"
    problems: list[str] = []
    assert html_to_text(html, LinkRegistry(), problems) == "top\n\ndeep\n\nafter"
    assert problems == [
        "HTML nested too deeply for the HTML parser; read tag by tag instead "
        "(all the text is shown, the layout may differ)"
    ]
    moderate = "<div>" * 300 + "deep" + "</div>" * 300 + "<p>after</p>"
    problems.clear()
    assert html_to_text(moderate, LinkRegistry(), problems) == "deep\n\nafter"
    assert problems == []  # huge_tree: libxml2 builds the whole tree up to 2,048 levels


@pytest.mark.parametrize(
    "html",
    [
        "<ul><li>one<li>two</ul><ol start=3><li>three</ol>",
        "<blockquote><p>quoted</p><p>again</p></blockquote><p>after</p>",
        "<p>a <a href='https://x.example/1'>link</a> and <img alt='logo' src='x'></p>",
        "<div style='display:none'>hidden<div>nested hidden</div></div><p>shown</p>",
        "<table><tr><td>a</td><td>b</td></tr></table><pre>  kept\n  lines</pre>",
        "<head><title>t</title><style>p{}</style></head><body>text &amp; more</body>",
    ],
)
def test_the_tag_by_tag_reading_matches_the_tree_reading(html: str) -> None:
    tree_links, token_links = LinkRegistry(), LinkRegistry()
    assert _tokens_to_text(html, token_links) == html_to_text(html, tree_links)
    assert token_links.urls == tree_links.urls


def test_quotes_nested_thousands_deep_do_not_grow_every_line() -> None:
    html = "<blockquote>" * 20_000 + "line<br>" * 1000
    text = html_to_text(html, LinkRegistry(), [])
    assert text.split("\n") == ["> " * 16 + "line"] * 1000


def test_the_tag_by_tag_reading_stays_linear_on_unmatched_end_tags() -> None:
    html = "<div>" * 200_000 + "x" + "</span>" * 200_000
    assert _tokens_to_text(html, LinkRegistry()) == "x"


@pytest.mark.parametrize("tail", ["<a x", '<a "x', "<!x", "<!--x"])
def test_the_tag_by_tag_reading_stays_linear_on_unclosed_tags(tail: str) -> None:
    # Each unclosed tag would otherwise be rescanned to the end of the input: minutes.
    html = "<div>" * 3000 + "ok " + tail * 200_000
    assert _tokens_to_text(html, LinkRegistry()) == "ok"


# -- 5. addresses without commas -----------------------------------------------------------------


def test_space_separated_addresses_are_all_kept() -> None:
    assert parse_addresses(b"tim@x.com concierge@x.com") == (
        [("", "tim@x.com"), ("", "concierge@x.com")],
        [],
    )
    assert parse_addresses(b"Tim <tim@x.com>") == ([("Tim", "tim@x.com")], [])
    summary = summarize_headers(b"From: tim@x.com concierge@x.com\r\n\r\n")
    assert (summary.sender, summary.from_address) == ("tim@x.com", "tim@x.com")


# -- 6. base64 that is not base64 ----------------------------------------------------------------


def test_base64_sanity() -> None:
    text = b"Hello Anna,\r\n\r\nsee you at 10:00.\r\nBob\r\n"
    assert fails_base64_sanity(text, 0, len(text))
    real = b"SGVsbG8gQW5uYSwKCnNlZSB5b3UgYXQgMTA6MDAu\r\nQm9i\r\n"
    assert not fails_base64_sanity(real, 0, len(real))
    footer = real * 20 + b"-- \r\nList footer: http://lists.example.org/\r\n"
    assert not fails_base64_sanity(footer, 0, len(footer))
    raw = HEAD + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + text
    rendered = render_message(raw, tz=UTC)
    assert rendered.body == "Hello Anna,\n\nsee you at 10:00.\nBob"
    assert rendered.defects == ("marked base64 but is not base64; shown as it is",)


# -- 7. joiners and marks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "می\u200cخواهم",  # Persian ZWNJ
        "(۱۴۰۳)\u200f تهران",  # RLM on a Persian line
        "שלום\u200e (IBM)",  # LRM on a Hebrew line
        "العدد \u061c-5",  # ARABIC LETTER MARK
        "क्\u200dष",  # Devanagari ZWJ
        "👩\u200d💻 🏳\ufe0f\u200d🌈",  # emoji ZWJ sequences
        "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland
    ],
)
def test_legitimate_joiners_and_marks_are_untouched(text: str) -> None:
    assert sanitize_text(text) == text
    assert sanitize_text(text, single_line=True) == text
    assert unsafe_characters(text) == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Pay\u200cPal", "Pay<U+200C>Pal"),  # between Latin letters: disguise only
        ("Pay\u200dPal", "Pay<U+200D>Pal"),
        ("total\u200f 100", "total<U+200F> 100"),  # a mark on a line without RTL letters
        ("شركة\u202eexe.pdf", "شركة<U+202E>exe.pdf"),  # overrides: replaced even in RTL
        ("\u2067عربي\u2069", "<U+2067>عربي<U+2069>"),  # isolates too
        ("می\u200c\u200cخواهم", "می<U+200C×2>خواهم"),  # a run is no joiner
        ("\u200cمی", "<U+200C>می"),  # nothing to join on the left
        ("tag\U000e0067\U000e0062\U000e007f", "tag<U+E0067><U+E0062><U+E007F>"),  # no flag
    ],
)
def test_spoofing_characters_stay_replaced(text: str, shown: str) -> None:
    assert sanitize_text(text) == shown


def test_many_marks_on_one_long_line_are_judged_in_one_pass() -> None:
    text = "a\u200f" * 200_000  # each mark would rescan the line: quadratic, minutes
    assert sanitize_text(text) == "a<U+200F>" * 200_000
    rtl = "\u05d0\u200f" * 200_000
    assert sanitize_text(rtl) == rtl


def test_marks_are_judged_by_their_own_line() -> None:
    assert sanitize_text("שלום\nplain\u200f") == "שלום\nplain<U+200F>"
    assert sanitize_text("שלום\u200f\nplain") == "שלום\u200f\nplain"


# -- 8. thousands of attachments -----------------------------------------------------------------


def _many(count: int) -> bytes:
    parts = b"".join(
        b'--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="f%d.pdf"'
        b"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0%d\r\n" % (number, number % 10)
        for number in range(1, count + 1)
    )
    return HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n' + parts + b"--B--\r\n"


def test_five_thousand_attachments_are_all_listed_and_saveable(tmp_path: Path) -> None:
    raw = _many(5000)
    rendered = render_message(raw, tz=UTC)
    assert [a.filename for a in rendered.attachments] == [f"f{n}.pdf" for n in range(1, 5001)]
    assert all(a.note == "" for a in rendered.attachments)
    for number in (1, 499, 500, 501, 5000):
        saved = save_attachment(raw, number, tmp_path)
        assert saved.name == f"f{number}.pdf"
        assert saved.read_bytes() == base64.b64decode(b"JVBERi0%d" % (number % 10))


def test_the_listing_itself_is_bounded() -> None:
    rendered = render_message(_many(120), tz=UTC, limits=Limits(max_parts=10, max_listed_parts=50))
    assert len(rendered.attachments) == 9 + 50
    assert rendered.defects == (
        "more than 10 MIME parts; the other 111 here are not shown "
        "(50 listed as attachments, 61 not even listed)",
    )


# -- 9. link URLs wrapped inside attributes ------------------------------------------------------


@pytest.mark.parametrize(
    ("href", "url"),
    [
        ("https://example.com/a/\r\n    b?c=1&\r\nd=2", "https://example.com/a/b?c=1&d=2"),
        ("\n  mailto:x@example.com\n", "mailto:x@example.com"),
        ("https://example.com/\tx", "https://example.com/x"),
        ("https://example.com/plain", "https://example.com/plain"),
    ],
)
def test_link_targets_are_joined(href: str, url: str) -> None:
    assert link_target(href) == url


def test_a_wrapped_javascript_url_is_still_no_link() -> None:
    links = LinkRegistry()
    assert html_to_text("<a href='java\nscript:alert(1)'>x</a>", links) == "x"
    assert links.urls == []


# -- 10. text attachments on demand, and text over the display limit -----------------------------


def _with_attachments(*parts: bytes) -> bytes:
    body = b"".join(b"--B\r\n" + part + b"\r\n" for part in parts) + b"--B--\r\n"
    return HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n' + body


def test_render_attachment_shows_text_attachments_and_refuses_the_rest() -> None:
    raw = _with_attachments(
        b"Content-Type: text/plain\r\n\r\nbody",
        b"Content-Type: text/html; name=page.html\r\nContent-Disposition: attachment\r\n\r\n"
        b"<p>Hello <a href='https://example.com/'>site</a></p>",
        b"Content-Type: image/png; name=x.png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"iVBORw0KGgo=",
        b"Content-Type: application/octet-stream; name=notes.txt\r\n\r\nplain notes",
    )
    rendered = render_message(raw, tz=UTC)
    assert [shows_as_text(a.content_type, a.filename) for a in rendered.attachments] == [
        True,
        False,
        True,
    ]
    page = render_attachment(raw, 1, tz=UTC)
    assert page.body == "----- attachment #1  page.html  (text/html, 52 B) -----\n\nHello site [1]"
    assert [link.url for link in page.links] == ["https://example.com/"]
    assert render_attachment(raw, 2, tz=UTC).body.endswith(
        "[not text: save it with s to open it in another program]"
    )
    assert render_attachment(raw, 3, tz=UTC).body.endswith("plain notes")
    with pytest.raises(IndexError):
        render_attachment(raw, 4, tz=UTC)


def test_a_huge_text_attachment_is_shown_within_the_limit() -> None:
    raw = _with_attachments(
        b"Content-Type: text/plain\r\n\r\nbody",
        b"Content-Type: text/plain; name=big.txt\r\nContent-Disposition: attachment\r\n\r\n"
        + b"0123456789\n" * 300_000,
    )
    body = render_attachment(raw, 1, tz=UTC).body
    text, note = body.rsplit("\n\n", 1)
    assert len(text) <= (2 << 20) + 100
    assert text.endswith("0123456789")
    assert note == (
        "[part 2 (text/plain, 3.1 MiB) is larger than the 2.0 MiB display limit: the first "
        "2.0 MiB are shown above]"
    )
