"""The save actions: ``s`` (an attachment) and ``S`` (the whole message as .eml).

Split from the app to keep one concern per module. Both save what the preview shows, never
the message under the cursor, so saving never downloads anything the user did not open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import App

from tui_mail.mail import safe_filename
from tui_mail.ui.list_model import MessageListModel
from tui_mail.ui.rendering import AttachmentView, MessageRenderer, RenderedView
from tui_mail.ui.safe_text import one_line
from tui_mail.ui.saving import downloads_dir, unused_path, write_private_file
from tui_mail.ui.screens.attachments import AttachmentPicker
from tui_mail.ui.screens.prompt import SaveChoice, SavePrompt


@dataclass(frozen=True)
class DisplayedMessage:
    """The message in the preview: what ``s`` and ``S`` save from."""

    uid: str
    path: Path
    rendered: RenderedView


class SaveActions(App[None]):
    """Base of the app holding the save actions; the app sets the attributes below."""

    displayed: DisplayedMessage | None = None
    model: MessageListModel
    _renderer: MessageRenderer
    _download_dir: Path | None = None

    def _save_directory(self) -> Path:
        return self._download_dir or downloads_dir()

    def action_save_attachment(self) -> None:
        shown = self.displayed
        if shown is None:
            self.notify("Open a message with Enter first.", markup=False)
            return
        attachments = list(shown.rendered.attachments)
        if not attachments:
            self.notify("This message has no attachments.", markup=False)
        elif len(attachments) == 1:
            self._prompt_attachment(shown, attachments[0])
        else:
            by_index = {attachment.index: attachment for attachment in attachments}

            def chosen(index: int | None) -> None:
                if index is not None and index in by_index:
                    self._prompt_attachment(shown, by_index[index])

            self.push_screen(AttachmentPicker(attachments), chosen)

    def _prompt_attachment(self, shown: DisplayedMessage, attachment: AttachmentView) -> None:
        name = safe_filename(attachment.filename or f"attachment-{attachment.index}")
        default = unused_path(self._save_directory(), name)
        title = Text.assemble("Save attachment ", (one_line(attachment.filename), "bold"), " as:")
        renderer, index = self._renderer, attachment.index

        def write(choice: SaveChoice) -> Path:
            choice.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            return renderer.save_attachment(
                shown.path, index, choice.path, overwrite=choice.overwrite
            )

        self.push_screen(SavePrompt(title, default), lambda choice: self._save(choice, write))

    def action_save_message(self) -> None:
        shown = self.displayed
        if shown is None:
            self.notify("Open a message with Enter first.", markup=False)
            return
        row = self.model.get(shown.uid)
        subject = row.subject[:80] if row is not None else ""
        name = safe_filename(f"{subject}.eml") if subject else "message.eml"
        default = unused_path(self._save_directory(), name)
        path = shown.path

        def write(choice: SaveChoice) -> Path:
            write_private_file(choice.path, path.read_bytes(), overwrite=choice.overwrite)
            return choice.path

        self.push_screen(
            SavePrompt(Text("Save the whole message (.eml) as:"), default),
            lambda choice: self._save(choice, write),
        )

    def _save(self, choice: SaveChoice | None, write: Callable[[SaveChoice], Path]) -> None:
        if choice is not None:
            self._write_file(choice, write)

    @work(thread=True, group="save", exit_on_error=False)
    def _write_file(self, choice: SaveChoice, write: Callable[[SaveChoice], Path]) -> None:
        try:
            saved = write(choice)
        except FileExistsError:
            text, severity = f"Not saved: {choice.path} exists.", "warning"
        except (OSError, LookupError, ValueError) as error:
            text, severity = f"Not saved: {type(error).__name__} for {choice.path}", "error"
        else:
            text, severity = f"Saved {saved}", "information"
        self.call_from_thread(self.notify, one_line(text), severity=severity, markup=False)
