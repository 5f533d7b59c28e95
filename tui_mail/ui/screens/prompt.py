"""The save-as prompt: a path prefilled with a safe default; never overwrites silently."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui_mail.ui.saving import unused_path


@dataclass(frozen=True)
class SaveChoice:
    path: Path
    overwrite: bool


class SavePrompt(ModalScreen[SaveChoice | None]):
    """Enter saves; an existing file needs a second Enter on the same path; Esc cancels.

    A directory is accepted: the file goes into it under the proposed name (numbered if taken).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    DEFAULT_CSS = """
    SavePrompt {
        align: center middle;
        & > #dialog {
            width: 90%;
            max-width: 100;
            height: auto;
            padding: 0 1;
            border: thick $accent;
            background: $surface;
        }
        & #error { color: $warning; }
    }
    """

    def __init__(self, title: Text, default: Path) -> None:
        """``title`` may contain mail text (a file name): it is a Text, never markup."""
        super().__init__()
        self._title = title
        self._default = default
        self._confirmed_overwrite: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title, id="title")
            yield Input(value=str(self._default), id="path", compact=True)
            yield Static(Text("Enter: save    Esc: cancel"), id="error")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value:
            return
        path = Path(value).expanduser()
        if path.is_dir():  # save into it under the proposed (safe) name, never over a file
            path = unused_path(path, self._default.name)
        if path.exists() and path != self._confirmed_overwrite:
            self._confirmed_overwrite = path
            self._say("That file exists: press Enter again to overwrite it, or change the name")
            return
        self.dismiss(SaveChoice(path, overwrite=path.exists()))

    def _say(self, message: str) -> None:
        self.query_one("#error", Static).update(Text(message))

    def action_cancel(self) -> None:
        self.dismiss(None)
