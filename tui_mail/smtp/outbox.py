"""Nothing typed is lost: drafts are stored before sending and leave only once sent.

The order is what makes it safe: the draft goes to ``.Drafts`` (0600, fsynced) before any
connection is made; a failure of any kind rewrites it there with the reason; only after the
server accepted the message is a copy stored in ``.Sent``, and only once that copy is
durable is the draft removed. A kill at any moment leaves the message in one of the two.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.utils import getaddresses
from pathlib import Path

from tui_mail.accounts.config import Account
from tui_mail.accounts.secrets import Secret
from tui_mail.compose.draft import Draft, draft_from_stored
from tui_mail.compose.headers import HeaderProblem, date_value, make_message_id
from tui_mail.compose.mime import BuiltMessage, build_message, strip_bcc
from tui_mail.smtp.submit import SubmissionError, SubmitResult, Submitter
from tui_mail.store.maildir import Maildir, MaildirError

DRAFTS = "Drafts"
SENT = "Sent"
MAX_PREPARED = 64 * 1024 * 1024  # what `tui-mail send` reads from a file or stdin


@dataclass(frozen=True)
class StoredDraft:
    """A draft in ``.Drafts``: its key, the fields shown in the list, and why it is there."""

    key: str
    draft: Draft
    size: int


@dataclass(frozen=True)
class SendOutcome:
    """What happened, in words; ``draft_key`` is set when the message stayed a draft."""

    sent: bool
    text: str
    refused: dict[str, str]
    draft_key: str | None = None
    sent_copy: Path | None = None
    needs_password: bool = False  # no password_command or keyring entry: ask and retry


class Outbox:
    """The account's ``.Drafts`` and ``.Sent`` and the way between them."""

    def __init__(self, account: Account, maildir: Path, submitter: Submitter | None) -> None:
        self.account = account
        self.root = Maildir(maildir)
        self.drafts = self.root.folder(DRAFTS)
        self.sent = self.root.folder(SENT)
        self._submitter = submitter

    # -- drafts ---------------------------------------------------------------------------

    def save_draft(
        self, draft: Draft, *, key: str | None = None, failure: str | None = None
    ) -> tuple[Draft, str]:
        """Store (or replace) the draft; returns it with its Message-ID fixed, and the key.

        Raises MaildirError (disk full, permissions) and HeaderProblem.
        """
        if draft.message_id is None:
            draft = draft.with_(message_id=make_message_id(self.account.sending.from_addr_spec))
        draft = draft.with_(failure=failure)
        built = build_message(
            draft, charset="utf-8", include_bcc=True, failure=failure, lenient=True
        )
        if key is None:
            stored = self.drafts.add(built.data, flags="D")
        else:
            stored = self.drafts.replace(key, built.data, flags="D")
        return draft, stored.key

    def list_drafts(self) -> list[StoredDraft]:
        """Every readable draft, newest first."""
        found: list[StoredDraft] = []
        for message in self.drafts.messages():
            try:
                data = message.path.read_bytes()
                draft = draft_from_stored(data)
            except Exception:  # noqa: S112 - one unreadable file does not hide the others
                continue
            found.append(StoredDraft(message.key, draft, len(data)))
        found.reverse()
        return found

    def load(self, key: str) -> Draft:
        message = self.drafts.get(key)
        if message is None:
            raise MaildirError(f"the draft is no longer in {self.drafts.root}")
        return draft_from_stored(message.path.read_bytes())

    @property
    def submitter(self) -> Submitter | None:
        return self._submitter

    def discard(self, key: str) -> bool:
        return self.drafts.remove(key)

    # -- sending --------------------------------------------------------------------------

    def send(
        self, draft: Draft, *, key: str | None = None, secret: Secret | None = None
    ) -> SendOutcome:
        """Store as a draft, submit, then move to ``.Sent``; never raises for a send failure."""
        problems = draft.problems()
        if problems:
            draft, key = self.save_draft(draft, key=key, failure=problems[0])
            return SendOutcome(False, f"Not sent: {problems[0]}", {}, key)
        draft, key = self.save_draft(draft, key=key)
        charset = self.account.sending.charset
        built: list[BuiltMessage] = []

        def message_for(eight_bit_ok: bool) -> bytes:
            message = build_message(
                draft, charset=charset, eight_bit_ok=eight_bit_ok, include_bcc=True
            )
            built.append(message)
            return strip_bcc(message.data)

        sender = _addr_spec(draft.from_)
        return self._submit(
            key, sender, draft.recipients(), message_for, draft=draft, secret=secret, built=built
        )

    def send_prepared(self, data: bytes, *, secret: Secret | None = None) -> SendOutcome:
        """``tui-mail send``: a ready RFC 5322 message (Date and Message-ID added if missing)."""
        data = _with_crlf(data)
        header_end = data.find(b"\r\n\r\n")
        head = data[: header_end + 2] if header_end >= 0 else data
        parsed = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)
        added = b""
        if parsed.get("Date") is None:
            added += f"Date: {date_value()}\r\n".encode()
        if parsed.get("Message-ID") is None:
            added += (
                f"Message-ID: {make_message_id(self.account.sending.from_addr_spec)}\r\n".encode()
            )
        data = added + data
        fields = [str(value) for name in ("To", "Cc", "Bcc") for value in parsed.get_all(name, [])]
        recipients: dict[str, str] = {}
        for _name, address in getaddresses(fields):
            if "@" in address:
                recipients.setdefault(address.lower(), address)
        froms = getaddresses([str(parsed.get("From", ""))])
        sender = (
            froms[0][1] if froms and "@" in froms[0][1] else self.account.sending.from_addr_spec
        )
        stored = self.drafts.add(data, flags="D")
        if not recipients:
            return SendOutcome(
                False, "Not sent: no To, Cc or Bcc address in the message", {}, stored.key
            )
        if not sender:
            return SendOutcome(
                False, "Not sent: no From address and no from in the account", {}, stored.key
            )
        wire = strip_bcc(data)
        return self._submit(
            stored.key,
            sender,
            list(recipients.values()),
            lambda _ok: wire,
            stored_data=data,
            secret=secret,
        )

    def _submit(
        self,
        key: str,
        sender: str,
        recipients: list[str],
        message_for: Callable[[bool], bytes],
        *,
        draft: Draft | None = None,
        built: list[BuiltMessage] | None = None,
        stored_data: bytes | None = None,
        secret: Secret | None = None,
    ) -> SendOutcome:
        if self._submitter is None:
            return self._failed(key, draft, "this account has no [smtp] table", {})
        try:
            result: SubmitResult = self._submitter.send(
                sender, recipients, message_for, secret=secret
            )
        except SubmissionError as error:
            outcome = self._failed(key, draft, str(error), error.refused)
            if error.stage == "secret":
                outcome = replace(outcome, needs_password=True)
            return outcome
        sent_data = built[-1].data if built else stored_data
        assert sent_data is not None
        refused_text = ""
        if result.refused:
            refused_text = (
                " Refused: " + "; ".join(f"{a} ({why})" for a, why in result.refused.items()) + "."
            )
        accepted = ", ".join(result.accepted)
        try:
            copy = self.sent.add(sent_data, flags="S")
        except MaildirError as error:
            note = f"was sent to {accepted}, but the copy could not be stored in {SENT}: {error}"
            key = self._record_failure(key, draft, note)
            return SendOutcome(
                True, f"Sent to {accepted}; {note}.{refused_text}", result.refused, key
            )
        self.drafts.remove(key)
        return SendOutcome(
            True, f"Sent to {accepted}.{refused_text}", result.refused, None, copy.path
        )

    def _failed(
        self, key: str, draft: Draft | None, reason: str, refused: dict[str, str]
    ) -> SendOutcome:
        key = self._record_failure(key, draft, reason)
        return SendOutcome(False, f"Not sent (kept in {DRAFTS}): {reason}", refused, key)

    def _record_failure(self, key: str, draft: Draft | None, reason: str) -> str:
        if draft is None:
            return key  # a prepared message stays as it was written
        try:
            _draft, new_key = self.save_draft(draft, key=key, failure=reason)
        except (MaildirError, HeaderProblem):
            return key  # the earlier copy is still there
        return new_key


def _addr_spec(text: str) -> str:
    pairs = getaddresses([text])
    return pairs[0][1] if pairs else ""


def _with_crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
