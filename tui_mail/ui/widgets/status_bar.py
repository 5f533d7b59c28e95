"""The one-line status bar: account, connection state, counts and work in progress.

Users read the connection state here and so do tests, so the words are fixed: ``connecting``,
``online TLSv1.3``, ``offline, retrying in N s``, ``mailbox busy, next try in N s``,
``idle, disconnected``, ``N messages``,
``U unread``, ``D to delete``, ``L only on this machine``. When the line is too narrow the least useful parts go first.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

from rich.cells import cell_len
from rich.text import Text
from textual.timer import Timer
from textual.widget import Widget

from tui_mail.session.events import ConnectionState, StateChanged
from tui_mail.ui.columns import fit_cells
from tui_mail.ui.safe_text import one_line
from tui_mail.wording import format_size, plural

SEPARATOR = " │ "


def describe_state(state: StateChanged, elapsed: float = 0.0) -> str:
    """The words for a connection state; ``elapsed`` counts down a retry."""
    detail = one_line(state.detail).strip()
    if state.state is ConnectionState.ONLINE:
        return f"online {detail}" if detail else "online"
    if state.state is ConnectionState.RETRYING:
        if state.retry_in is None:
            return "offline, retrying"
        seconds = max(0, math.ceil(state.retry_in - elapsed))
        return f"offline, retrying in {seconds} s"
    if state.state is ConnectionState.BUSY:
        if state.retry_in is None:
            return "mailbox busy"
        seconds = max(0, math.ceil(state.retry_in - elapsed))
        return f"mailbox busy, next try in {seconds} s"
    if state.state is ConnectionState.IDLE:
        return "idle, disconnected"
    if state.state is ConnectionState.OFFLINE and detail:
        return f"offline ({detail})"
    return state.state.value


@dataclass(frozen=True)
class StatusInfo:
    """Everything the bar shows; the app replaces it, the bar only draws it."""

    account: str = ""
    state: StateChanged = field(default_factory=lambda: StateChanged(ConnectionState.OFFLINE))
    state_since: float = 0.0  # time.monotonic() when the state was reported
    messages: int = 0
    unread: int = 0
    to_delete: int = 0
    local_only: int = 0  # kept here, no longer on the server (not among ``messages``)
    activity: tuple[str, ...] = ()  # e.g. ("headers 340/1000",)
    note: str = ""  # a transient outcome, e.g. "deleted 3 messages"

    def with_(self, **changes: object) -> StatusInfo:
        return replace(self, **changes)  # type: ignore[arg-type]


def describe_progress(task: str, done: int, total: int | None) -> str:
    """Work in progress in few cells: ``headers 340/1000``, ``message 40% of 2.5 MiB``."""
    if task.endswith(" bytes"):
        name = task.removesuffix(" bytes")
        if total:
            return f"{name} {min(100, done * 100 // total)}% of {format_size(total)}"
        return f"{name} {format_size(done)}"
    return f"{task} {done}/{total}" if total is not None else f"{task} {done}"


def status_text(info: StatusInfo, width: int, now: float) -> str:
    """The bar's text for ``width`` cells, dropping low-priority parts until it fits."""
    parts: list[tuple[int, str]] = [  # (priority: higher survives longer, text)
        (1, one_line(info.account)),
        (9, describe_state(info.state, now - info.state_since)),
        (4, plural(info.messages, "message")),
        (7, f"{info.unread} unread"),  # outlives progress: it is what users look for
        (6, f"{info.to_delete} to delete"),
    ]
    if info.local_only:
        parts.insert(3, (3, f"{info.local_only} only on this machine"))
    parts.extend((5, one_line(item)) for item in info.activity)
    if info.note:
        parts.append((8, one_line(info.note)))
    parts = [part for part in parts if part[1]]

    def joined(kept: list[tuple[int, str]]) -> str:
        return " " + SEPARATOR.join(text for _, text in kept)

    while len(parts) > 1 and cell_len(joined(parts)) > width:
        lowest = min(range(len(parts)), key=lambda index: parts[index][0])
        del parts[lowest]
    return fit_cells(joined(parts), width)


class StatusBar(Widget):
    """Draws :class:`StatusInfo`; ticks once a second only while a retry counts down."""

    DEFAULT_CSS = """
    StatusBar {
        dock: bottom;
        height: 1;
        background: $panel;
        color: $text;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.info = StatusInfo()
        self._ticker: Timer | None = None

    def show(self, info: StatusInfo) -> None:
        if info == self.info:
            return
        self.info = info
        counting = (
            info.state.state in (ConnectionState.RETRYING, ConnectionState.BUSY)
            and info.state.retry_in is not None
        )
        if counting and self._ticker is None:
            self._ticker = self.set_interval(1.0, self.refresh)
        elif not counting and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self.refresh()

    @property
    def text(self) -> str:
        """What the bar shows now (tests read this)."""
        return status_text(self.info, self.size.width or 80, time.monotonic())

    def render(self) -> Text:
        return Text(self.text, no_wrap=True, end="")
