"""``v``: show a text attachment of the displayed message in the preview (neomutt's view).

The attachment is rendered by the mail layer (decoded, charset repaired, HTML as text, cut
at the display limit with a note) off the event loop, and replaces the message in the
preview; Enter shows the message again. Only text attachments are offered: ``text/*`` and
the text types in disguise ``shows_as_text`` knows (``notes.txt`` as octet-stream).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from tui_mail.ui.rendering import AttachmentRenderer, AttachmentView
from tui_mail.ui.save_actions import DisplayedMessage, SaveActions
from tui_mail.ui.screens.attachments import AttachmentPicker
from tui_mail.ui.screens.main import MailScreen
from tui_mail.ui.widgets.preview import preview_text


class AttachmentShown(Message):
    """A text attachment rendered for the preview (or why it could not be)."""

    def __init__(self, uid: str, text: Text | None, reason: str = "") -> None:
        super().__init__()
        self.uid = uid
        self.text = text
        self.reason = reason


class ShowAttachmentPicker(AttachmentPicker):
    """The attachment picker, asking which one to show rather than save."""

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(Static).update(Text("Show which attachment? (Enter: show, Esc: cancel)"))


class AttachmentViewActions(SaveActions):
    """Base of the app holding the ``v`` action; the app sets the attributes below."""

    mail_screen: MailScreen
    _wanted_uid: str | None = None

    def action_view_attachment(self) -> None:
        shown = self.displayed
        if shown is None:
            self.notify("Open a message with Enter first.", markup=False)
            return
        if not isinstance(self._renderer, AttachmentRenderer):
            self.notify("This reader cannot show attachments.", markup=False)
            return
        from tui_mail.mail.attachments import shows_as_text  # MIME code: on first use

        texts = [a for a in shown.rendered.attachments if shows_as_text(a.content_type, a.filename)]
        if not texts:
            self.notify("This message has no text attachment to show.", markup=False)
        elif len(texts) == 1:
            self._show_attachment(shown, texts[0])
        else:
            by_index = {attachment.index: attachment for attachment in texts}

            def chosen(index: int | None) -> None:
                if index is not None and index in by_index and self.displayed is shown:
                    self._show_attachment(shown, by_index[index])

            self.push_screen(ShowAttachmentPicker(texts), chosen)

    def _show_attachment(self, shown: DisplayedMessage, attachment: AttachmentView) -> None:
        self._render_attachment(shown.uid, shown.path, attachment.index)

    @work(thread=True, group="render", exclusive=True, exit_on_error=False)
    def _render_attachment(self, uid: str, path: Path, index: int) -> None:
        """Render off the event loop; a failure is a notice, never a crash."""
        worker = get_current_worker()
        renderer = self._renderer
        try:
            assert isinstance(renderer, AttachmentRenderer)
            text = preview_text(renderer.render_attachment(path, index).as_text())
        except Exception as error:
            message = AttachmentShown(uid, None, f"{type(error).__name__}")
        else:
            message = AttachmentShown(uid, text)
        if not worker.is_cancelled:
            self.post_message(message)

    def on_attachment_shown(self, message: AttachmentShown) -> None:
        shown = self.displayed
        if shown is None or shown.uid != message.uid:
            return  # another message was opened meanwhile
        if message.text is None:
            self.notify(f"Could not show the attachment ({message.reason}).", markup=False)
            return
        self.mail_screen.preview.show_text(message.text, uid=message.uid)
        self._wanted_uid = None  # so Enter shows the message again
        self.notify("Showing the attachment; Enter shows the message again.", markup=False)
