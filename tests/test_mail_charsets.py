"""Charsets: aliases, CP50220-style ISO-2022-JP, lenient EUC-JP, label repair, never raising."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_mail.mail.charsets import decode_bytes, resolve_charset
from tui_mail.mail.japanese import (
    _decode_with_tables,
    _jis0208_table,
    decode_euc_jp,
    decode_iso2022jp,
    jis_to_sjis,
)


def _cp932_double_byte_characters() -> dict[bytes, str]:
    found = {}
    for lead in list(range(0x81, 0xA0)) + list(range(0xE0, 0xF0)):
        for trail in range(0x40, 0xFD):
            code = bytes((lead, trail))
            try:
                found[code] = code.decode("cp932")
            except UnicodeDecodeError:
                continue
    return found


def test_jis_to_sjis_inverts_the_shift_jis_layout() -> None:
    table = _jis0208_table()
    checked = 0
    for sjis, char in _cp932_double_byte_characters().items():
        lead, trail = sjis
        # The textbook inverse, written independently of jis_to_sjis.
        first = ((lead - 0x40 if lead >= 0xE0 else lead) - 0x81) * 2 + 0x21
        if trail >= 0x9F:
            code = bytes((first + 1, trail - 0x7E))
        else:
            code = bytes((first, trail - (0x20 if trail >= 0x80 else 0x1F)))
        assert jis_to_sjis(code[0], code[1]) == sjis
        assert table[code] == char
        checked += 1
    assert checked > 7000


def test_fast_path_and_table_decoder_agree_on_every_jis_x_0208_code() -> None:
    codes = b"".join(code for code in _jis0208_table())
    data = b"\x1b$B" + codes + b"\x1b(B ascii \x1b(J\\~\x1b(B"
    fast = decode_iso2022jp(data)
    assert fast == _decode_with_tables(data)
    assert "\ufffd" not in fast


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\x1b$B-!-j\x1b(B", "①㈱"),  # NEC row 13: every iso2022_jp* codec rejects these
        (b"\x1b$B-W\x1b(B", "Ⅻ"),  # CP932 hole, JIS X 0213 plane 1
        (b"\x1b$By!\x1b(B", "纊"),  # NEC-selected IBM extension
        (b"\x1b$B!A!]\x1b(B", "～－"),  # CP932's choices for 0x2141 / 0x215D
        (b"\x1b(I6@6E\x1b(B", "ｶﾀｶﾅ"),  # JIS X 0201 katakana
        (b"\x0e6@\x0fA", "ｶﾀA"),  # SO/SI katakana (CP50222)
        (b"\x1b(J\\~\x1b(B\\", "¥‾\\"),  # JIS X 0201 Roman
        (b'\x1b$B$"\n$$\x1b(B', "あ\nい"),  # a line break inside a JIS run
        (b"\x1b$B$\x1b(B", "\ufffd"),  # half a character
        (b"\x1b$(D0!\x1b(B", b"\x8f\xb0\xa1".decode("euc_jp")),  # JIS X 0212
    ],
)
def test_iso2022jp_decoding(data: bytes, text: str) -> None:
    assert decode_iso2022jp(data) == text


def test_euc_jp_with_nec_and_ibm_rows() -> None:
    assert decode_euc_jp("日本語".encode("euc_jp")) == "日本語"
    assert decode_euc_jp(b"\xad\xa1\xad\xea") == "①㈱"
    assert decode_euc_jp(b"\xf9\xa1") == "纊"
    assert decode_euc_jp(b"\x8e\xb6ok\xff") == "ｶok\ufffd"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("Shift_JIS", "cp932"),
        ("MS932", "cp932"),
        ("Windows-31J", "cp932"),
        ("x-sjis", "cp932"),
        ("ISO-2022-JP", "iso2022_jp"),
        ("iso-2022-jp-2004", "iso2022_jp"),
        ("CP50220", "iso2022_jp"),
        ("EUC-JP", "euc_jp"),
        ("x-euc-jp", "euc_jp"),
        ("us-ascii", "ascii"),
        ("iso-8859-1", "cp1252"),
        ('"UTF-8"', "utf-8"),
        ("utf-8*ja", "utf-8"),
        ("ks_c_5601-1987", "cp949"),
        ("gb2312", "gb18030"),
        ("koi8-r", "koi8-r"),
        ("base64", None),
        ("rot13", None),
        ("unicode_escape", None),
        ("zlib", None),
        ("x-unknown", None),
        ("", None),
        (None, None),
    ],
)
def test_resolve_charset(label: str | None, codec: str | None) -> None:
    assert resolve_charset(label) == codec


@pytest.mark.parametrize(
    ("data", "label", "text", "problem"),
    [
        ("ＭＳ９３２①～".encode("cp932"), "MS932", "ＭＳ９３２①～", None),
        ("テスト".encode(), "iso-2022-jp", "テスト", "labelled iso-2022-jp but the text is UTF-8"),
        (
            "テストです".encode("cp932"),
            "ISO-2022-JP",
            "テストです",
            "labelled ISO-2022-JP but the text is Shift_JIS (CP932)",
        ),
        (
            "テストです".encode("euc_jp"),
            "Shift_JIS",
            "テストです",
            "labelled Shift_JIS but the text is EUC-JP",
        ),
        (
            "テストです".encode("cp932"),
            "utf-8",
            "テストです",
            "labelled utf-8 but the text is Shift_JIS (CP932)",
        ),
        (
            "ひらがなのテキスト".encode("euc_jp"),
            None,
            "ひらがなのテキスト",
            "no charset declared; shown as EUC-JP",
        ),
        (b'\x1b$B$"\x1b(B', "us-ascii", "あ", "labelled us-ascii but uses ISO-2022-JP escapes"),
        (b'\x1b$B$"\x1b(B', None, "あ", None),
        ("é".encode(), "us-ascii", "é", "labelled us-ascii but the text is UTF-8"),
        (
            b"caf\xe9",
            "us-ascii",
            "café",
            "labelled us-ascii but has 8-bit bytes; shown as windows-1252",
        ),
        (
            b"\xff\xfe",
            "utf-8",
            "\ufffd\ufffd",
            "2 byte sequence(s) not valid UTF-8, shown as \ufffd",
        ),
        (
            b"plain",
            "x-nothing",
            "plain",
            "unknown charset \u201cx-nothing\u201d; text is plain ASCII",
        ),
        (b"\x80", "koi8-r", "\u2500", None),
    ],
)
def test_decode_bytes_trusts_the_bytes_over_the_label(
    data: bytes, label: str | None, text: str, problem: str | None
) -> None:
    decoded = decode_bytes(data, label)
    assert (decoded.text, decoded.problem) == (text, problem)


LABELS = st.sampled_from(
    [
        None,
        "",
        "utf-8",
        "iso-2022-jp",
        "shift_jis",
        "euc-jp",
        "us-ascii",
        "iso-8859-1",
        "utf-16",
        "utf-7",
        "x-bogus",
        "gb2312",
        "big5",
        "iso-2022-kr",
        "hz",
        "\x1b",
        "utf-8*",
        "cp50220",
    ]
)


@given(st.binary(max_size=200), LABELS)
def test_decode_bytes_never_raises(data: bytes, label: str | None) -> None:
    decoded = decode_bytes(data, label)
    assert isinstance(decoded.text, str)


@given(st.binary(max_size=200).map(lambda raw: b"\x1b$B" + raw))
def test_iso2022jp_decoder_never_raises(data: bytes) -> None:
    assert isinstance(decode_iso2022jp(data), str)
    assert isinstance(decode_euc_jp(data), str)
