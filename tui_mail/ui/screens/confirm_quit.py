"""The question asked when quitting with messages marked for deletion."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_mail.wording import plural

QuitChoice = Literal["delete", "keep"]


def quit_question(count: int) -> str:
    """The exact wording users (and tests) see."""
    return f"Delete {plural(count, 'message')} from the server and quit?"


class ConfirmQuit(ModalScreen[QuitChoice | None]):
    """y: delete then quit; n: quit and keep everything; Esc: stay (dismisses with None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "choose('delete')", "Delete and quit", id="confirm_quit.yes"),
        Binding("n", "choose('keep')", "Quit, keep everything", id="confirm_quit.no"),
        Binding("escape", "stay", "Stay", id="confirm_quit.stay"),
    ]

    DEFAULT_CSS = """
    ConfirmQuit {
        align: center middle;
        & > #dialog {
            width: 60;
            max-width: 100%;
            height: auto;
            padding: 1 2;
            border: thick $error;
            background: $surface;
        }
        & #choices { color: $text-muted; margin-top: 1; }
    }
    """

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content(quit_question(self.count)), id="question")
            yield Static(
                Content("y  delete and quit    n  quit, keep all    Esc  stay"), id="choices"
            )

    def action_choose(self, choice: QuitChoice) -> None:
        self.dismiss(choice)

    def action_stay(self) -> None:
        self.dismiss(None)
