"""The message list: a Line-API widget that draws only the rows on screen.

``DataTable`` blocks the event loop for seconds with 100,000 rows and ``ListView`` far longer
(FIELD-NOTES §4). Here a row is rendered on demand by :meth:`render_line` from the model,
cached as a :class:`Strip`, and only the lines that changed are refreshed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui_mail.store.models import MessageSummary
from tui_mail.ui.bindings import LIST_BINDINGS
from tui_mail.ui.columns import (
    DELETE_MARK,
    LOCAL_MARK,
    PREVIEW_MARK,
    PROBLEM_MARK,
    TAG_MARK,
    UNREAD_MARK,
    Columns,
    align_right,
    column_layout,
    fit_cells,
    format_date,
)
from tui_mail.ui.list_model import MessageListModel
from tui_mail.ui.safe_text import one_line
from tui_mail.wording import format_size

Clock = Callable[[], datetime]

_RowCacheKey = tuple[MessageSummary, int, bool, bool, bool, date, int]


def local_now() -> datetime:
    """The current local time, timezone-aware (dates are shown in the user's zone)."""
    return datetime.now().astimezone()


class MessageList(ScrollView, can_focus=True, inherit_bindings=False):
    """Rows of :class:`MessageListModel`, newest first, with a cursor.

    The app mutates the model and then calls :meth:`model_changed`; the widget never talks to
    the session. Moving the cursor only moves the cursor: it never downloads or marks read.
    """

    BINDINGS: ClassVar[list[BindingType]] = list(LIST_BINDINGS)

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "message-list--cursor",
        "message-list--unread",
        "message-list--marked",
        "message-list--mark",
        "message-list--meta",
        "message-list--previewed",
    }

    DEFAULT_CSS = """
    MessageList {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        background: $surface;
        & > .message-list--cursor {
            color: $block-cursor-blurred-foreground;
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .message-list--cursor {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: $block-cursor-text-style;
        }
        & > .message-list--unread { text-style: bold; }
        & > .message-list--marked { color: $error; }
        & > .message-list--mark { color: $accent; }
        & > .message-list--meta { color: $text-muted; }
        & > .message-list--previewed { color: $accent; text-style: bold; }
    }
    """

    def __init__(
        self,
        model: MessageListModel,
        *,
        clock: Clock = local_now,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.model = model
        self._clock = clock
        self._cursor = 0
        self._cursor_uid: str | None = None
        self._previewed_uid: str | None = None
        self._row_cache: LRUCache[_RowCacheKey, Strip] = LRUCache(1024)
        self._style_generation = 0
        self._today = clock().date()

    # -- what the app reads ------------------------------------------------------------------

    @property
    def cursor_index(self) -> int:
        return self._cursor

    @property
    def highlighted(self) -> MessageSummary | None:
        """The row under the cursor (None when the list is empty)."""
        if not len(self.model):
            return None
        return self.model.row_at(self._cursor)

    @property
    def previewed_uid(self) -> str | None:
        """The message the preview shows (or is loading): its row carries PREVIEW_MARK."""
        return self._previewed_uid

    @property
    def row_width(self) -> int:
        """Cells available to a row (the widget minus its scrollbar)."""
        return self.scrollable_content_region.width

    # -- what the app calls ------------------------------------------------------------------

    def model_changed(self, *, top_if_gone: bool = False, keep_place: bool = False) -> None:
        """Rows were added, changed, removed, re-sorted or filtered: follow the cursor's UID.

        A cursor on the first row stays on the first row, so new mail arriving above it is
        seen at once; anywhere else it stays on the same message. With ``keep_place`` (the
        user changed the filter or the sort) it stays on the same message wherever that is.
        If that message is gone the cursor keeps its position (the next message), or with
        ``top_if_gone`` (a new filter) goes to the first row.
        """
        count = len(self.model)
        if (self._cursor != 0 or keep_place) and self._cursor_uid is not None:
            index = self.model.index_of(self._cursor_uid)
            if index is not None:
                self._cursor = index
            elif top_if_gone:
                self._cursor = 0
        self._cursor = max(0, min(self._cursor, count - 1))
        self._cursor_uid = self.model.uid_at(self._cursor) if count else None
        self.virtual_size = Size(self.row_width, count)
        self._scroll_cursor_into_view()
        self.refresh()

    def tags_changed(self) -> None:
        """Tags were added or removed (``model.tags``): redraw the rows on screen."""
        self.refresh()

    def set_previewed(self, uid: str | None) -> None:
        """Mark the row the preview shows, so the preview and the cursor never drift apart."""
        old, self._previewed_uid = self._previewed_uid, uid
        for changed in (old, uid):
            index = self.model.index_of(changed) if changed is not None else None
            if index is not None:
                self.refresh_line(index)

    def select_uid(self, uid: str) -> bool:
        index = self.model.index_of(uid)
        if index is None:
            return False
        self.move_cursor_to(index)
        return True

    def move_cursor_to(self, index: int) -> None:
        count = len(self.model)
        if not count:
            return
        old = self._cursor
        self._cursor = max(0, min(index, count - 1))
        self._cursor_uid = self.model.uid_at(self._cursor)
        self.refresh_line(old)
        self.refresh_line(self._cursor)
        self._scroll_cursor_into_view()

    def move_cursor(self, delta: int) -> None:
        self.move_cursor_to(self._cursor + delta)

    # -- actions (bound in bindings.LIST_BINDINGS) ---------------------------------------------

    def action_cursor_down(self) -> None:
        self.move_cursor(1)

    def action_cursor_up(self) -> None:
        self.move_cursor(-1)

    def action_cursor_first(self) -> None:
        self.move_cursor_to(0)

    def action_cursor_last(self) -> None:
        self.move_cursor_to(len(self.model) - 1)

    def action_cursor_page_down(self) -> None:
        self.move_cursor(max(1, self.scrollable_content_region.height - 1))

    def action_cursor_page_up(self) -> None:
        self.move_cursor(-max(1, self.scrollable_content_region.height - 1))

    # -- drawing -----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        """Theme or focus changed: cached rows carry the old colours."""
        super().notify_style_update()
        self._style_generation += 1
        self._row_cache.clear()

    def _on_focus(self, event: events.Focus) -> None:
        self._style_generation += 1
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self._style_generation += 1
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.row_width, len(self.model))
        self._scroll_cursor_into_view()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None:
            self.move_cursor_to(self.scroll_offset.y + offset.y)

    def refresh_today(self) -> None:
        """Redraw dates when the day changes ("today" shows times, other days dates)."""
        today = self._clock().date()
        if today != self._today:
            self._today = today
            self.refresh()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.row_width
        if index >= len(self.model) or width <= 0:
            return Strip.blank(width, self.rich_style)
        row = self.model.row_at(index)
        is_cursor = index == self._cursor
        previewed = row.uid == self._previewed_uid
        tagged = row.uid in self.model.tags
        key = (row, width, is_cursor, previewed, tagged, self._today, self._style_generation)
        strip = self._row_cache.get(key)
        if strip is None:
            strip = self._render_row(row, width, is_cursor, previewed, tagged)
            self._row_cache[key] = strip
        return strip

    def _render_row(
        self,
        row: MessageSummary,
        width: int,
        is_cursor: bool,
        previewed: bool = False,
        tagged: bool = False,
    ) -> Strip:
        """One row as segments: mail text is never parsed as markup, only measured and cut."""
        columns = column_layout(width)
        base = self.rich_style
        row_style = base
        if row.unread:
            row_style += self.get_component_rich_style("message-list--unread", partial=True)
        if row.marked_delete:
            row_style += self.get_component_rich_style("message-list--marked", partial=True)
        cursor = (
            self.get_component_rich_style("message-list--cursor", partial=True)
            if is_cursor
            else Style()
        )
        mark_style = self.get_component_rich_style("message-list--mark", partial=True)
        meta_style = self.get_component_rich_style("message-list--meta", partial=True)
        if row.marked_delete:
            meta_style = Style()
        try:
            cells = _row_cells(row, columns, self._clock(), tagged)
        except Exception as error:  # one row that cannot be drawn stays one odd row
            cells = _broken_row_cells(row, columns, error)
        styles = (mark_style, row_style, meta_style, Style(), Style(), meta_style)
        segments: list[Segment] = []
        previewed_style = self.get_component_rich_style("message-list--previewed", partial=True)
        for number, (text, extra) in enumerate(zip(cells, styles, strict=True)):
            if number == 2 and previewed:  # the gap between the marks and the date
                segments.append(Segment(PREVIEW_MARK, row_style + previewed_style + cursor))
            elif number:
                segments.append(Segment(" ", row_style + cursor))
            segments.append(Segment(text, row_style + extra + cursor))
        strip = Strip(segments, columns.total)
        return strip.adjust_cell_length(width, base + row_style + cursor)

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = round(self.scroll_offset.y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False)


def _row_cells(
    row: MessageSummary, columns: Columns, now: datetime, tagged: bool = False
) -> tuple[str, ...]:
    """The six cell texts of a row, each exactly its column's width."""
    sender = one_line(row.sender) if row.headers_loaded else ""
    subject = one_line(row.subject) if row.headers_loaded else "…"
    return (
        fit_cells(UNREAD_MARK if row.unread else "", columns.unread),
        fit_cells(_mark(row, tagged), columns.delete),
        fit_cells(format_date(row.date, now), columns.date),
        fit_cells(sender, columns.sender),
        fit_cells(subject, columns.subject),
        align_right(format_size(row.size, compact=True), columns.size),
    )


def _mark(row: MessageSummary, tagged: bool = False) -> str:
    """``D`` marked for deletion, else ``*`` tagged, else ``!`` when part of the message
    could not be read, else ``L`` when only the local copy is left."""
    if row.marked_delete:
        return DELETE_MARK
    if tagged:
        return TAG_MARK
    if row.problem:
        return PROBLEM_MARK
    return LOCAL_MARK if row.local_only else ""


def _broken_row_cells(row: MessageSummary, columns: Columns, error: Exception) -> tuple[str, ...]:
    """A row whose fields defeat the formatting: a mark and the reason, in our words only."""
    return (
        fit_cells(UNREAD_MARK if row.unread else "", columns.unread),
        fit_cells(PROBLEM_MARK, columns.delete),
        fit_cells("", columns.date),
        fit_cells("", columns.sender),
        fit_cells(f"(this row cannot be shown: {type(error).__name__})", columns.subject),
        fit_cells("", columns.size),
    )
