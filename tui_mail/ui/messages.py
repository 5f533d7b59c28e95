"""Textual messages carrying session events into the app ("messages up, attributes down").

The session's ``report`` callback only posts one of these (``post_message`` is thread-safe);
handlers on the app then set attributes on widgets. No session code ever touches a widget.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.message import Message

from tui_mail.session.events import (
    BodyFailed,
    BodyReady,
    DeletionsApplied,
    ListReplaced,
    Notice,
    Progress,
    SessionEvent,
    StateChanged,
    SummariesUpdated,
)
from tui_mail.ui.rendering import RenderedView


class SessionStateChanged(Message):
    def __init__(self, event: StateChanged) -> None:
        super().__init__()
        self.event = event


class SessionListReplaced(Message):
    def __init__(self, event: ListReplaced) -> None:
        super().__init__()
        self.event = event


class SessionSummariesUpdated(Message):
    def __init__(self, event: SummariesUpdated) -> None:
        super().__init__()
        self.event = event


class SessionProgress(Message):
    def __init__(self, event: Progress) -> None:
        super().__init__()
        self.event = event


class SessionBodyReady(Message):
    def __init__(self, event: BodyReady) -> None:
        super().__init__()
        self.event = event


class SessionBodyFailed(Message):
    def __init__(self, event: BodyFailed) -> None:
        super().__init__()
        self.event = event


class SessionDeletionsApplied(Message):
    def __init__(self, event: DeletionsApplied) -> None:
        super().__init__()
        self.event = event


class SessionNotice(Message):
    def __init__(self, event: Notice) -> None:
        super().__init__()
        self.event = event


class BodyRendered(Message):
    """A body read and rendered off the event loop (posted by the render worker)."""

    def __init__(self, uid: str, path: Path, rendered: RenderedView, text: Text) -> None:
        super().__init__()
        self.uid = uid
        self.path = path
        self.rendered = rendered
        self.text = text


class BodyRenderFailed(Message):
    """The body file could not be read or rendered; ``reason`` is our own wording."""

    def __init__(self, uid: str, reason: str) -> None:
        super().__init__()
        self.uid = uid
        self.reason = reason


def wrap_event(event: SessionEvent) -> Message:
    """The Textual message for one session event."""
    match event:
        case StateChanged():
            return SessionStateChanged(event)
        case ListReplaced():
            return SessionListReplaced(event)
        case SummariesUpdated():
            return SessionSummariesUpdated(event)
        case Progress():
            return SessionProgress(event)
        case BodyReady():
            return SessionBodyReady(event)
        case BodyFailed():
            return SessionBodyFailed(event)
        case DeletionsApplied():
            return SessionDeletionsApplied(event)
        case Notice():
            return SessionNotice(event)
    raise TypeError(f"unknown session event {type(event).__name__}")
