"""Japanese decoders the stdlib lacks: CP50220-style ISO-2022-JP and EUC-JP with NEC/IBM rows.

Windows mailers send NEC row 13 (①, ㈱, Ⅰ) and IBM extension kanji (纊) inside mail
labelled plain ISO-2022-JP or EUC-JP; every ``iso2022_jp*``/``euc_jp`` codec of Python
rejects them. Microsoft's CP50220 decodes a JIS X 0208 code by converting it to Shift_JIS
and reading it through the CP932 table, which is what we do. Codes CP932 leaves undefined
(``Ⅻ`` at 0x2D57) are read through JIS X 0213 plane 1, which Mac and Unix mailers use in the
same place. One consequence: JIS 0x2141 decodes to ``～`` (U+FF5E, as CP932 does) rather
than ``〜`` (U+301C); Shift_JIS mail (read as CP932) gives the same character, so a sender's
text looks the same whichever of the two encodings their mailer chose.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

REPLACEMENT = "\ufffd"

# Designations and shifts we understand (ISO-2022-JP, -1, -2004/-3 planes, CP50221/2 kana).
_ESCAPE = re.compile(rb"\x1b\([BJIH]|\x1b\$[@B]|\x1b\$\((?:[@BDOPQ])|\x1b&@\x1b\$B|\x0e|\x0f")
# Escapes that only the wider ISO-2022-JP-2 repertoire (Chinese, Korean, G2 sets) uses.
_FOREIGN_ESCAPE = re.compile(rb"\x1b\$A|\x1b\$\(C|\x1b\.[AF]|\x1bN")
_JIS_TOKEN = re.compile(rb"[\x21-\x7e]{2}|[\x00-\xff]")
_EUC_TOKEN = re.compile(
    rb"\x8e[\xa1-\xdf]|\x8f[\xa1-\xfe]{2}|[\xa1-\xfe]{2}|[\x00-\x7f]+|[\x80-\xff]"
)
_JIS_ESCAPE_HINT = re.compile(rb"\x1b\$[@B]|\x1b\$\([DOPQ]|\x1b\(I")


def looks_like_iso2022jp(data: bytes) -> bool:
    """True when 7-bit data designates a JIS double-byte or kana set (raw JIS text)."""
    return _JIS_ESCAPE_HINT.search(data) is not None


def jis_to_sjis(first: int, second: int) -> bytes:
    """Convert one JIS X 0208 code (two bytes 0x21-0x7E) to its Shift_JIS bytes."""
    lead = (first + 1) // 2 + (0x70 if first <= 0x5E else 0xB0)
    if first % 2:
        trail = second + (0x1F if second <= 0x5F else 0x20)
    else:
        trail = second + 0x7E
    return bytes((lead, trail))


@cache
def _jis0208_table() -> dict[bytes, str]:
    """JIS X 0208 code -> character, the CP932 way, JIS X 0213 plane 1 for CP932's holes."""
    table: dict[bytes, str] = {}
    for first in range(0x21, 0x7F):
        for second in range(0x21, 0x7F):
            try:
                char = jis_to_sjis(first, second).decode("cp932")
            except UnicodeDecodeError:
                try:
                    char = bytes((first | 0x80, second | 0x80)).decode("euc_jis_2004")
                except UnicodeDecodeError:
                    continue
            table[bytes((first, second))] = char
    return table


@cache
def _jis0213_table(plane: int) -> dict[bytes, str]:
    table: dict[bytes, str] = {}
    prefix = b"" if plane == 1 else b"\x8f"
    for first in range(0x21, 0x7F):
        for second in range(0x21, 0x7F):
            try:
                char = (prefix + bytes((first | 0x80, second | 0x80))).decode("euc_jis_2004")
            except UnicodeDecodeError:
                continue
            table[bytes((first, second))] = char
    return table


@cache
def _jis0212_table() -> dict[bytes, str]:
    table: dict[bytes, str] = {}
    for first in range(0x21, 0x7F):
        for second in range(0x21, 0x7F):
            try:
                char = bytes((0x8F, first | 0x80, second | 0x80)).decode("euc_jp")
            except UnicodeDecodeError:
                continue
            table[bytes((first, second))] = char
    return table


def _single_byte(byte: int, mode: str) -> str:
    if byte < 0x80:
        if mode == "kana" and 0x21 <= byte <= 0x5F:
            return chr(0xFF61 + byte - 0x21)
        if mode == "roman" and byte == 0x5C:
            return "\u00a5"
        if mode == "roman" and byte == 0x7E:
            return "\u203e"
        return chr(byte)
    if 0xA1 <= byte <= 0xDF:  # 8-bit half-width katakana (JIS8, CP50221 senders)
        return chr(0xFF61 + byte - 0xA1)
    return REPLACEMENT


def _decode_double(segment: bytes, table: dict[bytes, str]) -> list[str]:
    out: list[str] = []
    for token in _JIS_TOKEN.findall(segment):
        if len(token) == 2:
            out.append(table.get(token, REPLACEMENT))
        elif 0x21 <= token[0] <= 0x7E:  # half a character
            out.append(REPLACEMENT)
        else:  # line breaks and spaces inside a JIS run pass through
            out.append(_single_byte(token[0], "ascii"))
    return out


_DOUBLE_MODES = {
    b"\x1b$@": "x0208",
    b"\x1b$B": "x0208",
    b"\x1b&@\x1b$B": "x0208",
    b"\x1b$(@": "x0208",
    b"\x1b$(B": "x0208",
    b"\x1b$(D": "x0212",
    b"\x1b$(O": "x0213-1",
    b"\x1b$(Q": "x0213-1",
    b"\x1b$(P": "x0213-2",
}
_SINGLE_MODES = {b"\x1b(B": "ascii", b"\x1b(J": "roman", b"\x1b(H": "roman", b"\x1b(I": "kana"}


def _table(mode: str) -> dict[bytes, str]:
    if mode == "x0212":
        return _jis0212_table()
    if mode == "x0213-1":
        return _jis0213_table(1)
    if mode == "x0213-2":
        return _jis0213_table(2)
    return _jis0208_table()


def _decode_with_tables(data: bytes) -> str:
    out: list[str] = []
    mode = "ascii"
    shifted_from: str | None = None
    position = 0
    for match in _ESCAPE.finditer(data):
        out.extend(_decode_run(data[position : match.start()], mode))
        code = match.group(0)
        if code == b"\x0e":
            if shifted_from is None:
                shifted_from, mode = mode, "kana"
        elif code == b"\x0f":
            if shifted_from is not None:
                mode, shifted_from = shifted_from, None
        else:
            mode = _DOUBLE_MODES.get(code) or _SINGLE_MODES[code]
            shifted_from = None
        position = match.end()
    out.extend(_decode_run(data[position:], mode))
    return "".join(out)


def _decode_run(segment: bytes, mode: str) -> list[str]:
    if not segment:
        return []
    if mode in ("ascii", "roman", "kana"):
        if mode == "ascii":
            try:  # ASCII, or 8-bit UTF-8 pieces between JIS runs
                return [segment.decode("utf-8")]
            except UnicodeDecodeError:
                pass
        return [_single_byte(byte, mode) for byte in segment]
    return _decode_double(segment, _table(mode))


@cache
def _iso2022_to_cp932_differences() -> dict[int, str]:
    """Characters where Python's iso2022_jp and the CP932 route disagree (〜 vs ～ ...)."""
    differences: dict[int, str] = {}
    for code, ours in _jis0208_table().items():
        try:
            theirs = (b"\x1b$B" + code + b"\x1b(B").decode("iso2022_jp")
        except UnicodeDecodeError:
            continue
        if theirs != ours:
            differences[ord(theirs)] = ours
    return differences


def decode_iso2022jp(data: bytes) -> str:
    """Decode ISO-2022-JP leniently (CP50220 tables, JIS X 0212/0213, kana, stray 8-bit).

    Never raises; undecodable codes become U+FFFD. Unknown escape sequences are kept as
    text (their ESC is made visible by the sanitiser later).
    """
    if _FOREIGN_ESCAPE.search(data):
        for codec in ("iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3"):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue
    if data.isascii() and b"\x1b$(" not in data and b"\x0e" not in data:
        try:
            # The C codec is fast; map its few JIS X 0208 choices to the CP932 ones.
            return data.decode("iso2022_jp").translate(_iso2022_to_cp932_differences())
        except UnicodeDecodeError:
            pass
    return _decode_with_tables(data)


def decode_euc_jp(data: bytes) -> str:
    """Decode EUC-JP including NEC row 13 and IBM extensions (eucJP-ms); never raises."""
    try:
        return data.decode("euc_jp")
    except UnicodeDecodeError:
        pass
    table = _jis0208_table()
    out: list[str] = []
    for token in _EUC_TOKEN.findall(data):
        if token[0] < 0x80:
            out.append(token.decode("ascii"))
        elif len(token) == 1:
            out.append(REPLACEMENT)
        elif token[0] == 0x8E:
            out.append(chr(0xFF61 + token[1] - 0xA1))
        elif token[0] == 0x8F:
            out.append(_jis0212_table().get(bytes((token[1] & 0x7F, token[2] & 0x7F)), REPLACEMENT))
        else:
            out.append(table.get(bytes((token[0] & 0x7F, token[1] & 0x7F)), REPLACEMENT))
    return "".join(out)


def count_kana(text: str) -> int:
    """Full-width hiragana and katakana: present in almost any real Japanese text."""
    return sum(1 for char in text if "\u3041" <= char <= "\u30ff")


def japanese_score(text: str) -> int:
    """How much ``text`` looks like Japanese: kana and kanji up, mojibake signs down.

    Used only to choose between Shift_JIS and EUC-JP for unlabelled or mislabelled bytes:
    EUC-JP read as CP932 turns hiragana into half-width katakana pairs, and Shift_JIS read
    as EUC-JP mostly fails outright.
    """
    score = 0
    for char in text:
        code = ord(char)
        if 0x3041 <= code <= 0x309F:
            score += 3
        elif 0x30A0 <= code <= 0x30FF or 0x4E00 <= code <= 0x9FFF or 0x3000 <= code <= 0x303F:
            score += 1
        elif 0xFF61 <= code <= 0xFF9F:
            score -= 2
        elif char == REPLACEMENT or 0xE000 <= code <= 0xF8FF:
            score -= 5
        elif code >= 0x80 and unicodedata.category(char).startswith("C"):
            score -= 5
    return score
