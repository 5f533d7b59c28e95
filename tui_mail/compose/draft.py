"""A message being written: its fields, the file the editor sees, and the stored copy.

The editor gets a plain text file: editable header lines (From, To, Cc, Bcc, Subject,
Reply-To), a blank line, then the body. What the user writes there is parsed back strictly
(an unknown header is a problem shown on the review screen, not silently dropped), and a
stored draft (a full RFC 5322 message in ``.Drafts``) can be read back into a Draft, so a
postponed or failed message can be continued, by us or by mutt.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field, replace
from email.header import decode_header, make_header
from email.message import EmailMessage, Message

from tui_mail.compose.headers import HeaderProblem, parse_address_list

EDITABLE_FIELDS = ("From", "To", "Cc", "Bcc", "Subject", "Reply-To")
FAILURE_HEADER = "X-Tui-Mail-Send-Error"  # in stored drafts only: why the last send failed


@dataclass(frozen=True)
class AttachedFile:
    """One attachment: a name to show and send, a MIME type, and the bytes."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Draft:
    """Everything that makes the message; the text fields are as the user wrote them."""

    from_: str
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    reply_to: str = ""
    body: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    attachments: tuple[AttachedFile, ...] = ()
    message_id: str | None = None  # fixed once the draft is first stored
    failure: str | None = None  # why the last attempt to send it failed

    def with_(self, **changes: object) -> Draft:
        return replace(self, **changes)  # type: ignore[arg-type]

    def recipients(self) -> list[str]:
        """Envelope recipients (To, Cc, Bcc), each once, in order; raises HeaderProblem."""
        seen: dict[str, str] = {}
        for text in (self.to, self.cc, self.bcc):
            for _name, address in parse_address_list(text):
                seen.setdefault(address.lower(), address)
        return list(seen.values())

    def problems(self) -> list[str]:
        """What stops this draft from being sent, in words (empty when it can go)."""
        found: list[str] = []
        for label, text in (
            ("From", self.from_),
            ("To", self.to),
            ("Cc", self.cc),
            ("Bcc", self.bcc),
            ("Reply-To", self.reply_to),
        ):
            try:
                parsed = parse_address_list(text)
            except HeaderProblem as problem:
                found.append(f"{label}: {problem}")
                continue
            if label == "From" and len(parsed) != 1:
                found.append("From: needs exactly one address")
        if not found and not (self.to.strip() or self.cc.strip() or self.bcc.strip()):
            found.append("no recipients: fill in To, Cc or Bcc")
        return found


def editor_text(draft: Draft) -> str:
    """The file handed to ``$EDITOR``."""
    lines = [
        f"From: {draft.from_}",
        f"To: {draft.to}",
        f"Cc: {draft.cc}",
        f"Bcc: {draft.bcc}",
        f"Subject: {draft.subject}",
    ]
    if draft.reply_to:
        lines.append(f"Reply-To: {draft.reply_to}")
    return "\n".join(lines) + "\n\n" + draft.body


def from_editor_text(draft: Draft, text: str) -> tuple[Draft, list[str]]:
    """The draft updated from the edited file, and problems in the header block (if any)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    head, sep, body = text.partition("\n\n")
    if not sep:
        head, body = text.rstrip("\n"), ""
    values: dict[str, str] = {}
    problems: list[str] = []
    current: str | None = None
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and current is not None:
            values[current] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        canonical = next((f for f in EDITABLE_FIELDS if f.lower() == name.strip().lower()), None)
        if not colon or canonical is None:
            shown = name.strip()[:40] or line[:40]
            problems.append(
                f"header line {shown!r} is not one of "
                + ", ".join(EDITABLE_FIELDS)
                + " (the body starts after the first blank line)"
            )
            current = None
            continue
        current = canonical
        values[canonical] = value.strip()
    updated = draft.with_(
        from_=values.get("From", ""),
        to=values.get("To", ""),
        cc=values.get("Cc", ""),
        bcc=values.get("Bcc", ""),
        subject=values.get("Subject", ""),
        reply_to=values.get("Reply-To", ""),
        body=body,
    )
    return updated, problems


def _text(message: Message, name: str, raw: Message | None = None) -> str:
    try:
        value = message.get(name)
        text = str(value) if value is not None else ""
    except Exception:  # a half-typed address the strict parser cannot read
        if raw is None or raw.get(name) is None:
            return ""
        text = str(make_header(decode_header(str(raw.get(name)))))
    return " ".join(text.split())


def draft_from_stored(data: bytes) -> Draft:
    """Read a stored draft (ours, or one mutt postponed) back for editing."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    raw = email.message_from_bytes(data, policy=email.policy.compat32)
    body = ""
    attachments: list[AttachedFile] = []
    body_part = message.get_body(preferencelist=("plain",))
    for part in message.walk() if message.is_multipart() else [message]:
        if part.is_multipart():
            continue
        if part is body_part:
            content = part.get_content()
            body = content.replace("\r\n", "\n") if isinstance(content, str) else ""
            continue
        assert isinstance(part, EmailMessage)
        attachments.append(_attachment_of(part))
    if message.get_content_type() == "message/rfc822" and body_part is None:
        body = ""
    references = tuple(_text(message, "References").split())
    return Draft(
        from_=_text(message, "From", raw),
        to=_text(message, "To", raw),
        cc=_text(message, "Cc", raw),
        bcc=_text(message, "Bcc", raw),
        subject=_text(message, "Subject", raw),
        reply_to=_text(message, "Reply-To", raw),
        body=body,
        in_reply_to=_text(message, "In-Reply-To") or None,
        references=references,
        attachments=tuple(attachments),
        message_id=_text(message, "Message-ID") or None,
        failure=_text(message, FAILURE_HEADER) or None,
    )


def _attachment_of(part: EmailMessage) -> AttachedFile:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        inner = part.get_payload(0)
        data = inner.as_bytes() if isinstance(inner, Message) else b""
        name = part.get_filename() or "forwarded.eml"
    else:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        name = part.get_filename() or "attachment"
    return AttachedFile(name, content_type, data)
