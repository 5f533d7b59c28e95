"""The one place where the preview turns a raw message into text, and saves attachments.

The app depends only on the small :class:`MessageRenderer` protocol (so tests can plug in a
renderer that fails on purpose); :class:`MailRenderer` is the real one, over
:mod:`tui_mail.mail`. Both take the cached message *file*: the renderer memory-maps it, so a
message with a 15 MB attachment is neither read into memory nor decoded to be shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable


class AttachmentView(Protocol):
    """What the UI needs to list and save one attachment."""

    @property
    def index(self) -> int: ...
    @property
    def filename(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...


class RenderedView(Protocol):
    """A rendered message: sanitised text plus its attachments."""

    @property
    def attachments(self) -> Sequence[AttachmentView]: ...

    def as_text(self) -> str: ...


class MessageRenderer(Protocol):
    """Renders a cached message file, and saves one of its attachments."""

    def render(self, message: Path) -> RenderedView: ...

    def save_attachment(
        self, message: Path, index: int, target: Path, *, overwrite: bool
    ) -> Path: ...


@runtime_checkable
class AttachmentRenderer(Protocol):
    """A renderer that can also show one text attachment (``v``); optional for test fakes."""

    def render_attachment(self, message: Path, index: int) -> RenderedView: ...


class MailRenderer:
    """The project's renderer (:mod:`tui_mail.mail`): safe text, Japanese, HTML as text."""

    def __init__(self, *, prefer_html: bool = False) -> None:
        self.prefer_html = prefer_html

    # The MIME renderer (and lxml under it) is imported on first use, not for the first
    # frame: the list does not need it, and a cached mailbox opens that much sooner.

    def render(self, message: Path) -> RenderedView:
        from tui_mail.mail.degraded import render_message_safely

        with message.open("rb") as stream:  # a message that defeats the decoder degrades
            return render_message_safely(stream, prefer_html=self.prefer_html)

    def save_attachment(self, message: Path, index: int, target: Path, *, overwrite: bool) -> Path:
        """Write attachment ``index`` (as listed) to ``target`` as a 0600 file.

        Without ``overwrite`` an existing file is kept and ``name (1).ext`` is used instead.
        """
        from tui_mail.mail.attachments import save_attachment

        with message.open("rb") as stream:
            return save_attachment(
                stream, index, target.parent, filename=target.name, overwrite=overwrite
            )

    def render_attachment(self, message: Path, index: int) -> RenderedView:
        """The message's headers over attachment ``index`` shown as text (display-limited)."""
        from tui_mail.mail.render import render_attachment

        with message.open("rb") as stream:
            return render_attachment(stream, index)
