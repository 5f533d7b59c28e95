"""New drafts from a received message: reply, group reply, forward inline or as attachment.

The quoted text comes from our own renderer (``tui_mail.mail``), so a Japanese or HTML-only
mail is quoted as the readable text the preview shows, already sanitised. Addresses come
from the original's raw headers, decoded by the same code that fills the message list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui_mail.accounts.config import Account
from tui_mail.compose.draft import AttachedFile, Draft
from tui_mail.compose.headers import display_address, forward_subject, reply_subject
from tui_mail.mail.addresses import parse_addresses
from tui_mail.mail.encoded_words import decode_unstructured
from tui_mail.mail.limits import DEFAULT_LIMITS
from tui_mail.mail.render import render_message
from tui_mail.mail.sanitize import sanitize_text
from tui_mail.mail.source import open_source
from tui_mail.mail.structure import parse_message

MAX_SIGNATURE = 16 * 1024


@dataclass(frozen=True)
class Original:
    """What a reply or forward needs from the message it answers (all sanitised)."""

    from_: list[tuple[str, str]]
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    reply_to: list[tuple[str, str]]
    followup_to: list[tuple[str, str]]
    subject: str
    date_text: str
    message_id: str | None
    references: tuple[str, ...]
    body: str
    raw: bytes


def _clean_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for name, address in pairs:
        address = address.strip()
        if "@" not in address or sanitize_text(address, single_line=True) != address:
            continue  # an unusable or hostile address is not offered as a recipient
        if any(ch.isspace() for ch in address):
            continue
        out.append((sanitize_text(name, single_line=True), address))
    return out


def _msgids(raw: bytes | None) -> list[str]:
    if raw is None:
        return []
    text = raw.decode("ascii", "replace")
    ids = []
    for token in text.replace(">", "> ").split():
        if token.startswith("<") and token.endswith(">") and "@" in token and len(token) < 250:
            if sanitize_text(token, single_line=True) == token and "\ufffd" not in token:
                ids.append(token)
    return ids


def read_original(path: Path, *, prefer_html: bool = False) -> Original:
    """Parse the message at ``path`` (a cached body) for replying or forwarding."""
    raw = path.read_bytes()
    rendered = render_message(raw, prefer_html=prefer_html)
    with open_source(raw) as buf:
        root = parse_message(buf, DEFAULT_LIMITS)
        headers = {
            name: root.header(name)
            for name in (
                "from",
                "to",
                "cc",
                "reply-to",
                "mail-followup-to",
                "message-id",
                "references",
                "in-reply-to",
                "subject",
            )
        }

    def pairs(name: str) -> list[tuple[str, str]]:
        value = headers[name]
        return _clean_pairs(parse_addresses(value)[0]) if value is not None else []

    subject_raw = headers["subject"]
    subject = decode_unstructured(subject_raw)[0] if subject_raw is not None else ""
    ids = _msgids(headers["message-id"])
    references = _msgids(headers["references"]) or _msgids(headers["in-reply-to"])[:1]
    return Original(
        from_=pairs("from"),
        to=pairs("to"),
        cc=pairs("cc"),
        reply_to=pairs("reply-to"),
        followup_to=pairs("mail-followup-to"),
        subject=sanitize_text(" ".join(subject.split()), single_line=True),
        date_text=rendered.date_text,
        message_id=ids[0] if ids else None,
        references=tuple(references),
        body=rendered.body,
        raw=raw,
    )


def own_addresses(account: Account) -> set[str]:
    """Every address that is the user's own (``from``, and the login if it is an address)."""
    mine = {account.user.lower()} if "@" in account.user else set()
    spec = account.sending.from_addr_spec
    if spec:
        mine.add(spec.lower())
    return mine


def _unique(pairs: list[tuple[str, str]], skip: set[str]) -> list[tuple[str, str]]:
    out = []
    seen = set(skip)
    for name, address in pairs:
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        out.append((name, address))
    return out


def _join(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(display_address(pair) for pair in pairs)


def signature_text(account: Account) -> str:
    """``-- `` and the signature file, or nothing (a missing file is not an error here)."""
    path = account.sending.signature
    if path is None:
        return ""
    try:
        with path.open("rb") as file:
            text = file.read(MAX_SIGNATURE).decode("utf-8", "replace")
    except OSError:
        return ""
    text = sanitize_text(text).rstrip("\n")
    if not text:
        return ""
    return ("\n" if text.startswith("-- \n") else "\n-- \n") + text + "\n"


def quote(body: str) -> str:
    """``> `` before every line (``>`` alone on empty ones, as mutt does)."""
    lines = body.rstrip("\n").split("\n")
    return "\n".join(f"> {line}" if line else ">" for line in lines) + "\n"


def _from_line(account: Account) -> str:
    return account.sending.from_address or account.user


def reply_draft(original: Original, account: Account, *, group: bool = False) -> Draft:
    """``r`` (to the sender, or Reply-To) and group reply (everyone but the user)."""
    mine = own_addresses(account)
    sender = original.from_
    from_me = bool(sender) and all(address.lower() in mine for _n, address in sender)
    if group and original.followup_to:
        to = _unique(original.followup_to, mine)
        cc: list[tuple[str, str]] = []
    else:
        if from_me:
            primary = original.to  # replying to one's own mail goes to its recipients
        else:
            primary = original.reply_to or sender
        to = _unique(primary, mine if not from_me else set())
        cc = []
        if group:
            cc = _unique(original.to + original.cc, mine | {a.lower() for _n, a in to})
    who = display_address(sender[0]) if sender else "someone"
    when = f"On {original.date_text}, " if original.date_text else ""
    body = "\n\n" + f"{when}{who} wrote:\n" + quote(original.body) + signature_text(account)
    references = list(original.references)
    if original.message_id and original.message_id not in references:
        references.append(original.message_id)
    return Draft(
        from_=_from_line(account),
        to=_join(to),
        cc=_join(cc),
        subject=reply_subject(original.subject),
        body=body,
        in_reply_to=original.message_id,
        references=tuple(references),
    )


def forward_draft(original: Original, account: Account, *, attach: bool = False) -> Draft:
    """``f`` (the text inline, between markers) or as a message/rfc822 attachment."""
    subject = forward_subject(original.subject)
    signature = signature_text(account)
    if attach:
        name = (original.subject[:60] or "forwarded") + ".eml"
        item = AttachedFile(name, "message/rfc822", original.raw)
        return Draft(
            from_=_from_line(account), subject=subject, body="\n" + signature, attachments=(item,)
        )
    lines = ["", "", "----- Forwarded message -----"]
    for label, value in (
        ("Date", original.date_text),
        ("From", _join(original.from_)),
        ("To", _join(original.to)),
        ("Cc", _join(original.cc)),
        ("Subject", original.subject),
    ):
        if value:
            lines.append(f"{label}: {value}")
    lines.append("")
    body = "\n".join(lines) + "\n" + original.body.rstrip("\n") + "\n"
    body += "----- End forwarded message -----\n" + signature
    return Draft(from_=_from_line(account), subject=subject, body=body)


def new_draft(account: Account) -> Draft:
    """``m``: an empty message with the signature."""
    return Draft(from_=_from_line(account), body="\n" + signature_text(account))
