"""The question asked before any deletion: on ``q`` with marked messages, and on ``$``.

Both ask in the same words and take the same keys (y / n / Esc), so nothing is ever deleted
by a single key press.
"""

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


def purge_question(count: int) -> str:
    """``$``: the same question without quitting (neomutt: "Purge N deleted messages?")."""
    return f"Delete {plural(count, 'message')} from the server now?"


class ConfirmQuit(ModalScreen[QuitChoice | None]):
    """y: delete then quit; n: quit and keep everything; Esc: stay (dismisses with None).

    With ``then_quit=False`` (``$``) it asks :func:`purge_question`: y deletes now, n and Esc
    keep the marks and stay.
    """

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

    def __init__(self, count: int, *, then_quit: bool = True) -> None:
        super().__init__()
        self.count = count
        self.then_quit = then_quit

    def compose(self) -> ComposeResult:
        if self.then_quit:
            question = quit_question(self.count)
            choices = "y  delete and quit    n  quit, keep all    Esc  stay"
        else:
            question = purge_question(self.count)
            choices = "y  delete now    n / Esc  keep them marked"
        with Vertical(id="dialog"):
            yield Static(Content(question), id="question")
            yield Static(Content(choices), id="choices")

    def action_choose(self, choice: QuitChoice) -> None:
        self.dismiss(choice)

    def action_stay(self) -> None:
        self.dismiss(None)
