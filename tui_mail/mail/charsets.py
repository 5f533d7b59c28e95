"""Bytes to text for any declared charset, repairing the labels mail gets wrong.

Order of trust: the bytes first, the label second. Valid UTF-8 with multi-byte sequences is
UTF-8 whatever the label says (Shift_JIS or EUC-JP text with any kana is never valid UTF-8,
nor is real Latin-1 text with accents). Text that is UTF-8 except for a few bytes (a cut-off
last character, one corrupted byte) is UTF-8 with those bytes shown as U+FFFD, not a
windows-1252 reading of the whole: see :func:`mostly_utf8`. Japanese and missing/unknown/
US-ASCII labels are checked against CP932, EUC-JP and raw JIS escapes, and a Japanese reading
must outscore the Latin-1 one (see :func:`guess_japanese`). Nothing here raises: an unknown
charset falls back to a guess and the choice is reported as a human-readable ``problem``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from tui_mail.mail.japanese import (
    count_kana,
    decode_euc_jp,
    decode_iso2022jp,
    japanese_score,
    looks_like_iso2022jp,
)

ISO2022JP = "iso2022_jp"
CP932 = "cp932"
EUC_JP = "euc_jp"
UTF8 = "utf-8"
ASCII = "ascii"
WESTERN = "cp1252"

_ALIASES: dict[str, str] = {}
for _codec, _labels in {
    CP932: "shift_jis shift-jis sjis x-sjis s-jis shiftjis ms_kanji csshiftjis ms932 ms-932 "
    "windows-31j cswindows31j cp932 x-ms-cp932 ibm-943 ibm943 x-mac-japanese",
    ISO2022JP: "iso-2022-jp iso2022jp iso_2022_jp csiso2022jp jis iso-2022-jp-1 iso-2022-jp-2 "
    "csiso2022jp2 iso-2022-jp-3 iso-2022-jp-2004 iso-2022-jp-ms cp50220 cp50221 cp50222 "
    "x-iso-2022-jp",
    EUC_JP: "euc-jp eucjp euc_jp x-euc-jp x-eucjp cseucpkdfmtjapanese eucjp-ms eucjp-open "
    "eucjp-win cp51932 ujis",
    ASCII: "us-ascii ascii ansi_x3.4-1968 iso646-us us cp367 csascii 646 iso-ir-6",
    WESTERN: "iso-8859-1 iso8859-1 iso_8859-1 latin1 latin-1 l1 cp819 ibm819 windows-1252 "
    "cp1252 x-cp1252",
    UTF8: "utf-8 utf8 unicode-1-1-utf-8 x-unicode20utf8",
    "cp949": "ks_c_5601-1987 ks_c_5601 ksc5601 euc-kr euckr cseuckr korean windows-949",
    "gb18030": "gb2312 gb_2312-80 csgb2312 gbk x-gbk cp936 euc-cn chinese gb18030",
    "big5hkscs": "big5 big-5 x-x-big5 cn-big5 csbig5 big5-hkscs",
    "cp1254": "iso-8859-9 iso8859-9 latin5 windows-1254",
    "cp874": "tis-620 iso-8859-11 windows-874",
    "iso8859_8": "iso-8859-8-i iso-8859-8-e",
}.items():
    for _label in _labels.split():
        _ALIASES[_label] = _codec

# Codecs that are not mail charsets: they would turn text into something else entirely.
_REFUSED = {
    "unicode_escape",
    "raw_unicode_escape",
    "undefined",
    "idna",
    "punycode",
    "mbcs",
    "oem",
    "charmap",
}
_JAPANESE = {ISO2022JP, CP932, EUC_JP}
_DISPLAY = {
    ISO2022JP: "ISO-2022-JP",
    CP932: "Shift_JIS (CP932)",
    EUC_JP: "EUC-JP",
    UTF8: "UTF-8",
    ASCII: "US-ASCII",
    WESTERN: "windows-1252",
}
_WIDE_UNICODE = {
    codecs.lookup(name).name
    for name in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "utf-7")
}
_EIGHT_BIT = re.compile(rb"[\x80-\xff]")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
_HIGH_BYTES = bytes(range(0x80, 0x100))
# A run of one or two 8-bit bytes between non-8-bit ones: how Latin-1 accents sit in words.
_SHORT_HIGH_RUN = re.compile(rb"(?<![\x80-\xff])[\x80-\xff]{1,2}(?![\x80-\xff])")
_LATIN1_LETTER = re.compile(rb"[\xc0-\xd6\xd8-\xf6\xf8-\xff]{1,2}")
_ASCII_LETTER = re.compile(rb"[A-Za-z]")
# One hiragana scores 3 in japanese_score; one accented letter inside a Latin word counts
# the same, so a lone double-byte "character" never outweighs a word like "S\xe3o".
LATIN1_WORD_WEIGHT = 3


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded text, the codec actually used, and a note when the label was not trusted."""

    text: str
    charset: str
    problem: str | None = None


def display_name(codec: str) -> str:
    """The name a user knows a codec by."""
    return _DISPLAY.get(codec, codec.replace("_", "-"))


def resolve_charset(label: str | None) -> str | None:
    """Codec name for a MIME charset label, or None when missing, unknown or refused."""
    if not label:
        return None
    name = label.strip().strip("\"'").strip().lower()
    if "*" in name:  # RFC 2231 language suffix: "utf-8*ja"
        name = name.split("*", 1)[0]
    if not name:
        return None
    if name in _ALIASES:
        return _ALIASES[name]
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if info.name.replace("-", "_") in _REFUSED or not getattr(info, "_is_text_encoding", True):
        return None
    if info.name.startswith("iso2022_jp"):
        return ISO2022JP
    return info.name


def is_valid_utf8(data: bytes) -> bool:
    try:
        data.decode(UTF8)
    except UnicodeDecodeError:
        return False
    return True


def _strict(data: bytes, codec: str) -> str | None:
    if codec == EUC_JP:
        text = decode_euc_jp(data)
        return None if "\ufffd" in text else text
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _lenient(data: bytes, codec: str) -> str:
    if codec == ISO2022JP:
        return decode_iso2022jp(data)
    if codec == EUC_JP:
        return decode_euc_jp(data)
    try:
        return data.decode(codec, errors="replace")
    except LookupError:
        return data.decode(WESTERN, errors="replace")


def latin1_word_score(data: bytes) -> int:
    """Evidence that 8-bit ``data`` is Latin-1/windows-1252 text: accented letters in words.

    Counts runs of one or two 8-bit bytes that are Latin-1 letters (``\xc0``-``\xff``
    but the signs ``\xd7``/``\xf7``) touching an ASCII letter: ``S\xe3o``, ``Emagre\xe7a``,
    ``PROGRAMA\xc7\xc3O``. Japanese text in Shift_JIS or EUC-JP comes in longer runs of
    8-bit bytes, or between spaces and punctuation, and scores (almost) nothing.
    """
    score = 0
    for match in _SHORT_HIGH_RUN.finditer(data):
        if _LATIN1_LETTER.fullmatch(match.group(0)) is None:
            continue
        start, end = match.span()
        if _ASCII_LETTER.match(data, max(0, start - 1), start) or _ASCII_LETTER.match(
            data, end, end + 1
        ):
            score += LATIN1_WORD_WEIGHT
    return score


def guess_japanese(data: bytes) -> tuple[str, str] | None:
    """(codec, text) for 8-bit data that reads as Japanese in CP932 or EUC-JP, else None.

    The detection rule: decode strictly as CP932 and as EUC-JP and score each reading with
    :func:`japanese_score` (hiragana +3, katakana/kanji/CJK punctuation +1, half-width kana
    -2, undecodable or private-use -5). The best reading wins only if its score is positive
    *and* higher than :func:`latin1_word_score` of the bytes; otherwise the text is not
    Japanese (``S\xe3o Paulo`` is not ``S縊 Paulo``).
    """
    best: tuple[int, str, str] | None = None
    for codec in (CP932, EUC_JP):
        text = _strict(data, codec)
        if text is None:
            continue
        score = japanese_score(text)
        if score > 0 and (best is None or score > best[0]):
            best = (score, codec, text)
    if best is None or best[0] <= latin1_word_score(data):
        return None
    return best[1], best[2]


def mostly_utf8(data: bytes) -> bool:
    """Is ``data`` UTF-8 but for a few bad bytes (and so best read as UTF-8, bad bytes \ufffd)?

    True when the only fault is a character cut off at the very end, or when the valid
    multi-byte sequences are at least twice as many as the invalid ones. Latin-1 or
    Japanese 8-bit text almost never forms valid UTF-8 pairs, and its invalid bytes
    outnumber the accidental valid ones (``caf\xe9`` has one invalid, none valid).
    """
    text = data.decode(UTF8, errors="replace")
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    if bad <= 0:
        return False
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    good = len(text) - (len(data) - high) - text.count("\ufffd")  # non-ASCII characters
    if good <= 0:
        return False
    if bad == 1 and text.endswith("\ufffd") and is_valid_utf8(_without_cut_tail(data)):
        return True
    return good >= 2 * bad


def _without_cut_tail(data: bytes) -> bytes:
    """``data`` without an incomplete UTF-8 sequence at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte >= 0xC0:  # the lead byte of the cut sequence
            return data[:-back]
        if byte < 0x80:
            break
    return data


def _with_replacements(text: str, codec: str, note: str | None) -> Decoded:
    count = text.count("\ufffd")
    if count and note is None:
        note = f"{count} byte sequence(s) not valid {display_name(codec)}, shown as \ufffd"
    return Decoded(text, codec, note)


def decode_bytes(data: bytes, declared: str | None) -> Decoded:
    """Decode ``data`` labelled ``declared`` (a MIME charset or None); never raises."""
    codec = resolve_charset(declared)
    label = (declared or "").strip()
    unknown = f"unknown charset \u201c{label}\u201d" if label and codec is None else None
    has_8bit = _EIGHT_BIT.search(data) is not None

    if not has_8bit and codec in (None, ASCII, CP932, EUC_JP, ISO2022JP, UTF8, WESTERN):
        if b"\x1b" in data and looks_like_iso2022jp(data):
            note = None
            if codec not in (None, ISO2022JP):
                note = f"labelled {label} but uses ISO-2022-JP escapes"
            return Decoded(decode_iso2022jp(data), ISO2022JP, note or _shown_as(unknown, ISO2022JP))
        return Decoded(data.decode(ASCII), ASCII, unknown and f"{unknown}; text is plain ASCII")
    if not has_8bit and codec is not None:
        return _with_replacements(_lenient(data, codec), codec, None)
    if not has_8bit:
        return Decoded(data.decode(ASCII), ASCII, None)

    if codec in (None, ASCII, ISO2022JP) and b"\x1b" in data and looks_like_iso2022jp(data):
        # JIS text with 8-bit pieces, e.g. a mailing-list footer added in UTF-8.
        return _with_replacements(
            decode_iso2022jp(data), ISO2022JP, "ISO-2022-JP text mixed with 8-bit bytes"
        )
    utf8_ok = codec not in _WIDE_UNICODE and (
        _UTF8_MULTIBYTE.search(data) is not None and is_valid_utf8(data)
    )
    if utf8_ok:
        note = f"labelled {label} but the text is UTF-8" if codec not in (None, UTF8) else None
        return Decoded(data.decode(UTF8), UTF8, note or _shown_as(unknown, UTF8))
    if codec in (None, ASCII, UTF8, WESTERN) and mostly_utf8(data):
        return _broken_utf8(data, codec, label, unknown)

    if codec == UTF8:
        guess = guess_japanese(data)
        if guess is not None:
            note = f"labelled {label} but the text is {display_name(guess[0])}"
            return Decoded(guess[1], guess[0], note)
        if latin1_word_score(data) > 0:
            western = data.decode(WESTERN, errors="replace")
            return Decoded(western, WESTERN, f"labelled {label} but the text is windows-1252")
        return _with_replacements(data.decode(UTF8, errors="replace"), UTF8, None)

    if codec in _JAPANESE:
        text = None if codec == ISO2022JP else _strict(data, codec)
        if text is None and mostly_utf8(data):
            return _broken_utf8(data, codec, label, unknown)
        guess = guess_japanese(data)
        if text is not None and not _clearly_better(guess, text):
            return Decoded(text, codec)
        if guess is not None:
            return Decoded(
                guess[1], guess[0], f"labelled {label} but the text is {display_name(guess[0])}"
            )
        return _with_replacements(_lenient(data, codec), codec, None)

    if codec in (None, ASCII):
        guess = guess_japanese(data)
        chosen, text = guess if guess is not None else (WESTERN, data.decode(WESTERN, "replace"))
        if unknown:
            note = f"{unknown}; shown as {display_name(chosen)}"
        elif codec == ASCII:
            note = f"labelled {label} but has 8-bit bytes; shown as {display_name(chosen)}"
        else:
            note = f"no charset declared; shown as {display_name(chosen)}"
        return Decoded(text, chosen, note)

    return _with_replacements(_lenient(data, codec), codec, None)


def _broken_utf8(data: bytes, codec: str | None, label: str, unknown: str | None) -> Decoded:
    text = data.decode(UTF8, errors="replace")
    if codec == UTF8:
        return _with_replacements(text, UTF8, None)
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    note = f"UTF-8 with {bad} invalid byte sequence(s), shown as \ufffd"
    if unknown:
        note = f"{unknown}; {note}"
    elif codec == ASCII or (codec is not None and codec != UTF8):
        note = f"labelled {label} but the text is {note}"
    elif codec is None:
        note = f"no charset declared; {note}"
    return Decoded(text, UTF8, note)


def _clearly_better(guess: tuple[str, str] | None, declared_text: str) -> bool:
    """Is the guessed Japanese reading clearly right where the declared one reads as junk?

    EUC-JP bytes also decode as CP932 (as half-width katakana), and the reverse happens too;
    only real text has full-width kana, so that decides.
    """
    if guess is None:
        return False
    return (
        count_kana(guess[1]) >= 2
        and count_kana(declared_text) == 0
        and japanese_score(declared_text) < 0
    )


def _shown_as(unknown: str | None, codec: str) -> str | None:
    return None if unknown is None else f"{unknown}; shown as {display_name(codec)}"
