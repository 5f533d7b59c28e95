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


def what_goes(count: int, local: int = 0) -> str:
    """``3 messages from the server``, ``2 local copies``, or both, counted apart."""
    server = f"{plural(count, 'message')} from the server"
    copies = plural(local, "local copy", "local copies")
    if not local:
        return server
    return f"{count} from the server and {copies}" if count else copies


def quit_question(count: int, local: int = 0) -> str:
    """The exact wording users (and tests) see; ``local``: copies only on this machine."""
    return f"Delete {what_goes(count, local)} and quit?"


def purge_question(count: int, local: int = 0) -> str:
    """``$``: the same question without quitting (neomutt: "Purge N deleted messages?")."""
    return f"Delete {what_goes(count, local)} now?"


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

    def __init__(self, count: int, *, then_quit: bool = True, local: int = 0) -> None:
        super().__init__()
        self.count = count
        self.local = local  # marked messages only on this machine (their copy goes)
        self.then_quit = then_quit

    def compose(self) -> ComposeResult:
        if self.then_quit:
            question = quit_question(self.count, self.local)
            choices = "y  delete and quit    n  quit, keep all    Esc  stay"
        else:
            question = purge_question(self.count, self.local)
            choices = "y  delete now    n / Esc  keep them marked"
        with Vertical(id="dialog"):
            yield Static(Content(question), id="question")
            yield Static(Content(choices), id="choices")

    def action_choose(self, choice: QuitChoice) -> None:
        self.dismiss(choice)

    def action_stay(self) -> None:
        self.dismiss(None)
