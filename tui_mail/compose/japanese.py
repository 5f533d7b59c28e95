"""ISO-2022-JP for outgoing mail, as Japanese mailers expect it (CP50220's repertoire).

Python's ``iso2022_jp`` codec knows only JIS X 0208, so text typed on any Japanese system
fails on ``①``, ``㈱``, ``Ⅲ`` (NEC row 13) or on ``～`` and ``－`` as Windows and macOS IMEs
produce them. Mailers (Outlook, Thunderbird, Becky!) send those inside ISO-2022-JP the way
Microsoft's CP50220 does: the character's CP932 code turned into its JIS row and cell. We do
the same, and our renderer reads it back (``tui_mail.mail.japanese``). Half-width katakana
become full-width, as CP50220 does. What has no such code (emoji, IBM extension kanji)
raises UnicodeEncodeError, and the caller sends UTF-8 instead.
"""

from __future__ import annotations

import re
import unicodedata

_TO_ASCII = b"\x1b(B"
_TO_JIS = b"\x1b$B"
_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]+")


def _sjis_to_jis(first: int, second: int) -> bytes:
    row = (first - (0x70 if first < 0xA0 else 0xB0)) * 2
    if second < 0x9F:
        return bytes((row - 1, second - 0x1F - (1 if second >= 0x80 else 0)))
    return bytes((row, second - 0x7E))


def _jis_code(char: str) -> bytes:
    try:
        encoded = char.encode("iso2022_jp")
    except UnicodeEncodeError:
        encoded = b""
    if encoded.startswith(_TO_JIS) and len(encoded) == len(_TO_JIS) + 2 + len(_TO_ASCII):
        return encoded[3:5]
    try:
        sjis = char.encode("cp932")
    except UnicodeEncodeError:
        sjis = b""
    if len(sjis) == 2 and 0x81 <= sjis[0] <= 0xEF and sjis[0] not in range(0xA0, 0xE0):
        return _sjis_to_jis(sjis[0], sjis[1])
    raise UnicodeEncodeError("iso-2022-jp", char, 0, 1, "no JIS X 0208 or NEC row 13 code")


def encode_iso2022jp(text: str) -> bytes:
    """``text`` as ISO-2022-JP, every line (and the end) back in ASCII; see the module doc."""
    text = _HALFWIDTH_KANA.sub(lambda match: unicodedata.normalize("NFKC", match.group()), text)
    out = bytearray()
    in_jis = False
    for char in text:
        if ord(char) < 0x80:
            if in_jis:
                out += _TO_ASCII
                in_jis = False
            out.append(ord(char))
            continue
        code = _jis_code(char)
        if not in_jis:
            out += _TO_JIS
            in_jis = True
        out += code
    if in_jis:
        out += _TO_ASCII
    return bytes(out)
