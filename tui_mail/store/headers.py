"""List fields of a cached header block, and their SQLite form (epoch + UTC offset).

The store decodes headers in exactly one place, :func:`header_fields`, which delegates to
``tui_mail.mail.headers.summarize_headers`` (decoding *and* sanitising); nothing else in the store
interprets mail text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

#: A header block is kept (and decoded) up to this size; real ones are a few KiB. Past it the
#: rest is dropped and the row says so: a 12 MB folded header must not grow the cache.
MAX_HEADER_BLOCK = 256 << 10


@dataclass(frozen=True, slots=True)
class HeaderFields:
    """What the message list shows, as stored: the date split into epoch and offset."""

    date_epoch: int | None
    tz_offset: int | None  # seconds east of UTC, as written in the Date header
    sender: str
    subject: str
    problem: str = ""  # what could not be read, in words ("" when nothing)
    sender_address: str = ""


def bounded_header_block(raw: bytes) -> tuple[bytes, str]:
    """The part of ``raw`` we keep (cut at a line end), and a note when something was cut."""
    if len(raw) <= MAX_HEADER_BLOCK:
        return raw, ""
    cut = raw.rfind(b"\n", 0, MAX_HEADER_BLOCK) + 1 or MAX_HEADER_BLOCK
    return raw[:cut], f"header block longer than {MAX_HEADER_BLOCK >> 10} KiB; the rest is dropped"


def header_fields(raw: bytes) -> HeaderFields:
    """Decode (and sanitise) a raw header block into the stored list fields; never raises.

    This is the list's per-message boundary: whatever the block holds, the result is a row
    (degraded, with ``problem`` saying why, when decoding failed).
    """
    # Late import: keeps `store` import light.
    from tui_mail.mail.degraded import summarize_headers_safely

    kept, note = bounded_header_block(raw)
    summary, problem = summarize_headers_safely(kept)
    epoch, offset = split_date(summary.date)
    problem = "; ".join(text for text in (note, problem) if text)
    return HeaderFields(
        epoch, offset, summary.sender, summary.subject, problem, summary.from_address
    )


def decode_header_block(raw: bytes) -> tuple[bytes, HeaderFields, str]:
    """The part of ``raw`` kept, its :func:`header_fields` and its :func:`header_fingerprint`.

    What a cold sync asks of every header block: a plain block (nearly all) is scanned once
    for both (``mail.header_scan``); any other takes the two defining routes.
    """
    # Late imports, as in header_fields (the scan's regex is compiled on first use).
    from tui_mail.mail.degraded import summarize_fields_safely
    from tui_mail.mail.header_scan import scan_plain

    kept, note = bounded_header_block(raw)
    scan = scan_plain(kept)
    if scan is None:
        return kept, header_fields(raw), header_fingerprint(kept)
    summary, problem = summarize_fields_safely(kept, scan.wanted)
    epoch, offset = split_date(summary.date)
    if note:
        problem = f"{note}; {problem}" if problem else note
    fields = HeaderFields(
        epoch, offset, summary.sender, summary.subject, problem, summary.from_address
    )
    if scan.identifying is None:
        return kept, fields, header_fingerprint(kept)
    return kept, fields, _fingerprint_of(scan.identifying, kept)


def split_date(date: datetime | None) -> tuple[int | None, int | None]:
    """An aware datetime as (epoch seconds, UTC offset seconds); naive dates count as UTC."""
    if date is None:
        return None, None
    offset = date.utcoffset()
    if offset is None:
        date = date.replace(tzinfo=UTC)
        offset = timedelta(0)
    try:
        return int(date.timestamp()), int(offset.total_seconds())
    except (OverflowError, OSError, ValueError):
        return None, None


class DateRebuilder:
    """Turns stored (epoch, offset) pairs back into aware datetimes, sharing tz objects.

    One ``timezone`` per distinct offset instead of one per row keeps 100,000 rows cheap.
    """

    def __init__(self) -> None:
        self._zones: dict[int, timezone] = {}

    def __call__(self, epoch: int | None, offset: int | None) -> datetime | None:
        if epoch is None:
            return None
        offset = offset or 0
        zone = self._zones.get(offset)
        if zone is None:
            try:
                zone = timezone(timedelta(seconds=offset))
            except ValueError:  # |offset| >= 24 h: a broken Date header stored as-is
                zone = UTC
            self._zones[offset] = zone
        try:
            return datetime.fromtimestamp(epoch, zone)
        except (OverflowError, OSError, ValueError):
            return None


# Headers that name a message and that no server rewrites (unlike Status, X-UIDL, Received).
_IDENTIFYING = (b"message-id", b"date", b"from", b"to", b"subject")


def header_fingerprint(raw: bytes) -> str:
    """A short hash of what identifies a message in its header block (for marks and reuse).

    Raw bytes, unfolded, names lower-cased: the same message gives the same value in every
    session, while a server that adds ``Status:`` or ``X-UIDL:`` lines does not change it.
    Without any of those headers the whole block is hashed. Stored fingerprints must keep
    matching, so the value never changes: :func:`_identifying_fields` is a faster route to
    exactly what :func:`_identifying_fields_by_line` (the definition) gives.
    """
    text = raw.replace(b"\r\n", b"\n")
    end = text.find(b"\n\n")
    if end != -1:
        text = text[:end]
    fields = _identifying_fields(text)
    if fields is None:
        fields = _identifying_fields_by_line(text)
    return _fingerprint_of(fields, raw)


def _fingerprint_of(fields: list[tuple[bytes, bytes]], raw: bytes) -> str:
    """The hash of the identifying ``fields`` (of the whole block ``raw`` if there are none)."""
    import hashlib

    material = b"\n".join(map(b":".join, fields)) if fields else raw  # name:value lines
    return hashlib.sha256(material).hexdigest()[:32]


def _identifying_fields_by_line(text: bytes) -> list[tuple[bytes, bytes]]:
    """The definition: unfold line by line, keep the identifying fields in order."""
    fields: list[tuple[bytes, bytes]] = []
    for line in text.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b" " + line.strip())
        elif b":" in line:
            name, _, value = line.partition(b":")
            fields.append((name.strip().lower(), value.strip()))
    return [field for field in fields if field[0] in _IDENTIFYING]


# A line without a colon followed by continuation lines: the definition hangs those on the
# field before, which a scan by field cannot do (then the line-by-line route is taken).
_COLONLESS_FOLDED = re.compile(rb"\n(?![ \t])[^:\n]*\n[ \t]")
# An identifying field (name among whitespace, as ``bytes.strip`` sees it) with its folds.
_IDENTIFYING_FIELD = re.compile(
    rb"\n(?![ \t])[ \t\r\x0b\x0c]*(message-id|date|from|to|subject)[ \t\r\x0b\x0c]*:"
    rb"([^\n]*(?:\n[ \t][^\n]*)*)",
    re.IGNORECASE,
)


def _identifying_fields(text: bytes) -> list[tuple[bytes, bytes]] | None:
    """The same fields from two regex scans instead of a Python step per line.

    ``None`` when a line without a colon has continuation lines (see the definition), or
    when the block starts with a space or tab (the definition reads that line as a field).
    """
    if text[:1] in (b" ", b"\t"):
        return None
    text = b"\n" + text  # every line now starts after a newline: the scans jump to them
    if _COLONLESS_FOLDED.search(text) is not None:
        return None
    fields: list[tuple[bytes, bytes]] = []
    for match in _IDENTIFYING_FIELD.finditer(text):
        first, *folded = match.group(2).split(b"\n")
        value = first.strip()
        if folded:
            value += b"".join(b" " + line.strip() for line in folded)
        fields.append((match.group(1).lower(), value))
    return fields
