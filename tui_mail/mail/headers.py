"""The message-list summary of one header block, and small helpers for header text.

``summarize_headers`` runs for every message of a mailbox (100,000 rows from the header
cache), so it never builds a MIME tree: one pass over the header lines picks the four
fields a list row needs, and only those are decoded.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

from tui_mail.mail.addresses import parse_addresses
from tui_mail.mail.dates import parse_date
from tui_mail.mail.encoded_words import decode_encoded_words, decode_header_bytes
from tui_mail.mail.sanitize import sanitize_text
from tui_mail.mail.source import normalize_line_ends

SUBJECT_LIMIT = 1000
SENDER_LIMIT = 300

_NAMES = frozenset({b"date", b"from", b"subject", b"message-id"})
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True, slots=True)
class HeaderSummary:
    """What one message-list row needs; every string already sanitised to one line."""

    date: datetime | None  # timezone-aware
    sender: str  # display name, else address
    subject: str
    from_address: str
    message_id: str | None


def one_line(text: str, limit: int) -> str:
    """Sanitised single-line text, whitespace runs collapsed, cut at ``limit`` characters."""
    text = sanitize_text(_SPACES.sub(" ", text).strip(), single_line=True)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# With a newline put before the block, every line starts after a "\n": the first line that
# is empty (but for CRs) ends the block; a line starting with a space or tab continues one.
_BLOCK_END = re.compile(rb"\n\r*(?:\n|\Z)")
# A line that starts with one of the four names (any case), spaces or tabs, then a colon,
# and every continuation line after it. The leading literal lets the scan jump line to line.
_WANTED = re.compile(
    rb"\n(date|from|subject|message-id)[ \t]*:([^\n]*(?:\n[ \t][^\n]*)*)", re.IGNORECASE
)


def _wanted_fields(raw: bytes) -> dict[bytes, bytes]:
    """Unfolded values of the first Date, From, Subject and Message-ID fields.

    Two regex scans (end of block, then the four names at line starts): a Received chain or
    a DKIM signature costs no Python per line, which matters at 100,000 calls. Folding is
    undone by dropping the line ends (and CRs before them); the value is then stripped.
    """
    block = b"\n" + raw
    end = _BLOCK_END.search(block)
    if end is not None:
        block = block[: end.start()]
    found: dict[bytes, bytes] = {}
    for match in _WANTED.finditer(block):
        name = match.group(1).lower()
        if name in found:
            continue
        value = match.group(2)
        if b"\n" in value:  # (a CR at the very end goes with the strip)
            value = b"".join(piece.rstrip(b"\r") for piece in value.split(b"\n"))
        found[name] = value.strip()
        if len(found) == len(_NAMES):
            break
    return found


def _subject(raw: bytes) -> str:
    text, _problems = decode_header_bytes(raw)
    return one_line(decode_encoded_words(text)[0], SUBJECT_LIMIT)


def _sender(raw: bytes) -> tuple[str, str]:
    """(what the list shows, the address) of a From value."""
    pairs, _problems = parse_addresses(raw)
    if not pairs:
        return "", ""
    name, address = pairs[0]
    return one_line(name or address, SENDER_LIMIT), one_line(address, SENDER_LIMIT)


#: From and Subject values repeat across a mailbox (the same senders, thread subjects): up to
#: this length they are decoded once per distinct value (pure functions of the bytes; a value
#: that raises is not cached and raises again). Bounded: 4096 entries of at most 512 bytes.
CACHED_VALUE = 512
_cached_subject = functools.lru_cache(maxsize=4096)(_subject)
_cached_sender = functools.lru_cache(maxsize=4096)(_sender)


def summarize_headers(raw_headers: bytes) -> HeaderSummary:
    """Date, sender, subject, address and Message-ID from a raw header block (``TOP n 0``)."""
    return summary_of_fields(_wanted_fields(bytes(normalize_line_ends(raw_headers))))


def summary_of_fields(found: dict[bytes, bytes], *, message_id: bool = True) -> HeaderSummary:
    """The summary of the fields :func:`_wanted_fields` found (the same from another scan).

    ``message_id=False`` leaves it out (None): the list's stored fields do not hold it, and
    its sanitising is a tenth of a summary's time.
    """
    subject = ""
    if b"subject" in found:
        raw = found[b"subject"]
        subject = _cached_subject(raw) if len(raw) <= CACHED_VALUE else _subject(raw)
    sender = from_address = ""
    if b"from" in found:
        raw = found[b"from"]
        sender, from_address = _cached_sender(raw) if len(raw) <= CACHED_VALUE else _sender(raw)
    date = parse_date(found[b"date"].decode("ascii", "replace")) if b"date" in found else None
    identifier = None
    if message_id and b"message-id" in found:
        identifier = one_line(found[b"message-id"].decode("utf-8", "replace"), SENDER_LIMIT) or None
    return HeaderSummary(date, sender, subject, from_address, identifier)


FULL_HEADER_FIELDS = 500
"""At most this many fields are listed; a hostile block of thousands is cut with a note."""
FULL_HEADER_VALUE = 2000
"""Characters per field value shown (a 12 MB folded header stays one readable line)."""


def full_header_lines(raw_headers: bytes) -> list[str]:
    """Every field of a header block as ``Name: value``, in order, for "show all headers".

    Folded lines are joined, encoded-words and raw 8-bit text decoded, and each line is
    sanitised to one line of plain text, like the rest of the preview.
    """
    fields: list[list[bytes]] = []
    for line in raw_headers.split(b"\n"):
        line = line.rstrip(b"\r")
        if not line:
            break  # the empty line that ends the header block
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    shown: list[str] = []
    for pieces in fields[:FULL_HEADER_FIELDS]:
        field = b" ".join(piece.strip(b" \t") for piece in pieces)
        name, colon, value = field.partition(b":")
        if not colon:
            text, _problems = decode_header_bytes(field)
            shown.append(one_line(f"(not a header field) {text}", FULL_HEADER_VALUE))
            continue
        text, _problems = decode_header_bytes(value.strip(b" \t"))
        label = one_line(name.decode("ascii", "replace").strip(), 100)
        shown.append(f"{label}: {one_line(decode_encoded_words(text)[0], FULL_HEADER_VALUE)}")
    if len(fields) > FULL_HEADER_FIELDS:
        shown.append(f"[{len(fields) - FULL_HEADER_FIELDS} more header fields not shown]")
    return shown
