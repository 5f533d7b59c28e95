"""``S`` with tagged messages: one mbox (mboxrd) of them, each fetched through the session.

Every tagged message is asked of the session in turn (``request_body``): one stored locally
answers at once, one that is not is downloaded, as opening it would. One at a time, and only
while the user is not waiting for a message of their own, so an export never cancels what
the user opened (a download the user's own request cancelled is asked again, once). A message
that cannot be had (offline, gone from the server) is skipped and counted on screen. Reading
and writing happen in a thread worker; the file appears only when complete (store/mbox.py).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text
from textual import work
from textual.message import Message

from tui_mail.session.control import SessionControl
from tui_mail.session.events import BodyFailed, BodyReady
from tui_mail.store.mbox import MboxWriter
from tui_mail.ui import messages as msg
from tui_mail.ui.safe_text import one_line
from tui_mail.ui.save_actions import SaveActions
from tui_mail.ui.saving import unused_path
from tui_mail.ui.screens.prompt import SaveChoice, SavePrompt
from tui_mail.ui.tagging import TagActions, tagged_rows
from tui_mail.wording import plural

ACTIVITY = "mbox"


@dataclass
class ExportJob:
    """One export under way: what is left, what is being fetched, what could not be had."""

    choice: SaveChoice
    writer: MboxWriter
    total: int
    pending: deque[str]
    current: str | None = None
    finishing: bool = False  # the file is being put in place: too late to stop
    written: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # uid -> reason
    retried: set[str] = field(default_factory=set)


class ExportAppended(Message):
    """The thread worker added one message to the file, or could not read it (``unread``),
    or could not write the file (``broken``: the export stops)."""

    def __init__(self, uid: str, *, unread: str | None = None, broken: str | None = None) -> None:
        super().__init__()
        self.uid = uid
        self.unread = unread
        self.broken = broken


class ExportFinished(Message):
    """The file is in place, or the export gave up: ``text`` says which, in our words."""

    def __init__(self, text: str, severity: str, path: Path) -> None:
        super().__init__()
        self.text = text
        self.severity = severity
        self.path = path


class ExportActions(TagActions, SaveActions):
    """``S`` writes the tagged messages as an mbox; without tags it saves one as .eml."""

    _session: SessionControl
    _account_name: str
    _loading_uid: str | None
    _export: ExportJob | None = None

    def _set_activity(self, key: str, text: str | None) -> None:
        raise NotImplementedError  # provided by the app

    def action_save_message(self) -> None:
        rows = tagged_rows(self.model)
        if not rows:
            super().action_save_message()
            return
        if self._export is not None:
            self.notify("An mbox is being written already (Esc stops it).", markup=False)
            return
        uids = [row.uid for row in rows]
        from tui_mail.mail.attachments import safe_filename  # MIME code: on first use

        name = safe_filename(f"{self._account_name or 'mail'}.mbox")
        default = unused_path(self._save_directory(), name)
        title = Text(f"Save {plural(len(uids), 'tagged message')} (mbox) as:")

        def chosen(choice: SaveChoice | None) -> None:
            if choice is not None:
                self._start_export(choice, uids)

        self.push_screen(SavePrompt(title, default), chosen)

    def _start_export(self, choice: SaveChoice, uids: list[str]) -> None:
        writer = MboxWriter(choice.path, overwrite=choice.overwrite)
        try:
            writer.__enter__()
        except OSError as error:
            self._export_said(f"Not saved: {_reason(error)} for {choice.path}", "error")
            return
        self._export = ExportJob(choice, writer, len(uids), deque(uids))
        self._say(f"saving {plural(len(uids), 'message')} to {choice.path.name} (Esc stops)")
        self._export_next()

    def _export_next(self) -> None:
        """Ask for the next message, unless one is on its way or the user waits for theirs."""
        job = self._export
        if job is None or job.current is not None:
            return
        if not job.pending:
            job.finishing = True
            self._set_activity(ACTIVITY, "mbox: writing")
            self._finish_export(job)
            return
        if self._loading_uid is not None:
            return  # the user's own message first; on_session_body_* call this again
        job.current = job.pending.popleft()
        done = job.written + len(job.failed)
        self._set_activity(ACTIVITY, f"mbox {done}/{job.total}")
        self._session.request_body(job.current)

    def on_session_body_ready(self, message: msg.SessionMessage[BodyReady]) -> None:
        job = self._export
        if job is not None and message.event.uid == job.current:
            self._append(job, message.event.uid, message.event.path)
        else:
            self._export_next()

    def on_session_body_failed(self, message: msg.SessionMessage[BodyFailed]) -> None:
        job = self._export
        uid = message.event.uid
        if job is None or uid != job.current:
            self._export_next()
            return
        job.current = None
        if self._loading_uid is not None and uid not in job.retried:
            job.retried.add(uid)  # cut short by the user's own request: ask once more
            job.pending.appendleft(uid)
        else:
            job.failed[uid] = one_line(message.event.reason)
        self._export_next()

    @work(thread=True, group="export", exit_on_error=False)
    def _append(self, job: ExportJob, uid: str, path: Path) -> None:
        try:
            raw = path.read_bytes()
        except OSError as error:
            self.post_message(ExportAppended(uid, unread=f"could not read it: {_reason(error)}"))
            return
        try:
            job.writer.add(raw)
        except (OSError, ValueError) as error:  # ValueError: the export was stopped meanwhile
            reason = _reason(error) if isinstance(error, OSError) else "stopped"
            self.post_message(ExportAppended(uid, broken=reason))
        else:
            self.post_message(ExportAppended(uid))

    def on_export_appended(self, message: ExportAppended) -> None:
        job = self._export
        if job is None or message.uid != job.current:
            return
        job.current = None
        if message.broken is not None:  # the mbox cannot be written (disk full...): stop
            self._abandon_export(f"Not saved: {message.broken} for {job.choice.path.name}")
            return
        if message.unread is None:
            job.written += 1
        else:
            job.failed[message.uid] = message.unread
        self._export_next()

    @work(thread=True, group="export", exit_on_error=False)
    def _finish_export(self, job: ExportJob) -> None:
        path = job.choice.path
        skipped = _skipped_words(job)
        if job.written == 0:
            job.writer.__exit__(None, None, None)
            self.post_message(ExportFinished(f"Nothing saved{skipped}.", "warning", path))
            return
        try:
            done = job.writer.commit()
        except FileExistsError:
            text, severity = f"Not saved: {path} exists.", "warning"
        except OSError as error:
            text, severity = f"Not saved: {_reason(error)} for {path}", "error"
        else:
            count = plural(done.messages, "message")
            text = f"Saved {count} to {path}{skipped}."
            severity = "warning" if job.failed else "information"
        finally:
            job.writer.__exit__(None, None, None)
        self.post_message(ExportFinished(text, severity, path))

    def on_export_finished(self, message: ExportFinished) -> None:
        self._export = None
        self._set_activity(ACTIVITY, None)
        self._export_said(message.text, message.severity, message.path)

    def _cancel_export(self) -> bool:
        """Esc: stop an export under way (nothing is written); True if there was one."""
        if self._export is None:
            return False
        if not self._export.finishing:
            self._abandon_export("mbox not saved: stopped.")
        return True

    def _abandon_export(self, text: str) -> None:
        job, self._export = self._export, None
        if job is not None:
            job.writer.__exit__(None, None, None)
        self._set_activity(ACTIVITY, None)
        self._export_said(text, "warning")

    def _export_said(self, text: str, severity: str, path: Path | None = None) -> None:
        """The full path in the notification, its name alone in the narrow status bar."""
        line = one_line(text)
        self._say(line.replace(str(path), path.name) if path is not None else line)
        self.notify(line, severity=severity, markup=False)  # type: ignore[arg-type]


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _skipped_words(job: ExportJob) -> str:
    """``; 2 skipped (offline ...)``: how many could not be had, and the first reason."""
    if not job.failed:
        return ""
    first = next(iter(job.failed.values()))
    return f"; {len(job.failed)} skipped ({first})"
