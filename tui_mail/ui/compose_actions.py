"""Reply, forward and write: the editor, the review screen and sending, in the reader.

The flow: a draft is made from the message (``tui_mail.compose``), handed to ``$VISUAL`` /
``$EDITOR`` (``vi`` otherwise) with the terminal suspended, stored in ``.Drafts`` as soon as
the editor returns (nothing typed is lost, even if the app is killed at the review screen),
then reviewed. Sending runs in a thread worker and reports with a message; on failure the
draft stays in ``.Drafts`` with the reason and ``P`` continues it.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from textual import work
from textual.app import SuspendNotSupported
from textual.message import Message

from tui_mail.accounts.config import Account
from tui_mail.accounts.paths import data_root, ensure_private_dir
from tui_mail.accounts.secrets import SecretProvider
from tui_mail.compose.draft import AttachedFile, Draft, editor_text, from_editor_text
from tui_mail.compose.headers import HeaderProblem
from tui_mail.compose.mime import build_message, guess_type
from tui_mail.smtp.outbox import Outbox, SendOutcome, StoredDraft
from tui_mail.store.maildir import MaildirError
from tui_mail.ui.save_actions import SaveActions
from tui_mail.ui.screens.drafts import DraftsScreen
from tui_mail.ui.screens.review import (
    AttachPrompt,
    PasswordPrompt,
    ReviewChoice,
    ReviewInfo,
    ReviewScreen,
    YesNo,
)
from tui_mail.wording import plural

ComposeKind = Literal["reply", "group_reply", "forward", "forward_attached"]
MAX_ATTACHMENT = 25 * 1024 * 1024  # what most submission servers accept in one message


def editor_command() -> list[str]:
    """``$VISUAL``, else ``$EDITOR``, else ``vi`` (split as a shell would, never run by one)."""
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError:
                continue
            if words:
                return words
    return ["vi"]


@dataclass
class Composer:
    """What the reader needs to write mail for one account (no Textual in here)."""

    account: Account
    outbox: Outbox
    secrets: SecretProvider  # never prompts: the UI asks in its own dialog
    work_dir: Path = field(default_factory=lambda: data_root() / "compose")

    def remember_password(self, value: str) -> None:
        submitter = self.outbox.submitter
        if submitter is not None and submitter.target.secret_account is not None:
            self.secrets.accept_typed_password(
                submitter.target.secret_account, value, remember=False
            )


EDIT_PREFIX = "draft-"
EDIT_SEPARATOR = "--"


def recover_interrupted_edits(composer: Composer) -> int:
    """Editor files left behind (the link dropped, the app was killed) become drafts again.

    Only one reader runs per account, so a file here is never being edited right now.
    Returns how many were recovered; a file that cannot be stored stays where it is.
    """
    try:
        names = sorted(os.listdir(composer.work_dir))
    except OSError:
        return 0
    recovered = 0
    for name in names:
        if not (name.startswith(EDIT_PREFIX) and name.endswith(".txt")):
            continue
        path = composer.work_dir / name
        key = name[len(EDIT_PREFIX) :].partition(EDIT_SEPARATOR)[0] or None
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            base = composer.outbox.load(key) if key else None
        except (OSError, ValueError):
            base = None
        if base is None:
            from tui_mail.compose.reply import new_draft

            base = new_draft(composer.account)
            key = None
        edited, _problems = from_editor_text(base, text)
        try:
            composer.outbox.save_draft(edited, key=key)
        except (MaildirError, HeaderProblem):
            continue
        path.unlink(missing_ok=True)
        recovered += 1
    return recovered


class DraftPrepared(Message):
    def __init__(self, draft: Draft) -> None:
        super().__init__()
        self.draft = draft


class DraftFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class SendFinished(Message):
    def __init__(self, outcome: SendOutcome, draft: Draft) -> None:
        super().__init__()
        self.outcome = outcome
        self.draft = draft


class ComposeActions(SaveActions):
    """Base of the app with the compose actions; the app sets ``_composer``."""

    _composer: Composer | None = None
    _pending_compose: tuple[str, ComposeKind] | None = None

    # Provided by the app.
    def _highlighted_uid(self) -> str | None:
        raise NotImplementedError

    def _open_for_compose(self) -> None:
        raise NotImplementedError

    def _set_activity(self, key: str, text: str | None) -> None:
        raise NotImplementedError

    # -- starting ----------------------------------------------------------------------------

    def action_reply(self) -> None:
        self._from_message("reply")

    def action_group_reply(self) -> None:
        self._from_message("group_reply")

    def action_forward(self) -> None:
        self._from_message("forward")

    def action_forward_attached(self) -> None:
        self._from_message("forward_attached")

    def action_compose(self) -> None:
        composer = self._composer_or_say()
        if composer is not None:
            from tui_mail.compose.reply import new_draft

            self._edit(new_draft(composer.account), None, fresh=True)

    def _composer_or_say(self) -> Composer | None:
        if self._composer is None:
            self.notify("Writing mail is not available in this session.", markup=False)
        return self._composer

    def _from_message(self, kind: ComposeKind) -> None:
        if self._composer_or_say() is None:
            return
        uid = self._highlighted_uid()
        if uid is None:
            self.notify("No message selected.", markup=False)
            return
        shown = self.displayed
        if shown is not None and shown.uid == uid:
            self._prepare(kind, shown.path)
        else:
            self._pending_compose = (uid, kind)
            self._open_for_compose()  # the reply starts once the message is shown

    def compose_after_open(self, uid: str, path: Path) -> None:
        """Called by the app when a message is shown: continue a pending reply/forward."""
        pending, self._pending_compose = self._pending_compose, None
        if pending is not None and pending[0] == uid:
            self._prepare(pending[1], path)

    @work(thread=True, group="compose", exit_on_error=False)
    def _prepare(self, kind: ComposeKind, path: Path) -> None:
        composer = self._composer
        assert composer is not None
        account = composer.account
        # Quoting needs the MIME renderer (lxml for HTML): loaded here, not for the first frame.
        from tui_mail.compose.reply import forward_draft, read_original, reply_draft

        try:
            original = read_original(path, prefer_html=account.prefer_html)
            if kind in ("reply", "group_reply"):
                draft = reply_draft(original, account, group=kind == "group_reply")
            else:
                draft = forward_draft(original, account, attach=kind == "forward_attached")
        except Exception as error:  # one bad message must not stop the reader
            self.post_message(DraftFailed(f"cannot quote this message ({type(error).__name__})"))
            return
        self.post_message(DraftPrepared(draft))

    def on_draft_prepared(self, message: DraftPrepared) -> None:
        self._edit(message.draft, None, fresh=True)

    def on_draft_failed(self, message: DraftFailed) -> None:
        self.notify(message.reason, severity="error", markup=False)

    # -- the editor --------------------------------------------------------------------------

    def _edit(self, draft: Draft, key: str | None, *, fresh: bool) -> None:
        composer = self._composer
        assert composer is not None
        if key is None:
            # Stored before the editor starts: if the link drops while editing, the threading
            # headers survive with it and the next start joins the editor's file to it.
            try:
                draft, key = composer.outbox.save_draft(draft)
            except (MaildirError, HeaderProblem):
                key = None
        before = editor_text(draft)
        try:
            ensure_private_dir(composer.work_dir)
            fd, name = tempfile.mkstemp(
                prefix=f"{EDIT_PREFIX}{key or ''}{EDIT_SEPARATOR}",
                suffix=".txt",
                dir=composer.work_dir,
            )
        except OSError as error:
            self.notify(f"Cannot write the draft file: {error.strerror}", severity="error")
            return
        path = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(before)
        status = self._run_editor(path)
        try:
            after = path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            self.notify(f"Cannot read the draft file back: {error.strerror}", severity="error")
            return
        if fresh and after == before:
            path.unlink(missing_ok=True)
            if key is not None:
                composer.outbox.discard(key)
            if status is not None:
                self.notify(status, severity="error", markup=False)
            else:
                self.notify("Message not changed: nothing sent, nothing kept.", markup=False)
            return
        if status is not None:
            self.notify(status, severity="error", markup=False)
        edited, problems = from_editor_text(draft, after)
        try:
            edited, key = composer.outbox.save_draft(edited, key=key)
        except (MaildirError, HeaderProblem) as error:
            # Keep the editor's file: it is the only copy of what was typed.
            self.notify(
                f"Could not store the draft ({error}); your text is kept in {path}",
                severity="error",
                markup=False,
            )
            self._review(edited, key, problems)
            return
        path.unlink(missing_ok=True)
        self._review(edited, key, problems)

    def _run_editor(self, path: Path) -> str | None:
        """Run the editor on ``path`` with the terminal handed over; an error text or None."""
        command = [*editor_command(), str(path)]
        try:
            suspended: contextlib.AbstractContextManager[None] = self.suspend()
            suspended.__enter__()
        except SuspendNotSupported:  # headless (tests): nothing to hand over
            suspended = contextlib.nullcontext()
            suspended.__enter__()
        try:
            result = subprocess.run(command, check=False)  # noqa: S603 - the user's own editor
        except OSError as error:
            return f"Cannot start the editor {command[0]!r}: {error.strerror}"
        finally:
            suspended.__exit__(None, None, None)
            self.refresh()
        if result.returncode != 0:
            return f"The editor exited with status {result.returncode}."
        return None

    # -- review ------------------------------------------------------------------------------

    def _review(
        self, draft: Draft, key: str | None, problems: list[str] | tuple[str, ...] = ()
    ) -> None:
        composer = self._composer
        assert composer is not None
        found = list(problems) + [p for p in draft.problems() if p not in problems]
        size = 0
        charset = "UTF-8"
        notes: tuple[str, ...] = ()
        try:
            built = build_message(draft, charset=composer.account.sending.charset)
            size, notes, charset = len(built.data), built.notes, built.charset.upper()
        except HeaderProblem as problem:
            found.append(str(problem))
        if composer.outbox.submitter is None:
            notes += (
                f"This account has no [accounts.{composer.account.name}.smtp] table: "
                "p keeps the message in Drafts.",
            )
        info = ReviewInfo(draft, size, charset, tuple(dict.fromkeys(found)), notes)
        title = "Review: y sends" if not found else "Review: fix with e, or p to postpone"

        def chosen(choice: ReviewChoice | None) -> None:
            self._on_review_choice(choice or "postpone", draft, key)

        self.push_screen(ReviewScreen(info, title), chosen)

    def _on_review_choice(self, choice: ReviewChoice, draft: Draft, key: str | None) -> None:
        composer = self._composer
        assert composer is not None
        if choice == "send":
            self._send(draft, key)
        elif choice == "edit":
            self._edit(draft, key, fresh=False)
        elif choice == "attach":
            self.push_screen(
                AttachPrompt(Path.cwd()), lambda path: self._attach_file(draft, key, path)
            )
        elif choice == "detach":
            self._store_and_review(draft.with_(attachments=draft.attachments[:-1]), key)
        elif choice == "postpone":
            self._postpone(draft, key)
        else:

            def answered(yes: bool | None) -> None:
                if yes:
                    if key is not None:
                        composer.outbox.discard(key)
                    self.notify("Message abandoned.", markup=False)
                else:
                    self._review(draft, key)

            self.push_screen(YesNo("Abandon this message? It is removed from Drafts."), answered)

    def _postpone(self, draft: Draft, key: str | None) -> None:
        composer = self._composer
        assert composer is not None
        try:
            composer.outbox.save_draft(draft, key=key)
        except (MaildirError, HeaderProblem) as error:
            self.notify(f"Could not store the draft: {error}", severity="error", markup=False)
            self._review(draft, key)
            return
        self.notify("Postponed: kept in Drafts; P continues it.", markup=False)

    def _attach_file(self, draft: Draft, key: str | None, path: Path | None) -> None:
        if path is None:
            self._review(draft, key)
            return
        try:
            size = path.stat().st_size
            if size > MAX_ATTACHMENT:
                raise ValueError(f"{path.name} is larger than 25 MB")
            data = path.read_bytes()
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) else str(error)
            self.notify(f"Cannot attach: {reason}", severity="error", markup=False)
            self._review(draft, key)
            return
        item = AttachedFile(path.name, guess_type(path.name), data)
        self._store_and_review(draft.with_(attachments=(*draft.attachments, item)), key)

    def _store_and_review(self, draft: Draft, key: str | None) -> None:
        composer = self._composer
        assert composer is not None
        try:
            draft, key = composer.outbox.save_draft(draft, key=key)
        except (MaildirError, HeaderProblem) as error:
            self.notify(f"Could not store the draft: {error}", severity="error", markup=False)
        self._review(draft, key)

    # -- sending -----------------------------------------------------------------------------

    def _send(self, draft: Draft, key: str | None) -> None:
        self._set_activity("sending", "sending…")
        self._send_worker(draft, key)

    @work(thread=True, group="send", exit_on_error=False)
    def _send_worker(self, draft: Draft, key: str | None) -> None:
        composer = self._composer
        assert composer is not None
        try:
            outcome = composer.outbox.send(draft, key=key)
        except (MaildirError, HeaderProblem) as error:
            outcome = SendOutcome(False, f"Not sent: could not store the draft first ({error})", {})
        except Exception as error:  # a bug must not lose the message or kill the reader
            outcome = SendOutcome(False, f"Not sent: {type(error).__name__}", {}, key)
        self.post_message(SendFinished(outcome, draft))

    def on_send_finished(self, message: SendFinished) -> None:
        self._set_activity("sending", None)
        outcome = message.outcome
        composer = self._composer
        if outcome.needs_password and composer is not None:
            submitter = composer.outbox.submitter
            who = submitter.target.secret_account if submitter is not None else None
            title = f"SMTP password for {who.keyring_user}:" if who else "SMTP password:"
            key = outcome.draft_key

            def typed(value: str | None) -> None:
                if value is None:
                    self.notify("Not sent: kept in Drafts; P continues it.", markup=False)
                    return
                try:
                    composer.remember_password(value)
                except Exception as error:
                    self.notify(str(error), severity="error", markup=False)
                    return
                self._send(composer.outbox.load(key) if key else message.draft, key)

            self.push_screen(PasswordPrompt(title), typed)
            return
        if outcome.sent:
            self.notify(
                outcome.text, markup=False, severity="warning" if outcome.refused else "information"
            )
        else:
            self.notify(
                outcome.text + " P continues it.", severity="error", markup=False, timeout=15
            )

    # -- drafts ------------------------------------------------------------------------------

    def action_drafts(self) -> None:
        composer = self._composer_or_say()
        if composer is None:
            return
        drafts = composer.outbox.list_drafts()
        if not drafts:
            self.notify("No drafts: nothing postponed or unsent.", markup=False)
            return

        def chosen(key: str | None) -> None:
            if key is None:
                return
            try:
                draft = composer.outbox.load(key)
            except (OSError, ValueError) as error:
                self.notify(f"Cannot read that draft: {error}", severity="error", markup=False)
                return
            self._review(draft, key)

        self.push_screen(DraftsScreen(drafts), chosen)

    def offer_unsent_drafts(self) -> None:
        """At start-up: say that messages are waiting in Drafts (and how to continue them)."""
        composer = self._composer
        if composer is None:
            return
        recovered = recover_interrupted_edits(composer)
        if recovered:
            self.notify(
                f"Recovered {plural(recovered, 'message')} you were writing when tui-mail "
                "stopped; they are in Drafts. P continues.",
                severity="warning",
                markup=False,
                timeout=15,
            )
        try:
            drafts: list[StoredDraft] = composer.outbox.list_drafts()
        except OSError:
            return
        failed = [d for d in drafts if d.draft.failure]
        if failed:
            count = plural(len(failed), "message")
            self.notify(
                f"{count} in Drafts not sent yet ({failed[0].draft.failure}). P continues.",
                severity="warning",
                markup=False,
                timeout=15,
            )
