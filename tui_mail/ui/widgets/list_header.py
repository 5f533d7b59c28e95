"""The line above the message list: column titles, the sort order and the active filter."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from tui_mail.ui.columns import align_right, column_layout, fit_cells
from tui_mail.ui.list_model import SortOrder
from tui_mail.ui.safe_text import one_line

_SORTED_COLUMN = {SortOrder.DATE: "Date", SortOrder.SENDER: "From", SortOrder.SIZE: "Size"}


def header_text(width: int, order: SortOrder, filter_text: str) -> str:
    """The header as plain text; the filter is user input, so it is only measured, never parsed."""
    columns = column_layout(width)
    arrow = {
        name: (name + "▼" if _SORTED_COLUMN.get(order) == name else name)
        for name in ("Date", "From", "Size")
    }
    notes = f"sort: {order.value}"
    if filter_text:
        notes = f"filter: {one_line(filter_text)} · {notes}"
    subject_title = "Subject"
    room = columns.subject - cell_len(subject_title) - 1
    if room > 0:
        subject_title += " " + align_right(notes, room)
    parts = (
        fit_cells("", columns.unread),
        fit_cells("", columns.delete),
        fit_cells(arrow["Date"], columns.date),
        fit_cells(arrow["From"], columns.sender),
        fit_cells(subject_title, columns.subject),
        align_right(arrow["Size"], columns.size),
    )
    return fit_cells(" ".join(parts), width)


class ListHeader(Widget):
    """Column titles aligned with the rows below; redrawn when the sort or filter changes."""

    DEFAULT_CSS = """
    ListHeader {
        height: 1;
        background: $panel;
        color: $text-muted;
        text-style: bold;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.order = SortOrder.DATE
        self.filter_text = ""

    def show(self, *, order: SortOrder, filter_text: str) -> None:
        if (order, filter_text) != (self.order, self.filter_text):
            self.order, self.filter_text = order, filter_text
            self.refresh()

    def render(self) -> Text:
        # The list below always keeps one column for its scrollbar (scrollbar-gutter: stable).
        width = max(0, self.size.width - 1)
        return Text(header_text(width, self.order, self.filter_text), no_wrap=True, end="")
