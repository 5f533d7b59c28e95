"""Textual messages carrying session events into the app ("messages up, attributes down").

The session's ``report`` callback only posts one of these (``post_message`` is thread-safe);
handlers on the app then set attributes on widgets. No session code ever touches a widget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Generic, TypeVar

from rich.text import Text
from textual.message import Message

from tui_mail.session.events import SessionEvent
from tui_mail.ui.rendering import RenderedView

EventT = TypeVar("EventT")


class SessionMessage(Message, Generic[EventT]):
    """One session event on its way to the app.

    Each event type gets its own subclass, named after it, so Textual dispatches
    ``StateChanged`` to ``on_session_state_changed``: a new event needs its dataclass in
    ``session/events.py`` and its handler on the app, nothing here.
    """

    def __init__(self, event: EventT) -> None:
        super().__init__()
        self.event = event


_MESSAGE_CLASSES: dict[type[Any], type[SessionMessage[Any]]] = {}


def _message_class(kind: type[Any]) -> type[SessionMessage[Any]]:
    made = _MESSAGE_CLASSES.get(kind)
    if made is None:
        made = type(f"Session{kind.__name__}", (SessionMessage,), {"__module__": __name__})
        _MESSAGE_CLASSES[kind] = made
    return made


def wrap_event(event: SessionEvent) -> SessionMessage[Any]:
    """The Textual message for one session event."""
    return _message_class(type(event))(event)


def handler_name(kind: type[Any]) -> str:
    """The name of the method that handles session events of this type (``on_session_...``)."""
    return _message_class(kind).handler_name


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
