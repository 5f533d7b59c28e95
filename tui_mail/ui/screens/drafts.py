"""``P``: the drafts in ``.Drafts`` (postponed, or kept after a failed send), to continue one."""

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

from tui_mail.smtp.outbox import StoredDraft
from tui_mail.ui.safe_text import one_line


def draft_label(stored: StoredDraft) -> Text:
    """``Subject  to: who  (why it is here)`` as Text (the fields may be mail text)."""
    draft = stored.draft
    subject = one_line(draft.subject) or "(no subject)"
    to = one_line(draft.to) or "(no recipient)"
    text = Text(f"{subject}  to: {to}", no_wrap=True, overflow="ellipsis")
    if draft.failure:
        text.append(f"  (not sent: {one_line(draft.failure)})", style="red")
    else:
        text.append("  (postponed)", style="dim")
    return text


class DraftsScreen(ModalScreen[str | None]):
    """Dismisses with the chosen draft's key; Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "Cancel", id="drafts.cancel"),
        Binding("j", "cursor('down')", show=False),
        Binding("k", "cursor('up')", show=False),
    ]

    DEFAULT_CSS = """
    DraftsScreen {
        align: center middle;
        & > #dialog {
            width: 100%; max-width: 110; height: auto; max-height: 90%;
            border: thick $accent; background: $surface;
        }
    }
    """

    def __init__(self, drafts: Sequence[StoredDraft]) -> None:
        super().__init__()
        self._drafts = list(drafts)

    def compose(self) -> ComposeResult:
        options = [Option(draft_label(d), id=d.key) for d in self._drafts]
        with Vertical(id="dialog"):
            yield Static(Text("Continue which draft? (Enter: review and send, Esc: cancel)"))
            yield OptionList(*options, id="drafts")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_cursor(self, direction: str) -> None:
        options = self.query_one(OptionList)
        if direction == "down":
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
