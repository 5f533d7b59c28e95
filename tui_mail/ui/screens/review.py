"""After the editor: what will be sent, and y / e / a / p / q to decide (fits 80x24).

Everything shown here (addresses, subject, file names) may come from a received message, so
it goes into ``Text`` objects, never markup.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from tui_mail.compose.draft import Draft
from tui_mail.ui.bindings import REVIEW_BINDINGS
from tui_mail.ui.safe_text import one_line
from tui_mail.wording import format_size

ReviewChoice = Literal["send", "edit", "attach", "detach", "postpone", "abandon"]
MAX_SHOWN_ATTACHMENTS = 6


@dataclass(frozen=True)
class ReviewInfo:
    """What the review screen shows besides the draft itself."""

    draft: Draft
    size: int
    charset: str = "UTF-8"
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _short(text: str, limit: int) -> str:
    line = one_line(text)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def review_text(info: ReviewInfo) -> Text:
    """The summary: recipients, subject, attachments, size, then problems and notes."""
    draft = info.draft
    text = Text(end="")
    label = Style(bold=True)
    for name, value in (
        ("From", draft.from_),
        ("To", draft.to),
        ("Cc", draft.cc),
        ("Bcc", draft.bcc),
        ("Reply-To", draft.reply_to),
        ("Subject", draft.subject),
    ):
        if value or name in ("To", "Subject"):
            text.append(f"{name + ':':<10}", style=label)
            text.append(_short(value, 200) if value else "(empty)")
            text.append("\n")
    body_lines = draft.body.count("\n") + (0 if draft.body.endswith("\n") else 1)
    text.append(f"{'Body:':<10}", style=label)
    text.append(f"{body_lines} lines\n")
    if draft.attachments:
        text.append(f"{'Attached:':<10}", style=label)
        text.append(f"{len(draft.attachments)}\n")
        for item in draft.attachments[:MAX_SHOWN_ATTACHMENTS]:
            text.append(f"  {_short(item.filename, 50)}  {item.content_type}  ")
            text.append(f"{format_size(item.size)}\n")
        if len(draft.attachments) > MAX_SHOWN_ATTACHMENTS:
            text.append(f"  … and {len(draft.attachments) - MAX_SHOWN_ATTACHMENTS} more\n")
    text.append(f"{'Size:':<10}", style=label)
    text.append(f"{format_size(info.size)}, text in {info.charset}\n")
    if draft.failure:
        text.append("\nLast attempt failed: ", style=Style(bold=True, color="red"))
        text.append(_short(draft.failure, 300) + "\n")
    for problem in info.problems:
        text.append("\nCannot send: ", style=Style(bold=True, color="yellow"))
        text.append(_short(problem, 300) + "\n")
    for note in info.notes:
        text.append("\n" + _short(note, 300) + "\n", style=Style(italic=True))
    return text


KEY_LINE = "y send  e edit  a attach  D detach  p postpone  q abandon"


class ReviewScreen(ModalScreen[ReviewChoice]):
    """Dismisses with the choice; the app does the work (send, edit, attach, store)."""

    BINDINGS: ClassVar[list[BindingType]] = list(REVIEW_BINDINGS)

    DEFAULT_CSS = """
    ReviewScreen {
        align: center middle;
        & > #dialog {
            width: 100%;
            max-width: 100;
            height: auto;
            max-height: 100%;
            border: thick $accent;
            background: $surface;
            padding: 0 1;
        }
        & #summary { height: auto; max-height: 18; }
        & #keys { color: $text-muted; }
    }
    """

    def __init__(self, info: ReviewInfo, title: str) -> None:
        super().__init__()
        self.info = info
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self._title, style=Style(bold=True)), id="title")
            with VerticalScroll(id="summary"):
                yield Static(review_text(self.info), id="summary-text")
            yield Static(Text(KEY_LINE), id="keys")

    def action_send(self) -> None:
        if self.info.problems:
            self.notify("Fix the problems shown first (e edits).", severity="warning", markup=False)
            return
        self.dismiss("send")

    def action_edit(self) -> None:
        self.dismiss("edit")

    def action_attach(self) -> None:
        self.dismiss("attach")

    def action_detach(self) -> None:
        if self.info.draft.attachments:
            self.dismiss("detach")

    def action_postpone(self) -> None:
        self.dismiss("postpone")

    def action_abandon(self) -> None:
        self.dismiss("abandon")


class YesNo(ModalScreen[bool]):
    """A question answered with y or n (Esc is no)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="question.yes"),
        Binding("n,escape", "answer(False)", "No", id="question.no"),
    ]

    DEFAULT_CSS = """
    YesNo {
        align: center middle;
        & > Static {
            width: 64; max-width: 100%; height: auto; padding: 1 2;
            border: thick $warning; background: $surface;
        }
    }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        yield Static(Text(f"{self._question}  (y / n)"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PathSuggester(Suggester):
    """Completes file names as the shell would: the longest unambiguous continuation."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value)


def complete_path(value: str) -> str | None:
    """``value`` extended to the longest common prefix of the matching entries."""
    if not value:
        return None
    expanded = os.path.expanduser(value)
    directory, _sep, prefix = expanded.rpartition("/")
    if not _sep:
        directory = "."
    try:
        names = [n for n in os.listdir(directory or "/") if n.startswith(prefix)]
    except OSError:
        return None
    if not prefix:
        names = [n for n in names if not n.startswith(".")]
    if not names:
        return None
    common = os.path.commonprefix(names)  # noqa: RUF071 - names in one directory: by character
    if len(names) == 1 and os.path.isdir(os.path.join(directory or "/", names[0])):
        common += "/"
    if common == prefix:
        return None
    return value + common[len(prefix) :]


class AttachPrompt(ModalScreen[Path | None]):
    """A path to attach: Tab (or →) takes the completion, Enter attaches, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="attach.cancel"),
        Binding("tab", "complete", "Complete the path", id="attach.complete", priority=True),
    ]

    DEFAULT_CSS = """
    AttachPrompt {
        align: center middle;
        & > #dialog {
            width: 90%; max-width: 100; height: auto; padding: 0 1;
            border: thick $accent; background: $surface;
        }
        & #error { color: $warning; }
    }
    """

    def __init__(self, start: Path) -> None:
        super().__init__()
        self._start = start

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text("Attach file:"))
            yield Input(
                value=str(self._start) + "/", id="path", compact=True, suggester=PathSuggester()
            )
            yield Static(Text("Tab: complete    Enter: attach    Esc: cancel"), id="error")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def action_complete(self) -> None:
        field = self.query_one("#path", Input)
        completed = complete_path(field.value)
        if completed is not None:
            field.value = completed
            field.cursor_position = len(completed)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = Path(event.value.strip()).expanduser()
        if not path.is_file():
            self.query_one("#error", Static).update(Text(f"Not a file: {one_line(str(path))}"))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PasswordPrompt(ModalScreen[str | None]):
    """A masked password for the SMTP server (when no command or keyring has it)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="password.cancel"),
    ]

    DEFAULT_CSS = """
    PasswordPrompt {
        align: center middle;
        & > #dialog {
            width: 70; max-width: 100%; height: auto; padding: 0 1;
            border: thick $accent; background: $surface;
        }
    }
    """

    def __init__(self, title: str) -> None:
        super().__init__()
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self._title))
            yield Input(password=True, id="password", compact=True)
            yield Static(Text("Enter: send    Esc: keep it in Drafts"))

    def on_mount(self) -> None:
        self.query_one("#password", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value:
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
