"""LIST and UIDL answers parsed into number -> size and number -> UID, I/O-free.

Every login reads both listings before the first row can be shown, so their parsing is on the
path that must not grow with the mailbox (issue 14): line by line it cost ~25 ms at 10,000
messages. A well-formed listing (``n size`` or ``n uid`` lines, one space, printable ASCII
UIDs: what servers send) is checked by one regular expression and split in a few C calls;
anything else takes the tolerant line-by-line parse, which gives the same answer for the
well-formed case and raises the same errors otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Final, TypeVar

from tui_mail.keys_first import step_aside
from tui_mail.pop3.bounds import MAX_ANNOUNCED, announced_number
from tui_mail.pop3.errors import ProtocolError

# At most as many digits as MAX_ANNOUNCED has, so the plain int() equals the clamped value.
_DIGITS: Final = len(str(MAX_ANNOUNCED))
_NUMBER: Final = rb"[1-9][0-9]{0,%d}" % (_DIGITS - 1)
_PLAIN_LIST: Final = re.compile(rb"(?:%s [0-9]{1,%d}\r\n)*" % (_NUMBER, _DIGITS))
_PLAIN_UIDL: Final = re.compile(rb"(?:%s [\x21-\x7e]+\r\n)*" % _NUMBER)
_T = TypeVar("_T")
_PIECE: Final = 1 << 14  # bytes of a listing checked and split in one C call (hundreds of lines)


def parse_sizes(data: bytes, max_number: int) -> dict[int, int]:
    """Message number -> size of a LIST answer; no number above ``max_number`` (STAT's)."""
    values: list[int] = []
    for piece in _line_pieces(data):
        if not _PLAIN_LIST.fullmatch(piece):
            break
        values.extend(map(int, piece.split()))
    else:
        return _by_number(values[0::2], values[1::2], "LIST", max_number)
    return {
        number: numbers_in(rest, 1, "LIST")[0]
        for number, rest in scan_listing(data, "LIST", max_number)
    }


def parse_uids(data: bytes, max_number: int) -> dict[int, str]:
    """Message number -> unique id of a UIDL answer (kept raw; tolerant of odd spacing)."""
    numbers: list[int] = []
    uids: list[str] = []
    for piece in _line_pieces(data):
        if not _PLAIN_UIDL.fullmatch(piece):
            break
        tokens = piece.decode("ascii").split()
        numbers.extend(map(int, tokens[0::2]))
        uids.extend(tokens[1::2])
    else:
        return _by_number(numbers, uids, "UIDL", max_number)
    return {
        number: unique_id(rest, "UIDL") for number, rest in scan_listing(data, "UIDL", max_number)
    }


def _line_pieces(data: bytes) -> Iterator[bytes]:
    """``data`` in pieces of about :data:`_PIECE` bytes, each cut just after a CRLF.

    Each C call on a whole 100,000-line listing (the check, the split, the int conversion)
    held the GIL for 15-35 ms at a stretch; on pieces, a key press waits for one piece at
    most (keys_first.py). A listing of whole lines matches exactly when each piece does.
    """
    start = 0
    while start < len(data):
        end = data.find(b"\r\n", start + _PIECE)
        end = len(data) if end < 0 else end + 2
        yield data[start:end]
        start = end
        step_aside()


def _by_number(numbers: list[int], values: list[_T], what: str, max_number: int) -> dict[int, _T]:
    if numbers and max(numbers) > max_number:
        raise ProtocolError(f"{what} names a message number STAT did not announce")
    return dict(zip(numbers, values, strict=True))


def scan_listing(data: bytes, what: str, max_number: int) -> Iterable[tuple[int, bytes]]:
    """(number, rest-of-line) for each line of a LIST/UIDL listing."""
    for line in data.split(b"\r\n")[:-1]:
        parts = line.split(None, 1)
        if len(parts) != 2 or not parts[0].isdigit():
            raise ProtocolError(f"malformed {what} line")
        number = announced_number(parts[0])
        if number > max_number:
            raise ProtocolError(f"{what} names a message number STAT did not announce")
        yield number, parts[1].strip()


def numbers_in(raw: bytes, count: int, what: str) -> list[int]:
    """The first ``count`` numbers of a line like ``+OK 3 1200`` or ``3 1200``.

    Absurd numbers (above 2^63, or 5,000 digits) are clamped, not trusted nor crashed on.
    """
    tokens = [token for token in raw.split() if token.isdigit()][:count]
    if len(tokens) < count:
        raise ProtocolError(f"malformed {what} answer")
    return [announced_number(token) for token in tokens]


def unique_id(raw: bytes, what: str) -> str:
    """UIDs are printable ASCII by RFC; latin-1 keeps anything else lossless and storable."""
    uid = raw.strip()
    if not uid:
        raise ProtocolError(f"empty unique id in {what}")
    # NUL separates the parts of the store's keys: a UID never holds one (U+FFFD stands in,
    # which latin-1 never yields, so two UIDs stay two).
    return uid.decode("latin-1").replace("\0", "\ufffd")
