"""One regex pass over a plain header block for both the list row and the fingerprint.

A cold sync reads every header block twice: ``headers._wanted_fields`` picks the list's
fields and ``store.headers`` picks the identifying fields it hashes, each with its own scans
(about half of the CPU of a 20,000-message ``tui-mail check``). The two definitions differ
only where a block is odd, so for a *plain* block, one whose line ends are CRLF or LF, with
no other CR, no vertical tab or form feed, that neither starts with white space nor with an
empty line, both pick their fields at the same line starts: one ``findall`` serves both.
Any other block gets ``None`` here and takes the two separate routes, which stay the
definitions (tests check both agree on any block).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# On the block with LF line ends and a newline put before it: a field of the names either
# needs at a line start (its value with its folds), or a line without a colon followed by
# a continuation line (the fingerprint's definition hangs that on the field before).
_FIELD_OR_COLONLESS_FOLD = re.compile(
    rb"\n(?:(date|from|subject|message-id|to)[ \t]*:([^\n]*(?:\n[ \t][^\n]*)*)"
    rb"|(?![ \t])[^:\n]*(\n)[ \t])",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class PlainScan:
    """What both routes would find in a plain block.

    ``wanted``: as ``headers._wanted_fields`` gives it (first of each of its four names,
    unfolded). ``identifying``: every Date/From/To/Subject/Message-ID field in order, as the
    fingerprint's definition unfolds them; ``None`` when a line without a colon has
    continuation lines (only the definition's line walk handles that).
    """

    wanted: dict[bytes, bytes]
    identifying: list[tuple[bytes, bytes]] | None


def scan_plain(raw: bytes) -> PlainScan | None:
    """The fields of ``raw`` if it is a plain header block (see the module doc), else None."""
    text = raw.replace(b"\r\n", b"\n")
    if text[:1] in (b"", b" ", b"\t", b"\n") or b"\r" in text:
        return None  # (a CR left is not part of a CRLF)
    if b"\x0b" in text or b"\x0c" in text:
        return None
    end = text.find(b"\n\n")
    if end != -1:
        text = text[:end]
    found = _FIELD_OR_COLONLESS_FOLD.findall(b"\n" + text)
    fields = [(name.lower(), value) for name, value, colonless in found if not colonless]
    for _, value in fields:
        if b"\n" in value:  # folded: each route unfolds its way
            unfolded = [(name, _unfold(value)) for name, value in fields]
            joined = [(name, value.replace(b"\n", b"").strip()) for name, value in fields]
            break
    else:
        unfolded = joined = [(name, value.strip()) for name, value in fields]
    wanted = dict(reversed(joined))  # the first field of each name
    wanted.pop(b"to", None)
    return PlainScan(wanted, unfolded if len(fields) == len(found) else None)


def _unfold(value: bytes) -> bytes:
    """The fingerprint's unfolding: the lines stripped, joined by one space."""
    first, *folded = value.split(b"\n")
    return first.strip() + b"".join(b" " + line.strip() for line in folded)
