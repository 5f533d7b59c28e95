"""The MIME tree of a message as offsets into the raw bytes, never copies of the parts.

The stdlib parser holds every part as text and would copy a 15 MB attachment several
times just to list it. Here a part is ``(buffer, body_start, body_end)`` plus its parsed
header block; multipart bodies are split with ``bytes.find`` on the boundary (C speed, no
copy), and nothing is decoded. Leniency follows the stdlib feedparser: a non-header line
ends the header block, a missing closing boundary ends the part at the end of the data,
a multipart whose boundary never appears is shown as text. Each such repair is recorded
as a human-readable defect on the part.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from tui_mail.mail.limits import Limits
from tui_mail.mail.params import ContentInfo, content_info
from tui_mail.mail.transfer import (
    Buffer,
    decode_region,
    decoded_size,
    fails_base64_sanity,
    is_known_encoding,
)
from tui_mail.wording import format_size

_HEADER_NAME = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_MAX_DELIMITER_LINE = 256
EMBEDDED_TYPES = ("message/rfc822", "message/global")


@dataclass(eq=False)
class Part:
    """One MIME part: where its body lies in ``buf``, and what its headers say."""

    buf: Buffer
    path: str  # "" for the message itself, then "1", "1.2", ... like IMAP section numbers
    depth: int
    headers: list[tuple[str, bytes]]  # (lowercase name, unfolded raw value)
    body_start: int
    body_end: int
    info: ContentInfo
    children: list[Part] = field(default_factory=list)
    embedded: Part | None = None  # the parsed message inside message/rfc822
    defects: list[str] = field(default_factory=list)
    skipped: str | None = None  # why this part is listed but not shown
    over_limit: bool = False  # past max_parts: listed (and saveable), never opened or shown

    def header(self, name: str) -> bytes | None:
        """First value of a header field (raw, unfolded), or None."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def content_type(self) -> str:
        return self.info.content_type

    @property
    def label(self) -> str:
        """How notes refer to this part."""
        return f"part {self.path}" if self.path else "body"

    def decoded_size(self) -> tuple[int, bool]:
        return decoded_size(self.buf, self.body_start, self.body_end, self.info.transfer_encoding)


@dataclass
class _Context:
    limits: Limits
    parts: int = 0
    listed_over_limit: int = 0


def _child_path(parent: str, index: int) -> str:
    return f"{parent}.{index}" if parent else str(index)


def scan_headers(
    buf: Buffer, start: int, end: int, limits: Limits
) -> tuple[list[tuple[str, bytes]], int, list[str]]:
    """Header fields of the block at ``start``; returns (fields, body start, defects)."""
    headers: list[tuple[str, bytes]] = []
    defects: list[str] = []
    pieces: list[bytes] = []
    position = start
    first = True
    dropped = 0

    def finish_field() -> None:
        nonlocal dropped
        if pieces:
            line = b"".join(pieces)
            match = _HEADER_NAME.match(line)
            if match is not None:
                if len(headers) < limits.max_headers:
                    name = match.group(1).decode("ascii").lower()
                    headers.append((name, line[match.end() :].strip()))
                else:
                    dropped += 1
            pieces.clear()

    def done(body_start: int) -> tuple[list[tuple[str, bytes]], int, list[str]]:
        finish_field()
        if dropped:
            defects.append(f"more than {limits.max_headers} header fields; {dropped} ignored")
        return headers, body_start, defects

    while position < end:
        newline = buf.find(b"\n", position, end)
        line_end = end if newline < 0 else newline + 1
        if line_end - position > limits.max_header_block_bytes:
            # Never copy a giant line: a header (or continuation) is dropped; anything else
            # starts the body, as below.
            line = buf[position : position + 1024]
            if line[:1] in (b" ", b"\t") or _HEADER_NAME.match(line):
                finish_field()
                defects.append(
                    f"a header line longer than "
                    f"{limits.max_header_block_bytes // 1024} KiB is ignored"
                )
                position = line_end
                continue
        else:
            line = buf[position:line_end].rstrip(b"\r\n")
        if not line:
            return done(line_end)
        if position - start > limits.max_header_block_bytes:
            defects.append(
                f"header block larger than {limits.max_header_block_bytes // 1024} "
                "KiB; the rest of it is ignored"
            )
            return done(_skip_to_blank_line(buf, position, end))
        if line[:1] in (b" ", b"\t"):
            if pieces:  # a continuation before any field has nothing to continue
                pieces.append(line)
        elif _HEADER_NAME.match(line):
            finish_field()
            pieces.append(line)
        elif not (first and line.startswith(b"From ")):
            defects.append(
                "header block not ended by an empty line; the body starts at "
                "the first line that is not a header"
            )
            return done(position)
        first = False
        position = line_end
    return done(end)


def _skip_to_blank_line(buf: Buffer, position: int, end: int) -> int:
    found = [
        i for i in (buf.find(b"\n\n", position, end), buf.find(b"\n\r\n", position, end)) if i >= 0
    ]
    if not found:
        return end
    i = min(found)
    return i + (2 if buf[i + 1 : i + 2] == b"\n" else 3)


def _delimiter_at(buf: Buffer, at: int, end: int, delimiter: bytes) -> tuple[int, bool] | None:
    """(end of the delimiter line, is it the closing one) if a delimiter line starts at ``at``."""
    after = at + len(delimiter)
    if after > end or buf[at:after] != delimiter:
        return None
    newline = buf.find(b"\n", after, min(end, after + _MAX_DELIMITER_LINE))
    if newline < 0:
        if end - after > _MAX_DELIMITER_LINE:
            return None
        line_end, rest = end, buf[after:end]
    else:
        line_end, rest = newline + 1, buf[after:newline]
    rest = rest.rstrip(b"\r").rstrip(b" \t")
    if rest == b"":
        return line_end, False
    if rest == b"--":
        return line_end, True
    return None


def split_multipart(
    buf: Buffer, start: int, end: int, boundary: bytes
) -> tuple[list[tuple[int, int]], bool] | None:
    """Body regions between boundary lines, and whether the closing line was found.

    None when no boundary line appears at all.
    """
    delimiter = b"--" + boundary
    search = b"\n" + delimiter
    regions: list[tuple[int, int]] = []
    found_any = False
    closed = False
    current: int | None = None
    found = _delimiter_at(buf, start, end, delimiter)
    position = start
    if found is not None:
        found_any = True
        position, closed = found
        current = None if closed else position
    while not closed:
        index = buf.find(search, position, end)
        if index < 0:
            break
        found = _delimiter_at(buf, index + 1, end, delimiter)
        if found is None:
            position = index + 1
            continue
        found_any = True
        if current is not None:
            content_end = (
                index - 1 if index > current and buf[index - 1 : index] == b"\r" else index
            )
            regions.append((current, max(current, content_end)))
        position, closed = found
        current = None if closed else position
    if not found_any:
        return None
    if current is not None:
        regions.append((current, end))
    return regions, closed


def parse_message(buf: Buffer, limits: Limits) -> Part:
    """The MIME tree of the whole message in ``buf``."""
    return _parse(_Context(limits), buf, 0, len(buf), "", 0, "text/plain")


def _parse(
    ctx: _Context, buf: Buffer, start: int, end: int, path: str, depth: int, default_type: str
) -> Part:
    ctx.parts += 1
    headers, body_start, defects = scan_headers(buf, start, end, ctx.limits)
    values = dict(reversed(headers))  # first occurrence wins
    info = content_info(
        values.get("content-type"),
        values.get("content-disposition"),
        values.get("content-transfer-encoding"),
        default_type=default_type,
    )
    part = Part(buf, path, depth, headers, body_start, end, info, defects=defects)
    part.defects.extend(info.problems)
    if not is_known_encoding(info.transfer_encoding):
        part.defects.append(
            f"unknown Content-Transfer-Encoding \u201c{info.transfer_encoding}"
            "\u201d; content shown as it is"
        )
    maintype = info.content_type.split("/", 1)[0]
    if (
        info.transfer_encoding == "base64"
        and maintype != "multipart"
        and fails_base64_sanity(buf, body_start, end)
    ):
        part.info = info = dataclasses.replace(info, transfer_encoding="8bit")
        part.defects.append("marked base64 but is not base64; shown as it is")
    if maintype == "multipart":
        _parse_multipart(ctx, part)
    elif info.content_type in EMBEDDED_TYPES:
        _parse_embedded(ctx, part)
    return part


def _as_text(part: Part, why: str) -> None:
    part.defects.append(why)
    part.info = dataclasses.replace(part.info, content_type="text/plain")


def _parse_multipart(ctx: _Context, part: Part) -> None:
    limits = ctx.limits
    if part.depth >= limits.max_depth:
        part.skipped = f"nested more than {limits.max_depth} levels deep"
        return
    if not part.info.boundary:
        _as_text(part, f"{part.info.content_type} without a boundary; shown as text")
        return
    boundary = part.info.boundary.encode("latin-1", "replace")
    split = split_multipart(part.buf, part.body_start, part.body_end, boundary)
    if split is None:
        _as_text(part, f"{part.info.content_type} boundary never appears; shown as text")
        return
    regions, closed = split
    if not closed:
        part.defects.append(
            f"{part.info.content_type} ends without its closing boundary "
            "(the message may be cut short)"
        )
    child_default = (
        "message/rfc822" if part.info.content_type == "multipart/digest" else ("text/plain")
    )
    for index, (start, end) in enumerate(regions, 1):
        path = _child_path(part.path, index)
        if ctx.parts >= limits.max_parts:
            _list_over_limit(ctx, part, regions[index - 1 :], index)
            break
        part.children.append(_parse(ctx, part.buf, start, end, path, part.depth + 1, child_default))


def _list_over_limit(ctx: _Context, part: Part, regions: list[tuple[int, int]], first: int) -> None:
    """Parts past ``max_parts``: read their headers only, so they are listed and saveable.

    Nothing inside them is opened (a multipart or attached message there is one entry).
    """
    limits = ctx.limits
    child_default = (
        "message/rfc822" if part.info.content_type == "multipart/digest" else "text/plain"
    )
    listed = 0
    for index, (start, end) in enumerate(regions, first):
        if ctx.listed_over_limit >= limits.max_listed_parts:
            break
        ctx.listed_over_limit += 1
        listed += 1
        headers, body_start, _defects = scan_headers(part.buf, start, end, limits)
        values = dict(reversed(headers))
        info = content_info(
            values.get("content-type"),
            values.get("content-disposition"),
            values.get("content-transfer-encoding"),
            default_type=child_default,
        )
        part.children.append(
            Part(
                part.buf,
                _child_path(part.path, index),
                part.depth + 1,
                headers,
                body_start,
                end,
                info,
                skipped=f"more than {limits.max_parts} MIME parts in the message",
                over_limit=True,
            )
        )
    note = f"more than {limits.max_parts} MIME parts; the other {len(regions):,} here are not shown"
    if listed:
        note += f" ({listed:,} listed as attachments"
        note += ")" if listed == len(regions) else f", {len(regions) - listed:,} not even listed)"
    part.defects.append(note)


def _parse_embedded(ctx: _Context, part: Part) -> None:
    limits = ctx.limits
    if part.depth >= limits.max_depth:
        part.skipped = f"nested more than {limits.max_depth} levels deep"
        return
    if ctx.parts >= limits.max_parts:
        part.skipped = f"more than {limits.max_parts} MIME parts"
        return
    cte = part.info.transfer_encoding
    if cte in ("7bit", "8bit", "binary") or not is_known_encoding(cte):
        buf, start, end = part.buf, part.body_start, part.body_end
    else:
        size, _exact = part.decoded_size()
        if size > limits.max_embedded_decode_bytes:
            part.skipped = (
                "encoded attached message larger than "
                f"{format_size(limits.max_embedded_decode_bytes)}"
            )
            return
        buf = decode_region(part.buf, part.body_start, part.body_end, cte)
        start, end = 0, len(buf)
    part.embedded = _parse(ctx, buf, start, end, part.path, part.depth + 1, "text/plain")
