"""Content-Transfer-Encoding: sizes without decoding, and decoding in bounded chunks.

A 15 MB base64 attachment must not be decoded (or even copied whole) to show "report.pdf,
11 MiB" in a list: its decoded size is computed by counting base64 alphabet characters a
chunk at a time. Saving streams the decoded bytes to the file chunk by chunk, so memory
stays bounded by the chunk size, not by the attachment.
"""

from __future__ import annotations

import binascii
import mmap
import re
from collections.abc import Iterator

Buffer = bytes | mmap.mmap

CHUNK = 1 << 20
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_B64 = bytes(sorted(set(range(256)) - set(_B64_ALPHABET)))
_KNOWN = {
    "7bit",
    "8bit",
    "binary",
    "base64",
    "quoted-printable",
    "x-uuencode",
    "uuencode",
    "x-uue",
    "uue",
}
_UU = {"x-uuencode", "uuencode", "x-uue", "uue"}
QP_EXACT_LIMIT = 8 << 20
BASE64_SAMPLE = 16 << 10
_B64_LINE = re.compile(rb"[A-Za-z0-9+/]*={0,2}")


def is_known_encoding(cte: str) -> bool:
    return cte in _KNOWN


def _chunks(buf: Buffer, start: int, end: int, size: int = CHUNK) -> Iterator[bytes]:
    for offset in range(start, end, size):
        yield buf[offset : min(offset + size, end)]


def _line_chunks(buf: Buffer, start: int, end: int) -> Iterator[bytes]:
    """Chunks that end on a line break (QP and uuencode decode line by line)."""
    carry = b""
    for chunk in _chunks(buf, start, end):
        data = carry + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            continue
        carry = data[cut:]
        yield data[:cut]
    if carry:
        yield carry


def _base64_chunks(buf: Buffer, start: int, end: int) -> Iterator[bytes]:
    carry = b""
    for chunk in _chunks(buf, start, end):
        data = carry + chunk.translate(None, _NOT_B64)
        usable = len(data) - len(data) % 4
        carry = data[usable:]
        if usable:
            yield binascii.a2b_base64(data[:usable])
    if len(carry) >= 2:
        yield binascii.a2b_base64(carry + b"=" * (4 - len(carry)))


def _uu_chunks(buf: Buffer, start: int, end: int) -> Iterator[bytes]:
    for block in _line_chunks(buf, start, end):
        out: list[bytes] = []
        for line in block.splitlines():
            if not line.strip() or line.startswith((b"begin ", b"end")):
                continue
            try:
                out.append(binascii.a2b_uu(line))
            except binascii.Error:
                # Some encoders emit too many pad bytes: trust the length character.
                length = ((line[0] - 32) & 63) * 4 // 3 + 4
                try:
                    out.append(binascii.a2b_uu(line[:length]))
                except binascii.Error:
                    continue
        yield b"".join(out)


def fails_base64_sanity(buf: Buffer, start: int, end: int) -> bool:
    """Is a body marked base64 really something else (usually plain text)?

    Base64 lines hold only the alphabet and trailing ``=``; text has spaces and punctuation
    inside its lines. Judged on the first 16 KiB: more than half of the non-blank lines
    are not base64 lines. (A mailing-list footer after real base64 is a few lines, and
    decodes as it always did.)
    """
    sample = buf[start : min(end, start + BASE64_SAMPLE)]
    lines = sample.split(b"\n")
    if end > start + BASE64_SAMPLE and len(lines) > 1:
        lines.pop()  # cut in the middle
    total = bad = 0
    for line in lines:
        line = line.strip(b" \t\r")
        if not line:
            continue
        total += 1
        if _B64_LINE.fullmatch(line) is None:
            bad += 1
    return bad * 2 > total


def iter_decoded(buf: Buffer, start: int, end: int, cte: str) -> Iterator[bytes]:
    """Decoded content of ``buf[start:end]`` in chunks of about a MiB (never raises)."""
    if cte == "base64":
        yield from _base64_chunks(buf, start, end)
    elif cte == "quoted-printable":
        for block in _line_chunks(buf, start, end):
            yield binascii.a2b_qp(block)
    elif cte in _UU:
        yield from _uu_chunks(buf, start, end)
    else:
        yield from _chunks(buf, start, end)


def decode_region(buf: Buffer, start: int, end: int, cte: str) -> bytes:
    """Decoded content in one piece: only for parts already known to be small."""
    if cte not in ("base64", "quoted-printable") and cte not in _UU:
        return buf[start:end]
    return b"".join(iter_decoded(buf, start, end, cte))


def decoded_size(buf: Buffer, start: int, end: int, cte: str) -> tuple[int, bool]:
    """(decoded size in bytes, exact?) computed without holding the decoded content."""
    if cte == "base64":
        count = 0
        for chunk in _chunks(buf, start, end):
            count += len(chunk) - len(chunk.translate(None, _B64_ALPHABET))
        return count * 3 // 4, True
    if cte == "quoted-printable":
        if end - start <= QP_EXACT_LIMIT:
            return sum(len(block) for block in iter_decoded(buf, start, end, cte)), True
        return end - start, False
    if cte in _UU:
        return (end - start) * 3 // 4, False
    return end - start, True
