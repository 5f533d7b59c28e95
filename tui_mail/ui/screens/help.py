"""The ``?`` screen: every key, generated from the binding lists and the user's keymap.

Each line also names the binding's id, the name a ``[keys]`` table in the config uses to
rebind it, so the help is the reference for remapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
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


def help_text(entries: Sequence[HelpEntry], key_display: dict[str, str]) -> Text:
    """The help as Text; ``key_display`` maps a key name to how it is shown (``^f``).

    Each line: the keys, what they do, and (dimmed) the binding id for ``[keys]``.
    """
    text = Text(end="")
    section = ""
    rows = [
        (entry, ", ".join(key_display.get(key, key) for key in entry.keys)) for entry in entries
    ]
    width = max((len(keys) for _, keys in rows), default=0) + 2
    for entry, keys in rows:
        if entry.section != section:
            section = entry.section
            if text:
                text.append("\n")
            text.append(f"{section}\n", style=_TITLE)
        text.append(f"  {keys.ljust(width)}", style=Style(bold=True))
        text.append(entry.description)
        text.append(f"  {entry.binding_id}\n", style=Style(dim=True))
    text.append("\n")
    for note in NOTES:
        text.append(f"{note}\n", style=Style(italic=True))
    return text


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
