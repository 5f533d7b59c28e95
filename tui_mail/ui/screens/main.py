"""The main screen: list header, message list, preview, filter input and status bar.

Layout only: the mail keys are bound here (so dialogs on top do not see them) but the
actions live on the app, which owns the session and the model.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container, Vertical
from textual.message import Message
from textual.widgets import Input

from tui_mail.ui.bindings import COMPOSE_BINDINGS, KEY_HINTS, SCREEN_BINDINGS
from tui_mail.ui.keys_first_app import KeysFirstScreen
from tui_mail.ui.list_model import MessageListModel
from tui_mail.ui.widgets.key_line import KeyLine
from tui_mail.ui.widgets.list_header import ListHeader
from tui_mail.ui.widgets.message_list import Clock, MessageList
from tui_mail.ui.widgets.preview import Preview
from tui_mail.ui.widgets.status_bar import StatusBar

WIDE_COLUMNS = 160  # from this width the preview sits beside the list


class MailScreen(KeysFirstScreen):
    """Classes: ``-wide`` (side by side), ``-preview`` (pane shown), ``-zoom`` (full screen)."""

    BINDINGS: ClassVar[list[BindingType]] = [*SCREEN_BINDINGS, *COMPOSE_BINDINGS]
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 (Textual declares it as an instance variable)
        (0, "-narrow"),
        (WIDE_COLUMNS, "-wide"),
    ]

    class Ready(Message):
        """The widgets are mounted: the app may now draw the model into them."""

    def __init__(self, model: MessageListModel, *, clock: Clock) -> None:
        super().__init__(id="mail")
        self.message_list = MessageList(model, clock=clock, id="messages")
        self.preview = Preview(id="preview")
        self.header = ListHeader(id="list-header")
        self.status_bar = StatusBar(id="status")
        self.key_line = KeyLine(KEY_HINTS, id="keys")
        self.filter_input = Input(
            id="filter",
            placeholder="filter: sender name or address, or subject (Enter keeps it, Esc clears)",
            compact=True,
        )

    def compose(self) -> ComposeResult:
        with Container(id="panes"):
            with Vertical(id="list-pane"):
                yield self.header
                yield self.message_list
            yield self.preview
        yield self.filter_input
        yield self.key_line
        yield self.status_bar

    def on_mount(self) -> None:
        self.message_list.focus()
        self.post_message(self.Ready())
