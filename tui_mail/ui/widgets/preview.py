"""The preview pane: the rendered message as wrapped plain text, drawn line by line.

Mail text only ever becomes a :class:`rich.text.Text` (never markup). It is wrapped once per
width into a list of lines, and :meth:`render_line` draws only what is on screen.
"""

from __future__ import annotations

import re
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui_mail.ui.bindings import PREVIEW_BINDINGS
from tui_mail.ui.safe_text import multi_line

MAX_PREVIEW_CHARS = 200_000  # wrapping ~200 KB takes ~0.1 s; more would stall the UI
_HEADER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:")


def preview_text(rendered: str) -> Text:
    """Sanitised, size-capped text with header names in bold; safe to build off the loop."""
    text = multi_line(rendered)
    note = ""
    if len(text) > MAX_PREVIEW_CHARS:
        note = (
            f"\n\n[preview shows the first {MAX_PREVIEW_CHARS:,} of {len(text):,} characters;"
            " S saves the whole message]"
        )
        text = text[:MAX_PREVIEW_CHARS]
    result = Text(text + note, no_wrap=False, end="")
    offset = 0
    for line in text.split("\n"):
        if not line:
            break  # headers end at the first empty line
        match = _HEADER_NAME.match(line)
        if match:
            result.stylize(Style(bold=True), offset, offset + match.end())
        offset += len(line) + 1
    if note:
        result.stylize(Style(italic=True), len(text))
    return result


class Preview(ScrollView, can_focus=True, inherit_bindings=False):
    """Shows one message (or a short status text such as "Loading…")."""

    BINDINGS: ClassVar[list[BindingType]] = list(PREVIEW_BINDINGS)

    DEFAULT_CSS = """
    Preview {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        background: $surface;
        border-top: solid $panel-lighten-2;
        &:focus { border-top: solid $accent; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.uid: str | None = None
        self._text = Text("")
        self._lines: list[Text] = []
        self._wrapped_width = -1
        self._strips: LRUCache[tuple[int, int], Strip] = LRUCache(512)

    @property
    def plain_lines(self) -> list[str]:
        """The wrapped lines as plain text (what tests read)."""
        return [line.plain for line in self._lines]

    def show_text(self, text: Text, *, uid: str | None) -> None:
        """Replace the content and scroll to the top."""
        self.uid = uid
        self._text = text
        self._wrapped_width = -1
        self.scroll_to(0, 0, animate=False)
        self._rewrap()

    def show_status(self, message: str) -> None:
        """A short line of our own (not mail text), e.g. while a body downloads."""
        self.show_text(Text(message, style=Style(italic=True), end=""), uid=None)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def action_page_up(self) -> None:
        self.scroll_page_up(animate=False)

    def action_scroll_home(self) -> None:
        self.scroll_home(animate=False)

    def action_scroll_end(self) -> None:
        self.scroll_end(animate=False)

    def on_resize(self, event: events.Resize) -> None:
        self._rewrap()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def _rewrap(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or width == self._wrapped_width:
            return
        self._wrapped_width = width
        self._lines = list(self._text.wrap(self.app.console, width, overflow="fold", tab_size=8))
        self._strips.clear()
        self.virtual_size = Size(width, len(self._lines))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        if index >= len(self._lines) or width != self._wrapped_width:
            return Strip.blank(width, self.rich_style)
        strip = self._strips.get((index, width))
        if strip is None:
            line = self._lines[index]
            segments = list(line.render(self.app.console))
            strip = Strip(segments).adjust_cell_length(width).apply_style(self.rich_style)
            self._strips[(index, width)] = strip
        return strip
