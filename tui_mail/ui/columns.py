"""Column layout and cell formatting shared by the message list and its header line.

Everything here measures terminal *cells* (``rich.cells``), not characters: a Japanese subject
is two cells per character and must be cut between characters, never through one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size

ELLIPSIS = "…"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

UNREAD_MARK = "●"
DELETE_MARK = "D"
PREVIEW_MARK = "▸"  # in the gap before the date: the row the preview shows
TAG_MARK = "*"  # tagged (t): what S saves as one mbox
PROBLEM_MARK = "!"  # part of the message could not be read (the preview says what)
LOCAL_MARK = "L"  # only on this machine: the server no longer has it
DATE_WIDTH = 10  # "YYYY-MM-DD"
SIZE_WIDTH = 5  # "1023K"


@dataclass(frozen=True, slots=True)
class Columns:
    """Cell widths of one row; a one-cell gap follows every column but the last."""

    unread: int
    delete: int
    date: int
    sender: int
    subject: int
    size: int

    @property
    def total(self) -> int:
        return self.unread + self.delete + self.date + self.sender + self.subject + self.size + 5


def column_layout(width: int) -> Columns:
    """Widths for a row ``width`` cells wide: the subject takes what the others leave."""
    fixed = 1 + 1 + DATE_WIDTH + SIZE_WIDTH + 5
    flexible = max(0, width - fixed)
    sender = min(24, max(8, flexible // 3)) if flexible >= 16 else flexible // 2
    subject = max(0, flexible - sender)
    return Columns(1, 1, DATE_WIDTH, sender, subject, SIZE_WIDTH)


def fit_cells(text: str, width: int) -> str:
    """``text`` cut or padded to exactly ``width`` cells, with ``…`` where it was cut.

    A double-width character that would straddle the cut is replaced by a space, so no half
    character is ever drawn.
    """
    if width <= 0:
        return ""
    length = cell_len(text)
    if length <= width:
        return text + " " * (width - length)
    return set_cell_size(text, width - 1) + ELLIPSIS


def align_right(text: str, width: int) -> str:
    """``text`` right-aligned in ``width`` cells (cut from the left if it is too long)."""
    length = cell_len(text)
    if length >= width:
        return fit_cells(text, width)
    return " " * (width - length) + text


def format_date(when: datetime | None, now: datetime) -> str:
    """Today: ``HH:MM``; this year: ``Mon DD``; older or future years: ``YYYY-MM-DD``.

    Month names are fixed English abbreviations, not ``strftime`` (which follows the locale
    and may return wide or odd-length names that break the column).
    """
    if when is None:
        return ""
    try:
        local = when.astimezone(now.tzinfo) if when.tzinfo is not None else when
    except (OverflowError, ValueError, OSError):
        local = when  # 9999-12-31 east of UTC, year 1 west of it: shown in its own zone
    if local.date() == now.date():
        return f"{local.hour:02d}:{local.minute:02d}"
    if local.year == now.year:
        return f"{_MONTHS[local.month - 1]} {local.day:02d}"
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
