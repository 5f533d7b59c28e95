"""Building blocks for the rendering corpus: encoders written independently of tui_mail.

The Japanese encoders here do not use tui_mail's decoders, so a corpus message is a real
check: text -> bytes by these rules, bytes -> text by the renderer, and the two must meet.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

CRLF = b"\r\n"
DATE = "Wed, 01 May 2024 10:30:00 +0900"
DATE_SHOWN = "Wed, 01 May 2024 01:30:00 +0000"  # the corpus renders with tz=UTC


@dataclass(frozen=True)
class Case:
    """One corpus message and the exact text ``render_message(..., tz=UTC)`` must give.

    ``attachment``: the text is ``render_attachment(raw, attachment, tz=UTC)`` instead (the
    reader's "show this attachment"); ``text_limit``: a smaller display limit for one part
    (``Limits.max_text_part_bytes``), to test what happens past it with a small message.
    """

    name: str
    raw: bytes
    expected: str
    prefer_html: bool = False
    attachment: int | None = None
    text_limit: int | None = None


def sjis_to_jis(lead: int, trail: int) -> bytes:
    """Shift_JIS double byte -> JIS X 0208 code (the textbook formula)."""
    if lead >= 0xE0:
        lead -= 0x40
    first = (lead - 0x81) * 2 + 0x21
    if trail >= 0x9F:
        return bytes((first + 1, trail - 0x7E))
    return bytes((first, trail - (0x20 if trail >= 0x80 else 0x1F)))


def _nec_selected() -> dict[str, bytes]:
    """IBM extension characters -> their NEC-selected rows (0xED/0xEE), as CP50220 maps them."""
    table: dict[str, bytes] = {}
    for lead in (0xED, 0xEE):
        for trail in range(0x40, 0xFD):
            try:
                table.setdefault(bytes((lead, trail)).decode("cp932"), bytes((lead, trail)))
            except UnicodeDecodeError:
                continue
    return table


_NEC_SELECTED = _nec_selected()


def cp50220(text: str) -> bytes:
    """ISO-2022-JP as Windows writes it: CP932 characters (NEC, IBM rows) as JIS codes.

    Characters CP932 lacks (Ⅻ) use their JIS X 0213 plane-1 code, as Mac mailers do.
    """
    out = bytearray()
    mode = "ascii"
    for char in text:
        if ord(char) < 0x80:
            if mode != "ascii":
                out += b"\x1b(B"
                mode = "ascii"
            out += char.encode("ascii")
            continue
        try:
            sjis = _NEC_SELECTED.get(char) or char.encode("cp932")
        except UnicodeEncodeError:
            euc = char.encode("euc_jis_2004")
            code = bytes((euc[0] & 0x7F, euc[1] & 0x7F))
        else:
            if len(sjis) != 2:
                raise ValueError(f"half-width kana not supported here: {char!r}")
            code = sjis_to_jis(sjis[0], sjis[1])
        if mode != "jis":
            out += b"\x1b$B"
            mode = "jis"
        out += code
    if mode != "ascii":
        out += b"\x1b(B"
    return bytes(out)


def b_word(data: bytes, charset: str) -> str:
    """One RFC 2047 B encoded-word holding exactly ``data``."""
    return f"=?{charset}?B?{base64.b64encode(data).decode('ascii')}?="


def q_word(data: bytes, charset: str) -> str:
    """One RFC 2047 Q encoded-word holding exactly ``data``."""
    encoded = "".join(
        chr(byte)
        if byte < 0x80 and chr(byte).isalnum()
        else "_"
        if byte == 0x20
        else f"={byte:02X}"
        for byte in data
    )
    return f"=?{charset}?Q?{encoded}?="


def base64_body(data: bytes) -> bytes:
    """Base64 in 76-character lines, CRLF-terminated."""
    encoded = base64.b64encode(data)
    return b"".join(encoded[i : i + 76] + CRLF for i in range(0, len(encoded), 76))


def message(
    headers: Sequence[tuple[str, str | bytes]], body: bytes, *, newline: bytes = CRLF
) -> bytes:
    """Header fields (str is ASCII, bytes are taken raw) then a blank line and the body."""
    lines = []
    for name, value in headers:
        raw = value if isinstance(value, bytes) else value.encode("ascii")
        lines.append(name.encode("ascii") + b": " + raw)
    return newline.join(lines) + newline + newline + body


def std_headers(
    subject: str | bytes = "Test",
    *,
    from_: str | bytes = "Taro <taro@example.jp>",
    to: str | bytes = "hanako@example.jp",
) -> list[tuple[str, str | bytes]]:
    """From, To, Date, Subject, Message-ID, MIME-Version: the usual top of a message."""
    return [
        ("From", from_),
        ("To", to),
        ("Date", DATE),
        ("Subject", subject),
        ("Message-ID", "<corpus@example.jp>"),
        ("MIME-Version", "1.0"),
    ]


def headed(subject: str | bytes, *extra: tuple[str, str | bytes]) -> list[tuple[str, str | bytes]]:
    """``std_headers(subject)`` followed by ``extra`` fields (usually Content-Type ones)."""
    return [*std_headers(subject), *extra]


def shown(
    subject: str,
    body: str,
    *,
    from_: str = "Taro <taro@example.jp>",
    to: str = "hanako@example.jp",
    tail: str = "",
) -> str:
    """The expected rendering of a message built with ``std_headers``."""
    text = f"From: {from_}\nTo: {to}\nDate: {DATE_SHOWN}\nSubject: {subject}\n\n{body}\n"
    return text + (f"\n{tail}\n" if tail else "")


def multipart(
    boundary: str, parts: list[bytes], *, preamble: bytes = b"", close: bool = True
) -> bytes:
    """A multipart body from complete parts (each is header lines, blank line, body)."""
    out = preamble
    for part in parts:
        out += b"--" + boundary.encode() + CRLF + part + CRLF
    if close:
        out += b"--" + boundary.encode() + b"--" + CRLF
    return out


def part(headers: Sequence[tuple[str, str | bytes]], body: bytes) -> bytes:
    """One body part: its header lines, a blank line, the body."""
    return message(headers, body)
