"""The ``?`` screen: every key, generated from the binding lists and the user's keymap.

Each line also names the binding's id, the name a ``[keys]`` table in the config uses to
rebind it, so the help is the reference for remapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_mail.ui.bindings import HelpEntry

NOTES = (
    "Moving the cursor never downloads a message and never marks it read: Enter does.",
    "Marked messages are deleted only when you quit with q and answer y, or press $ and y.",
    "New mail: c (r replies, as in mutt). Unsent drafts: P.",
    "Ctrl+P opens the command palette with every action.",
    'Rebind a key in the config file: [keys] then ID = "key[,key]", e.g. mail.delete = "D".',
)


def help_text(entries: Sequence[HelpEntry], key_display: dict[str, str]) -> Group:
    """The help; ``key_display`` maps a key name to how it is shown (``^f``)."""
    parts: list[RenderableType] = []
    table: Table | None = None
    section = ""
    for entry in entries:
        if entry.section != section or table is None:
            section = entry.section
            parts.append(Text(f"\n{section}" if parts else section, style=_TITLE))
            table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
            table.add_column("keys", style=Style(bold=True), no_wrap=True)
            table.add_column("action and id", ratio=1)
            parts.append(table)
        keys = ", ".join(key_display.get(key, key) for key in entry.keys)
        action = Text(entry.description)
        action.append(f"  {entry.binding_id}", style=Style(dim=True))
        table.add_row(Text(keys), action)
    parts.append(Text(""))
    parts.extend(Text(note, style=Style(italic=True)) for note in NOTES)
    return Group(*parts)


_TITLE = Style(bold=True, underline=True)


class HelpScreen(ModalScreen[None]):
    """Scrollable list of keys; Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close help", id="help.close"),
        Binding("j,down", "scroll('down')", show=False),
        Binding("k,up", "scroll('up')", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 100%;
            max-width: 100;
            height: 100%;
            border: thick $accent;
            background: $surface;
            padding: 0 1;
        }
    }
    """

    def __init__(self, text: RenderableType) -> None:
        super().__init__()
        self._text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(self._text, id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        if direction == "down":
            body.scroll_down(animate=False)
        else:
            body.scroll_up(animate=False)
