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

    def __init__(self, attachments: Sequence[AttachmentView]) -> None:
        super().__init__()
        self._attachments = list(attachments)

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
            yield Static(Text("Save which attachment? (Enter: choose, Esc: cancel)"))
            yield OptionList(*options, id="attachments")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id) if event.option.id is not None else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
