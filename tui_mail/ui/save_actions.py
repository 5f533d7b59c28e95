"""The save actions: ``s`` (an attachment) and ``S`` (the whole message as .eml).

Split from the app to keep one concern per module. Both act on the highlighted row, as every
other key does, and the prompt names it ("Save 'Lunch today?' as:"). When that row is not
the one in the preview it is opened first (the preview then shows what is being saved).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import App

from tui_mail.store.models import MessageSummary
from tui_mail.ui.columns import fit_cells
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


SUBJECT_CELLS = 40  # a subject named in a prompt is cut to this many cells


def quoted_subject(subject: str) -> str:
    """``'Lunch today?'``, cut with ``…`` so a prompt stays on one line."""
    text = one_line(subject) or "(no subject)"
    if cell_len(text) > SUBJECT_CELLS:
        text = fit_cells(text, SUBJECT_CELLS)
    return f"\u2018{text}\u2019"


SaveStep = Callable[[DisplayedMessage], None]


class SaveActions(App[None]):
    """Base of the app holding the save actions; the app sets the attributes below."""

    displayed: DisplayedMessage | None = None
    model: MessageListModel
    _renderer: MessageRenderer
    _download_dir: Path | None = None
    _after_open: tuple[str, SaveStep] | None = None

    def _save_directory(self) -> Path:
        return self._download_dir or downloads_dir()

    def _highlighted_row(self) -> MessageSummary | None:
        """The row under the cursor (the app provides it)."""
        raise NotImplementedError

    def _open(self, row: MessageSummary) -> None:
        """Show ``row`` in the preview, downloading it if needed (the app provides it)."""
        raise NotImplementedError

    def _with_target(self, step: SaveStep) -> None:
        """Run ``step`` on the highlighted message, opening it first if it is not shown."""
        row = self._highlighted_row()
        if row is None:
            self.notify("No message here.", markup=False)
            return
        shown = self.displayed
        if shown is not None and shown.uid == row.uid:
            step(shown)
            return
        self._open(row)
        self._after_open = (row.uid, step)

    def _opened(self, shown: DisplayedMessage) -> None:
        """The app calls this when a message is shown: finish a save that waited for it."""
        pending, self._after_open = self._after_open, None
        if pending is not None and pending[0] == shown.uid:
            pending[1](shown)

    def _subject_of(self, uid: str) -> str:
        row = self.model.get(uid)
        return quoted_subject(row.subject if row is not None else "")

    def action_save_attachment(self) -> None:
        self._with_target(self._save_attachment_of)

    def _save_attachment_of(self, shown: DisplayedMessage) -> None:
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

            self.push_screen(AttachmentPicker(attachments, self._subject_of(shown.uid)), chosen)

    def _prompt_attachment(self, shown: DisplayedMessage, attachment: AttachmentView) -> None:
        from tui_mail.mail.attachments import safe_filename  # MIME code: on first use

        name = safe_filename(attachment.filename or f"attachment-{attachment.index}")
        default = unused_path(self._save_directory(), name)
        title = Text.assemble(
            "Save attachment ",
            (one_line(attachment.filename), "bold"),
            " of ",
            (self._subject_of(shown.uid), "bold"),
            " as:",
        )
        renderer, index = self._renderer, attachment.index

        def write(choice: SaveChoice) -> Path:
            choice.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            return renderer.save_attachment(
                shown.path, index, choice.path, overwrite=choice.overwrite
            )

        self.push_screen(SavePrompt(title, default), lambda choice: self._save(choice, write))

    def action_save_message(self) -> None:
        self._with_target(self._save_message_of)

    def _save_message_of(self, shown: DisplayedMessage) -> None:
        from tui_mail.mail.attachments import safe_filename  # MIME code: on first use

        row = self.model.get(shown.uid)
        subject = row.subject[:80] if row is not None else ""
        # A subject is not a path: its slashes must not make safe_filename keep only the tail.
        flat = subject.replace("/", "_").replace("\\", "_")
        name = safe_filename(f"{flat}.eml") if subject else "message.eml"
        default = unused_path(self._save_directory(), name)
        path = shown.path

        def write(choice: SaveChoice) -> Path:
            write_private_file(choice.path, path.read_bytes(), overwrite=choice.overwrite)
            return choice.path

        self.push_screen(
            SavePrompt(
                Text.assemble("Save ", (self._subject_of(shown.uid), "bold"), " (.eml) as:"),
                default,
            ),
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
