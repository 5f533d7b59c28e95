"""How much a server may send, and for how long: everything is bounded by what it announced.

A server (or anyone on a ``tls = "none"`` link, or before STLS) can answer endlessly, hugely
or slowly. Each answer is therefore read against a byte bound derived from what the server
said earlier in the same session, and each command against a deadline for its whole answer
(not only for silence), so a trickle of one byte a second cannot keep a session alive:

* small answers (CAPA): :data:`SMALL_ANSWER_BYTES`;
* LIST and UIDL: STAT's message count plus :data:`LISTING_SLACK_LINES` lines, each
  :data:`LISTING_LINE_BYTES` on average;
* RETR and TOP: the size LIST announced, times two (servers that count LF-only sizes send up
  to twice that as CRLF), plus :data:`SIZE_SLACK_BYTES`; of a TOP answer only
  :data:`TOP_KEEP_BYTES` are kept;
* deadlines: the idle timeout for a single-line answer; plus the announced size at
  :data:`MIN_RATE_BYTES_PER_SECOND` for a long one.
"""

from __future__ import annotations

from typing import Final

#: CAPA and other answers that are a few hundred bytes from every real server.
SMALL_ANSWER_BYTES: Final = 64 * 1024
#: LIST/UIDL may hold this many lines more than STAT counted (mail arriving meanwhile).
LISTING_SLACK_LINES: Final = 16
#: Average bytes per LIST/UIDL line allowed: "123456 " plus a UID (70 characters by RFC).
LISTING_LINE_BYTES: Final = 512
#: A listing longer than this many lines is refused whatever STAT says (memory stays bounded).
MAX_LISTING_LINES: Final = 1_000_000
#: Added to twice the announced size of a message.
SIZE_SLACK_BYTES: Final = 64 * 1024
#: Of a TOP answer, a little more than the store keeps of a header block (it notes the cut).
TOP_KEEP_BYTES: Final = 256 * 1024 + 1
#: Sizes and counts above this are not believed; they are clamped (SQLite stores 64 bits).
MAX_ANNOUNCED: Final = 10**15 - 1
#: A long answer must arrive at least this fast on average (64 kbit/s), after the timeout.
MIN_RATE_BYTES_PER_SECOND: Final = 8 * 1024


def message_bound(announced_size: int) -> int:
    """Bytes a RETR or TOP answer may hold for a message LISTed as ``announced_size``."""
    return 2 * max(0, announced_size) + SIZE_SLACK_BYTES


def listing_bound(count: int) -> tuple[int, int]:
    """(lines, bytes) a LIST or UIDL answer may hold when STAT counted ``count`` messages."""
    lines = min(max(0, count), MAX_LISTING_LINES) + LISTING_SLACK_LINES
    return lines, lines * LISTING_LINE_BYTES


def transfer_deadline(timeout: float, announced_bytes: int) -> float:
    """Seconds a whole answer of about ``announced_bytes`` may take."""
    return timeout + max(0, announced_bytes) / MIN_RATE_BYTES_PER_SECOND


def announced_number(token: bytes) -> int:
    """A decimal token from the server, clamped to :data:`MAX_ANNOUNCED` (5,000 digits too)."""
    digits = token.lstrip(b"0") or b"0"
    if len(digits) > len(str(MAX_ANNOUNCED)):
        return MAX_ANNOUNCED
    return min(int(digits), MAX_ANNOUNCED)
