"""Choosing which attachment ``s`` saves when a message has several."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_mail.ui.rendering import AttachmentView
from tui_mail.ui.safe_text import one_line
from tui_mail.wording import format_size


class AttachmentPicker(ModalScreen[int | None]):
    """Dismisses with the chosen attachment's index; names are Text, never markup."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="attachments.cancel"),
        Binding("j", "move(1)", "Next attachment", show=False, id="attachments.down"),
        Binding("k", "move(-1)", "Previous attachment", show=False, id="attachments.up"),
    ]

    DEFAULT_CSS = """
    AttachmentPicker {
        align: center middle;
        & > #dialog {
            width: 90%;
            max-width: 100;
            height: auto;
            max-height: 80%;
            border: thick $accent;
            background: $surface;
        }
    }
    """

    def __init__(self, attachments: Sequence[AttachmentView], subject: str = "") -> None:
        """``subject`` names the message (already quoted and cut): it is shown as Text."""
        super().__init__()
        self._attachments = list(attachments)
        self._subject = subject

    def compose(self) -> ComposeResult:
        options = [
            Option(
                Text(
                    f"{a.index}. {one_line(a.filename)}  ({one_line(a.content_type)}, "
                    f"{format_size(a.size)})",
                    no_wrap=True,
                    overflow="ellipsis",
                ),
                id=str(a.index),
            )
            for a in self._attachments
        ]
        with Vertical(id="dialog"):
            of = f" of {self._subject}" if self._subject else ""
            yield Static(Text(f"Save which attachment{of}? (Enter: choose, Esc: cancel)"))
            yield OptionList(*options, id="attachments")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id) if event.option.id is not None else None)

    def action_move(self, step: int) -> None:
        """j / k as in the message list."""
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
