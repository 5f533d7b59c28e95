"""The Textual app: wires the session's events to the widgets and the keys to the session.

An async worker (group ``session``) awaits the session's ``run``; the real session runs on its
own thread (``session/threaded.py``), so its SQLite work never runs on this loop. It reports
through a callback that only posts a Textual message; handlers here then update the model and
set widget attributes. Nothing here waits on the network or the store: every session call just
enqueues a command.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import events, work
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState, get_current_worker

from tui_mail.session.control import SessionControl
from tui_mail.session.events import (
    BodyFailed,
    BodyReady,
    ConnectionState,
    DeletionsApplied,
    HeadersReady,
    ListChanged,
    ListReplaced,
    Notice,
    PasswordWanted,
    Progress,
    SessionEvent,
    StateChanged,
    SummariesUpdated,
)
from tui_mail.session.protocol_log import ProtocolLogWriter
from tui_mail.store.models import MessageSummary
from tui_mail.ui import messages as msg
from tui_mail.ui.attachment_view import AttachmentViewActions
from tui_mail.ui.bindings import COMPOSE_BINDINGS, SCREEN_BINDINGS, binding_keys, help_entries
from tui_mail.ui.compose_actions import ComposeActions, Composer
from tui_mail.ui.export_actions import ExportActions
from tui_mail.ui.keys_first_app import KeysFirstApp
from tui_mail.ui.list_model import MessageListModel
from tui_mail.ui.local_actions import LocalDeletionActions
from tui_mail.ui.model_feed import ModelFeed
from tui_mail.ui.rendering import MailRenderer, MessageRenderer
from tui_mail.ui.safe_text import one_line
from tui_mail.ui.save_actions import DisplayedMessage
from tui_mail.ui.screens.confirm_quit import ConfirmQuit, QuitChoice
from tui_mail.ui.screens.help import HelpScreen, help_text
from tui_mail.ui.screens.main import MailScreen
from tui_mail.ui.screens.password import PasswordPrompt
from tui_mail.ui.terminal_theme import apply_theme
from tui_mail.ui.widgets.key_line import key_word
from tui_mail.ui.widgets.message_list import Clock, MessageList, local_now
from tui_mail.ui.widgets.preview import preview_text
from tui_mail.ui.widgets.status_bar import StatusInfo, describe_progress
from tui_mail.wording import plural

SESSION_STOP_TIMEOUT = 5.0  # seconds to let the session close its connection on quit
_SILENT_KEYS = frozenset({"tab", "shift+tab"})  # focus moves: never "not bound"
NOTE_SECONDS = 15.0  # how long an outcome stays in the status bar
HINT_SECONDS = 4.0  # how long "key not bound: X" stays there


def deletion_outcome(event: DeletionsApplied) -> str:
    """What happened at the server, in words (UIDs are counted, never shown)."""
    error = one_line(event.error or "")  # the error quotes the server: one line, no controls
    if event.unknown:
        return (
            f"The server did not answer QUIT ({error}): {plural(len(event.unknown), 'message')} "
            "may or may not have been deleted. The marks are kept; the next check says which "
            "went."
        )
    if event.error is not None:
        return f"Nothing was deleted ({error}); the marks are kept for next time."
    text = f"Deleted {plural(len(event.deleted), 'message')} from the server."
    if event.skipped:
        why = f" ({one_line(event.skipped_why)})" if event.skipped_why else ""
        text += f" {plural(len(event.skipped), 'message')} left alone{why}."
    if event.not_found:
        text += (
            f" {len(event.not_found)} marked {'was' if len(event.not_found) == 1 else 'were'}"
            " not found on the server; nothing was deleted in their place."
        )
    return text


class TuiMailApp(
    KeysFirstApp, AttachmentViewActions, ComposeActions, ExportActions, LocalDeletionActions
):
    """The reader. ``session`` is any :class:`SessionControl` (the real one or a test fake)."""

    CSS_PATH = "app.tcss"
    TITLE = "tui-mail"  # never mail text: a hostile subject must not reach the terminal title
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "request_quit", "Quit", show=False, priority=True, id="app.quit"),
    ]

    def __init__(
        self,
        session: SessionControl,
        *,
        account_name: str,
        renderer: MessageRenderer | None = None,
        keymap: dict[str, str] | None = None,
        clock: Clock = local_now,
        download_dir: Path | None = None,
        theme: str | None = None,
        outcome_delay: float = 1.5,
        protocol_log: ProtocolLogWriter | None = None,
        composer: Composer | None = None,
    ) -> None:
        super().__init__()
        self._protocol_log = protocol_log
        self._composer = composer
        self._session = session
        self._account_name = account_name
        self._renderer: MessageRenderer = renderer or MailRenderer()
        self._user_keymap = dict(keymap or {})
        self._clock = clock
        self._download_dir = download_dir
        self._requested_theme = theme
        self._outcome_delay = outcome_delay
        self.model = MessageListModel()
        self.mail_screen = MailScreen(self.model, clock=clock)
        # the session's row events, in order and in slices, so keys never wait for a sync
        self._feed = ModelFeed(self.model, changed=self._refresh_view, schedule=self._after_a_turn)
        self._state = StateChanged(ConnectionState.CONNECTING)
        self._state_since = time.monotonic()
        self._activity: dict[str, str] = {}
        self._note = ""
        self._note_timer: Timer | None = None
        self._wanted_uid: str | None = None
        self._loading_uid: str | None = None  # asked for, not yet ready: Esc cancels it
        self._headers_uid: str | None = None  # the preview shows this message's full headers
        self.displayed: DisplayedMessage | None = None
        self._session_worker: Worker[None] | None = None
        self._quitting = False
        self._quit_after_deletion = False
        self._confirming: frozenset[str] = frozenset()  # what "Delete N messages?" counted
        self.outcome: str | None = None  # printed by run_app after the screen is restored

    # -- start-up ----------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return self.mail_screen

    def on_mount(self) -> None:
        self._bind_keys_first()
        apply_theme(self, self._requested_theme)
        if self._user_keymap:
            self.set_keymap(self._user_keymap)
        self.mail_screen.key_line.set_keys(
            {
                binding_id: self.key_name(keys[0])
                for binding_id, keys in binding_keys(self._user_keymap).items()
            }
        )
        self.set_interval(60, self.mail_screen.message_list.refresh_today)
        self._session_worker = self.run_worker(
            self._run_session(), name="session", group="session", exit_on_error=False
        )
        self.offer_unsent_drafts()

    def _after_a_turn(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once every other task had a turn (keys, widgets, the screen).

        ``call_later`` alone would not do: the app takes queued messages one after another
        without yielding, so a drain that queues the next would starve the focused widget.
        """
        asyncio.get_running_loop().call_soon(self.call_later, callback)

    def on_mail_screen_ready(self, message: MailScreen.Ready) -> None:
        self._refresh_view()

    async def _run_session(self) -> None:
        await self._session.run(self._report)

    def _report(self, event: SessionEvent) -> None:
        """The session's callback: may run on any thread, so it only posts a message."""
        self.post_message(msg.wrap_event(event))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._session_worker:
            return
        ended = event.state in (WorkerState.ERROR, WorkerState.SUCCESS, WorkerState.CANCELLED)
        if self._quitting:
            if ended and self._quit_after_deletion and self.outcome is None:
                # The session ended without answering: nobody is left to delete anything.
                self.outcome = "Nothing was deleted (the session had stopped); the marks are kept."
                self._finish()
            return
        if event.state in (WorkerState.ERROR, WorkerState.SUCCESS):
            error = event.worker.error
            why = f"session stopped: {type(error).__name__}" if error else "session ended"
            self._state = StateChanged(ConnectionState.OFFLINE, why)
            self._state_since = time.monotonic()
            self._refresh_status()
            if error is not None:
                detail = one_line(f"{why} ({error}); q quits; run with --log FILE to report it")
                self.notify(detail, severity="error", markup=False)

    def _session_alive(self) -> bool:
        worker = self._session_worker
        return worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    # -- session events ----------------------------------------------------------------------

    def on_session_state_changed(self, message: msg.SessionMessage[StateChanged]) -> None:
        self._state = message.event
        self._state_since = time.monotonic()
        self._refresh_status()

    def on_session_list_replaced(self, message: msg.SessionMessage[ListReplaced]) -> None:
        self._feed.replace(message.event.summaries)

    def on_session_list_changed(self, message: msg.SessionMessage[ListChanged]) -> None:
        """A sync's difference, applied in place: the cursor, the filter and marks stay."""
        event = message.event
        self._feed.change([*event.added, *event.updated], event.removed)

    def on_session_summaries_updated(self, message: msg.SessionMessage[SummariesUpdated]) -> None:
        self._feed.change(list(message.event.summaries))

    def on_session_progress(self, message: msg.SessionMessage[Progress]) -> None:
        event = message.event
        task = one_line(event.task)
        if event.total is not None and event.done >= event.total:
            self._activity.pop(task, None)
        else:
            self._activity[task] = describe_progress(task, event.done, event.total)
        self._refresh_status()

    def on_session_body_ready(self, message: msg.SessionMessage[BodyReady]) -> None:
        if message.event.uid == self._loading_uid:
            self._loading_uid = None
        if message.event.uid == self._wanted_uid:
            row = self.model.get(message.event.uid)
            self._render_body(message.event.uid, message.event.path, row.problem if row else "")

    def on_session_body_failed(self, message: msg.SessionMessage[BodyFailed]) -> None:
        if message.event.uid == self._loading_uid:
            self._loading_uid = None
        if message.event.uid == self._wanted_uid:
            self._wanted_uid = None
            reason = one_line(message.event.reason)
            self.mail_screen.preview.show_status(f"Could not load this message: {reason}")

    def on_session_deletions_applied(self, message: msg.SessionMessage[DeletionsApplied]) -> None:
        outcome = self._with_local_outcome(deletion_outcome(message.event))
        self._activity.pop("deleting", None)
        self._feed.change([], message.event.deleted)
        self._say(outcome)
        self._refresh_view()
        if self._quit_after_deletion:
            self.outcome = outcome
            self._finish()
        else:
            self.notify(outcome, markup=False)

    def _say(self, note: str, seconds: float = NOTE_SECONDS) -> None:
        """A short line of our own in the status bar (replacing the previous one)."""
        self._note = note
        if self._note_timer is not None:
            self._note_timer.stop()
        self._note_timer = self.set_timer(seconds, self._clear_note)
        self._refresh_status()

    def _clear_note(self) -> None:
        self._note = ""
        self._note_timer = None
        self._refresh_status()

    def on_session_password_wanted(self, message: msg.SessionMessage[PasswordWanted]) -> None:
        """Ask again at once, in the app (masked); Esc stays offline with the cached list."""
        if self._quitting:
            return
        prompt = message.event.prompt
        if isinstance(self.screen, PasswordPrompt):
            self.screen.update_prompt(prompt)
            return
        self.push_screen(PasswordPrompt(prompt, self._account_name), self._session.provide_password)

    def key_name(self, key: str) -> str:
        """A key as the key line, the help and the prompts show it (``Enter``, ``^f``, ``$``)."""
        return key_word(key, self.get_key_display(Binding(key, "")))

    def on_key(self, event: events.Key) -> None:
        """mutt's "Key is not bound": a key that does nothing on the main screen says so.

        Runs before the bindings are looked up, so it asks the screen which keys are bound.
        Keys typed into the filter never get here (the input consumes them).
        """
        if self.screen is not self.mail_screen or isinstance(self.focused, Input):
            return
        if event.key in self.screen.active_bindings or event.key in _SILENT_KEYS:
            return
        self._say(f"key not bound: {self.key_name(event.key)} (? lists the keys)", HINT_SECONDS)

    def on_session_notice(self, message: msg.SessionMessage[Notice]) -> None:
        severity = message.event.severity
        if severity not in ("information", "warning", "error"):
            severity = "information"
        self.notify(one_line(message.event.text), severity=severity, markup=False)  # type: ignore[arg-type]

    # -- showing a message -------------------------------------------------------------------

    @work(thread=True, group="render", exclusive=True, exit_on_error=False)
    def _render_body(self, uid: str, path: Path, problem: str = "") -> None:
        """Read and render off the event loop; a broken message must not stall or crash.

        ``problem`` is what the list could not read of this message (its ``!``): said at the
        end of the preview too, so the mark is never left unexplained.
        """
        worker = get_current_worker()
        try:
            rendered = self._renderer.render(path)
            shown = rendered.as_text()
            if problem:
                shown += f"\n[In the message list: {problem}]\n"
            text = preview_text(shown)
        except Exception as error:
            if not worker.is_cancelled:
                reason = f"could not render it ({type(error).__name__})"
                self.post_message(msg.BodyRenderFailed(uid, reason))
            return
        if not worker.is_cancelled:
            self.post_message(msg.BodyRendered(uid, path, rendered, text))

    def on_body_rendered(self, message: msg.BodyRendered) -> None:
        if message.uid != self._wanted_uid:
            return
        self.mail_screen.preview.show_text(message.text, uid=message.uid)
        self.displayed = DisplayedMessage(message.uid, message.path, message.rendered)
        row = self.model.get(message.uid)
        if row is not None and row.unread:
            self._set_read(row, read=True)
        self._opened(self.displayed)
        self.compose_after_open(message.uid, message.path)

    def on_body_render_failed(self, message: msg.BodyRenderFailed) -> None:
        if message.uid == self._wanted_uid:
            self._wanted_uid = None
            self.mail_screen.preview.show_status(f"Could not show this message: {message.reason}")

    def action_open_message(self) -> None:
        row = self.mail_screen.message_list.highlighted
        if row is None:
            return
        self._open(row)

    def _highlighted_row(self) -> MessageSummary | None:
        return self.mail_screen.message_list.highlighted

    def _tag_list(self) -> MessageList:
        return self.mail_screen.message_list

    def _open(self, row: MessageSummary) -> None:
        self._headers_uid = None
        self.mail_screen.add_class("-preview")
        if self._wanted_uid == row.uid:
            return  # already shown, or on its way
        self._after_open = None  # a save waiting for another message is dropped
        self._wanted_uid = self._loading_uid = row.uid
        self.mail_screen.message_list.set_previewed(row.uid)
        self.mail_screen.preview.show_status("Loading message… (Esc cancels)")
        self._session.request_body(row.uid)  # a large download of another one is cancelled

    def _highlighted_not_open(self) -> MessageSummary | None:
        """The highlighted row when it is not the one in (or on its way to) the preview."""
        row = self.mail_screen.message_list.highlighted
        shown = row is not None and row.uid in (self._wanted_uid, self._headers_uid)
        if row is None or (shown and self.mail_screen.has_class("-preview")):
            return None
        return row

    def action_toggle_headers(self) -> None:
        """``h``: every header field of the highlighted message, from the header cache (so a
        huge or suspicious message can be judged before it is downloaded); ``h`` again: the
        message itself."""
        row = self.mail_screen.message_list.highlighted
        if row is None:
            return
        if self._headers_uid == row.uid:
            self._wanted_uid = None
            self.action_open_message()
            return
        self.mail_screen.add_class("-preview")
        self._headers_uid = row.uid
        self.mail_screen.message_list.set_previewed(row.uid)
        self._wanted_uid = None  # a body still on its way must not replace the headers
        if self.displayed is not None and self.displayed.uid != row.uid:
            self.displayed = None
        self.mail_screen.preview.show_status("Reading the header fields…")
        self._session.request_headers(row.uid)  # read by the session, off this loop

    def on_session_headers_ready(self, message: msg.SessionMessage[HeadersReady]) -> None:
        uid, lines = message.event.uid, message.event.lines
        if uid != self._headers_uid:
            return  # the user moved on meanwhile
        if not lines:
            self.mail_screen.preview.show_status("No header fields are cached for this message.")
            return
        self.mail_screen.preview.show_text(preview_text("\n".join(lines) + "\n"), uid=uid)

    def _highlighted_uid(self) -> str | None:
        row = self.mail_screen.message_list.highlighted
        return row.uid if row is not None else None

    def _open_for_compose(self) -> None:
        self.action_open_message()

    def _set_activity(self, key: str, text: str | None) -> None:
        if text is None:
            self._activity.pop(key, None)
        else:
            self._activity[key] = text
        self._refresh_status()

    def action_preview_page_down(self) -> None:
        """Space / PageDown: as mutt's Space, open the highlighted message, else page on."""
        row = self._highlighted_not_open()
        if row is not None:
            self._open(row)
            return
        self.mail_screen.preview.scroll_page_down(animate=False)

    def action_preview_page_up(self) -> None:
        self.mail_screen.preview.scroll_page_up(animate=False)

    def action_toggle_full_preview(self) -> None:
        screen = self.mail_screen
        if screen.has_class("-zoom"):
            screen.remove_class("-zoom")
            screen.message_list.focus()
        else:
            screen.add_class("-zoom", "-preview")
            screen.preview.focus()

    # -- marks and read state ------------------------------------------------------------------

    def action_toggle_delete(self) -> None:
        row = self.mail_screen.message_list.highlighted
        if row is not None:
            self._set_marked(row, marked=not row.marked_delete)
            self.mail_screen.message_list.move_cursor(1)

    def action_undelete(self) -> None:
        row = self.mail_screen.message_list.highlighted
        if row is not None:
            if row.marked_delete:
                self._set_marked(row, marked=False)
            self.mail_screen.message_list.move_cursor(1)

    def action_toggle_read(self) -> None:
        row = self.mail_screen.message_list.highlighted
        if row is not None:
            self._set_read(row, read=row.unread)

    def _set_marked(self, row: MessageSummary, *, marked: bool) -> None:
        self._session.set_marked(row.uid, marked)
        self.model.update([row.with_(marked_delete=marked)])
        self._refresh_view()

    def _set_read(self, row: MessageSummary, *, read: bool) -> None:
        self._session.set_read(row.uid, read)
        self.model.update([row.with_(unread=not read)])
        self._refresh_view()

    # -- list: filter and sort -------------------------------------------------------------------

    def action_start_filter(self) -> None:
        field = self.mail_screen.filter_input
        field.add_class("-shown")
        field.value = self.model.filter_text
        field.focus()

    def action_clear_filter(self) -> None:
        """Esc: cancel a message download under way, else clear the filter."""
        if self._loading_uid is not None:
            self._loading_uid = self._wanted_uid = None
            self._session.cancel_body()
            self.mail_screen.preview.show_status("Download cancelled.")
            return
        if self._cancel_export():
            return
        field = self.mail_screen.filter_input
        if not field.has_class("-shown") and not self.model.filter_text:
            return
        field.remove_class("-shown")
        field.value = ""
        self.model.set_filter("")
        self.mail_screen.message_list.focus()
        self._refresh_view(keep_place=True)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.model.set_filter(event.value)
            self._refresh_view(top_if_gone=True, keep_place=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            event.input.remove_class("-shown")
            self.mail_screen.message_list.focus()

    def action_cycle_sort(self) -> None:
        self.model.set_order(self.model.order.next())
        self._refresh_view(keep_place=True)

    # -- mail: refresh, deletion, quitting -----------------------------------------------------

    def action_check_mail(self) -> None:
        self._session.request_refresh()

    def action_apply_deletions(self) -> None:
        if self.model.marked == 0:
            self.notify("Nothing is marked for deletion; checking for new mail.", markup=False)
            self._session.request_refresh()
            return
        if isinstance(self.screen, ConfirmQuit):
            return
        # The question counts exactly the set that "y" then applies (local copies apart).
        self._confirming = self._split_marks()
        local = len(self._confirming_local)
        question = ConfirmQuit(len(self._confirming), then_quit=False, local=local)
        self.push_screen(question, self._on_purge_choice)

    def _on_purge_choice(self, choice: QuitChoice | None) -> None:
        """``$`` answered: y deletes now and stays; n and Esc keep the marks."""
        marked = self._confirming
        if choice != "delete":
            return
        self._remove_local_confirmed(then_quit=False)
        if not marked:
            return
        self._activity["deleting"] = f"deleting {len(marked)}"
        self._refresh_status()
        self._session.apply_deletions(then_quit=False, uids=marked)

    def action_request_quit(self) -> None:
        """``q``: quit at once, or ask first when messages are marked for deletion."""
        if self._quitting or isinstance(self.screen, ConfirmQuit):
            return
        if self.model.marked == 0:
            self._finish()
        else:
            # The question counts exactly the set that "y" then applies (local copies apart).
            self._confirming = self._split_marks()
            local = len(self._confirming_local)
            self.push_screen(ConfirmQuit(len(self._confirming), local=local), self._on_quit_choice)

    def _on_quit_choice(self, choice: QuitChoice | None) -> None:
        if choice == "delete" and not self._session_alive():
            self.outcome = "Nothing was deleted (the session had stopped); the marks are kept."
            self._finish()
        elif choice == "delete" and not self._confirming:  # only local copies: then quit
            self._quitting = True
            self._remove_local_confirmed(then_quit=True)
        elif choice == "delete":
            self._remove_local_confirmed(then_quit=True)
            self._quitting = self._quit_after_deletion = True
            self._activity["deleting"] = f"deleting {len(self._confirming)}"
            self._refresh_status()
            self._session.apply_deletions(then_quit=True, uids=self._confirming)
        elif choice == "keep":
            self._finish()

    def action_quit_keep(self) -> None:
        """``x``: quit without deleting anything (also while a deletion is pending)."""
        self._quit_after_deletion = False
        self._finish()

    async def action_quit(self) -> None:
        """Textual's own quit (e.g. from the command palette) goes through ``q``'s question."""
        self.action_request_quit()

    def _finish(self) -> None:
        self._quitting = True
        self.run_worker(self._shutdown_and_exit(), name="quit", group="quit", exclusive=True)

    async def _shutdown_and_exit(self) -> None:
        self._session.shutdown()
        worker = self._session_worker
        if worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
            try:
                await asyncio.wait_for(worker.wait(), timeout=SESSION_STOP_TIMEOUT)
            except (TimeoutError, WorkerFailed, WorkerCancelled):
                pass
        if self.outcome and self._outcome_delay > 0:
            await asyncio.sleep(self._outcome_delay)  # let the outcome be read in the bar
        self.exit()

    def action_toggle_protocol_log(self) -> None:
        """``L``: record the POP3 conversation for a bug report (secrets as ***), or stop."""
        log = self._protocol_log
        if log is None:
            self.notify("No protocol log in this session.", markup=False)
            return
        try:
            on = log.toggle()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            self.notify(f"Cannot write {log.path}: {reason}", severity="error", markup=False)
            return
        state = "on (passwords and message text left out)" if on else "off"
        self.notify(f"Protocol log {state}: {log.path}", markup=False)

    # -- help and command palette ----------------------------------------------------------

    def action_show_keys(self) -> None:
        entries = help_entries(self._user_keymap)
        display = {key: self.key_name(key) for entry in entries for key in entry.keys}
        self.push_screen(HelpScreen(help_text(entries, display)))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every mail action in the command palette, and nothing else.

        Textual's generic entries (theme, screenshot, maximize...) only cluttered it.
        """
        if screen is self.mail_screen:
            for binding in [*SCREEN_BINDINGS, *COMPOSE_BINDINGS]:
                action = binding.action.removeprefix("app.")
                keys = self._user_keymap.get(binding.id or "", binding.key)
                shown = ", ".join(self.key_name(k.strip()) for k in keys.split(","))
                yield SystemCommand(
                    binding.description, f"key: {shown}", self._palette_callback(action)
                )

    def _palette_callback(self, action: str) -> Callable[[], object]:
        async def run() -> None:
            await self.run_action(action)

        return run

    # -- drawing -----------------------------------------------------------------------------

    def _refresh_view(self, *, top_if_gone: bool = False, keep_place: bool = False) -> None:
        screen = self.mail_screen
        if not screen.message_list.is_mounted:
            return
        listing = screen.message_list
        listing.model_changed(top_if_gone=top_if_gone, keep_place=keep_place)
        screen.header.show(order=self.model.order, filter_text=self.model.filter_text)
        self._refresh_status()

    def _refresh_status(self) -> None:
        if not self.mail_screen.status_bar.is_mounted:
            return
        self.mail_screen.status_bar.show(
            StatusInfo(
                account=self._account_name,
                state=self._state,
                state_since=self._state_since,
                messages=self.model.total - self.model.local_only,
                local_only=self.model.local_only,
                unread=self.model.unread,
                to_delete=self.model.marked,
                activity=tuple(self._activity.values()),
                note=self._note,
            )
        )


def run_app(
    session: SessionControl,
    *,
    mouse: bool = True,
    renderer: MessageRenderer | None = None,
    keymap: dict[str, str] | None = None,
    protocol_log: ProtocolLogWriter | None = None,
    composer: Composer | None = None,
) -> int:
    """Run the reader until the user quits; print the deletion outcome once the screen is back.

    ``mouse=False`` (``--no-mouse``) turns mouse reporting off, which helps over SSH.
    """
    app = TuiMailApp(
        session,
        account_name=session.account_name,
        renderer=renderer,
        keymap=keymap,
        protocol_log=protocol_log,
        composer=composer,
    )
    app.run(mouse=mouse)
    if app.outcome:
        print(one_line(app.outcome), file=sys.stderr)
    return app.return_code or 0
