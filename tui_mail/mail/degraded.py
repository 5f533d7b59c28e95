"""The per-message failure boundary: whatever one message's bytes do, only that message degrades.

The decoders are meant never to raise for mail, but mail is built by attackers and by broken
programs (500 nested ``(`` make the stdlib address parser raise ``RecursionError``). So every
value derived from one message goes through one of the two functions here, which turn *any*
exception into a degraded result for that message alone, with the reason in words:

* :func:`summarize_headers_safely` for the list row: each field is retried on its own, so a
  broken ``From`` still leaves the subject and the date; what failed shows as written.
* :func:`render_message_safely` for the preview and ``tui-mail render``: the headers that can
  still be read, what failed, then the message's source as (sanitised) text.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TypeVar

from tui_mail.mail.addresses import format_addresses, parse_addresses
from tui_mail.mail.dates import format_date, parse_date
from tui_mail.mail.encoded_words import decode_encoded_words, decode_header_bytes
from tui_mail.mail.headers import (
    SENDER_LIMIT,
    SUBJECT_LIMIT,
    HeaderSummary,
    _wanted_fields,
    one_line,
    summarize_headers,
    summary_of_fields,
)
from tui_mail.mail.limits import DEFAULT_LIMITS, Limits
from tui_mail.mail.model import RenderedMessage
from tui_mail.mail.sanitize import sanitize_text
from tui_mail.mail.source import RawMessage
from tui_mail.wording import format_size

#: Of a message that cannot be rendered, this much of its source is shown as text.
SOURCE_SHOWN_BYTES = 256 << 10
#: Of a header block, this much is searched for the fields a degraded view shows.
HEADER_SCAN_BYTES = 256 << 10

_T = TypeVar("_T")


def _why(error: BaseException) -> str:
    """The failure in words; the exception's own text may quote mail, so only its type."""
    if isinstance(error, RecursionError):
        return "nested too deeply to parse (RecursionError)"
    if isinstance(error, MemoryError):
        return "too large to parse (MemoryError)"
    return f"could not be decoded ({type(error).__name__})"


def _attempt(label: str, action: Callable[[], _T], fallback: _T, problems: list[str]) -> _T:
    try:
        return action()
    except Exception as error:
        problems.append(f"{label}: {_why(error)}; shown as written")
        return fallback


def _as_written(raw: bytes, limit: int) -> str:
    return one_line(raw[: limit * 4].decode("utf-8", "replace"), limit)


def _sender(raw: bytes) -> tuple[str, str]:
    pairs, _problems = parse_addresses(raw)
    if not pairs:
        return "", ""
    name, address = pairs[0]
    return one_line(name or address, SENDER_LIMIT), one_line(address, SENDER_LIMIT)


def _subject(raw: bytes) -> str:
    text, _problems = decode_header_bytes(raw)
    return one_line(decode_encoded_words(text)[0], SUBJECT_LIMIT)


def _date(raw: bytes) -> datetime | None:
    return parse_date(raw.decode("ascii", "replace"))


def summarize_headers_safely(raw_headers: bytes) -> tuple[HeaderSummary, str]:
    """The list row of one header block, and what could not be read ("" when all was fine)."""
    try:
        return summarize_headers(raw_headers), ""
    except Exception as error:
        first_failure = error
    problems: list[str] = []
    try:
        found = _wanted_fields(raw_headers[:HEADER_SCAN_BYTES])
    except Exception as error:
        return HeaderSummary(None, "", "", "", None), f"headers: {_why(error)}"
    sender = from_address = subject = ""
    date = None
    if b"from" in found:
        raw_from = found[b"from"]
        written = _as_written(raw_from, SENDER_LIMIT)
        sender, from_address = _attempt("From", lambda: _sender(raw_from), (written, ""), problems)
    if b"subject" in found:
        raw_subject = found[b"subject"]
        written = _as_written(raw_subject, SUBJECT_LIMIT)
        subject = _attempt("Subject", lambda: _subject(raw_subject), written, problems)
    if b"date" in found:
        raw_date = found[b"date"]
        date = _attempt("Date", lambda: _date(raw_date), None, problems)
    if not problems:
        problems.append(f"headers: {_why(first_failure)}")
    return HeaderSummary(date, sender, subject, from_address, None), "; ".join(problems)


def summarize_fields_safely(
    raw_headers: bytes, found: dict[bytes, bytes]
) -> tuple[HeaderSummary, str]:
    """:func:`summarize_headers_safely` from fields another scan found in ``raw_headers``.

    ``found`` must be what ``_wanted_fields`` gives for the block; the Message-ID is left
    out (None). A failure takes the usual route, so the row degrades exactly as there.
    """
    try:
        return summary_of_fields(found, message_id=False), ""
    except Exception:
        return summarize_headers_safely(raw_headers)


def render_message_safely(
    raw: RawMessage,
    *,
    prefer_html: bool = False,
    tz: tzinfo | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> RenderedMessage:
    """:func:`render_message`, or, if it fails on this message, a degraded view of it.

    The degraded view keeps the headers that can still be read, says what failed, and shows
    the first :data:`SOURCE_SHOWN_BYTES` of the source as text (``S`` saves all of it).
    """
    from tui_mail.mail.render import render_message  # late: the list needs no HTML parser

    try:
        return render_message(raw, prefer_html=prefer_html, tz=tz, limits=limits)
    except Exception as error:
        failure = error
    source, total = _source_of(raw)
    return degraded_view(source, total, failure, tz)


def _source_of(raw: RawMessage) -> tuple[bytes, int | None]:
    """The first bytes of the message (re-read from the start), and its size when known."""
    if isinstance(raw, bytes | bytearray | memoryview):
        data = bytes(raw)
        return data[:SOURCE_SHOWN_BYTES], len(data)
    try:
        raw.seek(0, io.SEEK_END)
        total: int | None = raw.tell()
        raw.seek(0)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return b"", None  # a pipe already read: nothing more to show
    data = raw.read(SOURCE_SHOWN_BYTES)
    return (data if isinstance(data, bytes) else bytes(data or b"")), total


def degraded_view(
    source: bytes, total: int | None, failure: BaseException, tz: tzinfo | None
) -> RenderedMessage:
    """Headers that can still be read, the reason, and the source as sanitised text."""
    reason = _why(failure)
    problems: list[str] = [f"could not show this message normally: {reason}"]
    end = source.find(b"\r\n\r\n")
    if end < 0:
        end = source.find(b"\n\n")
    header_block = source if end < 0 else source[:end]
    nothing: dict[bytes, bytes] = {}
    found = _attempt("headers", lambda: _wanted_fields(header_block + b"\n\n"), nothing, problems)
    labels = {b"from": "From", b"subject": "Subject", b"date": "Date"}
    shown: dict[bytes, str] = {}
    for name, label in labels.items():
        if name in found:
            shown[name] = _field_or_written(label, name, found[name], tz, problems)
    text = f"[This message could not be shown normally ({reason}); its source follows.]\n\n"
    text += source.decode("utf-8", "replace")
    if total is not None and total > len(source):
        text += (
            f"\n[the first {format_size(len(source))} of {format_size(total)} are shown;"
            " S saves the whole message]"
        )
    return RenderedMessage(
        from_=shown.get(b"from", ""),
        to="",
        cc="",
        date=None,
        date_text=shown.get(b"date", ""),
        subject=shown.get(b"subject", ""),
        body=sanitize_text(text),
        attachments=(),
        links=(),
        defects=tuple(sanitize_text(problem, single_line=True) for problem in problems),
    )


def _field_or_written(
    label: str, name: bytes, raw: bytes, tz: tzinfo | None, problems: list[str]
) -> str:
    written = _as_written(raw, DEFAULT_LIMITS.max_header_chars)
    return _attempt(label, lambda: _field_text(name, raw, tz), written, problems)


def _field_text(name: bytes, raw: bytes, tz: tzinfo | None) -> str:
    limit = DEFAULT_LIMITS.max_header_chars
    if name == b"from":
        pairs, _problems = parse_addresses(raw)
        return one_line(format_addresses(pairs), limit)
    if name == b"subject":
        return _subject(raw)
    parsed = _date(raw)
    return format_date(parsed, tz) if parsed is not None else _as_written(raw, 200)
