"""The reader's own password dialog: masked, in the app, never a getpass() under the screen.

Shown when the server refused the password ([AUTH]) or none is known. Enter logs in with what
was typed; Esc stays offline, with the cached list and bodies still there.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tui_mail.ui.safe_text import one_line


class PasswordPrompt(ModalScreen[str | None]):
    """Dismisses with the typed password, or None on Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Stay offline", id="password.cancel"),
    ]

    DEFAULT_CSS = """
    PasswordPrompt {
        align: center middle;
        & > #dialog {
            width: 70;
            max-width: 95%;
            height: auto;
            padding: 0 1;
            border: thick $warning;
            background: $surface;
        }
        & #password-title { text-style: bold; }
        & #password-help { color: $text-muted; }
        & #password-row { height: 1; margin: 1 0; }
        & #password-row Input { width: 1fr; background: $boost; }
    }
    """

    def __init__(self, prompt: str, account: str) -> None:
        super().__init__()
        self._prompt = prompt
        self._account = account

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content(one_line(self._prompt)), id="password-title")
            with Horizontal(id="password-row"):
                yield Label(Content("Password: "))
                yield Input(password=True, id="password-input", compact=True)
            yield Static(
                Content(f"{one_line(self._account)}   Enter: log in    Esc: stay offline"),
                id="password-help",
            )

    def on_mount(self) -> None:
        self.query_one("#password-input", Input).focus()

    def update_prompt(self, prompt: str) -> None:
        """A second request while open (e.g. the retyped one was refused too)."""
        self._prompt = prompt
        self.query_one("#password-title", Static).update(Content(one_line(prompt)))
        self.query_one("#password-input", Input).value = ""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value:
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
