"""A Draft to the bytes that go on the wire (and into ``.Drafts`` / ``.Sent``).

Rules: every header we write is ASCII (RFC 2047 words in UTF-8, or ISO-2022-JP when the
account asks and the text fits it); the body is 7bit when it can be, 8bit only when the server
offered 8BITMIME (and no line is over 998 octets), otherwise quoted-printable; ISO-2022-JP
text is 7bit by nature. Attachments are base64 with RFC 2231 names. MIME is assembled here
rather than by ``email.generator`` so headers are never re-encoded behind our back.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
import secrets
import unicodedata
import urllib.parse
from dataclasses import dataclass

from tui_mail.accounts.sending import Charset
from tui_mail.compose.draft import FAILURE_HEADER, AttachedFile, Draft
from tui_mail.compose.headers import (
    HeaderProblem,
    address_field,
    can_encode,
    date_value,
    make_message_id,
    msgid_field,
    parse_address_list,
    unstructured,
)
from tui_mail.compose.japanese import encode_iso2022jp

MAX_LINE_OCTETS = 998  # RFC 5322 2.1.1, without the CRLF
MAX_REFERENCES = 20  # keep the first and the newest ids, as RFC 5322 suggests trimming


@dataclass(frozen=True)
class BuiltMessage:
    """The message bytes (CRLF), what charset it ended up in, and whether it needs 8BITMIME."""

    data: bytes
    charset: Charset
    eight_bit: bool
    message_id: str
    notes: tuple[str, ...] = ()


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")


def _long_lines(data: bytes) -> bool:
    return any(len(line) > MAX_LINE_OCTETS for line in data.split(b"\n"))


def _qp(text: str) -> bytes:
    """Quoted-printable of UTF-8 text, lines at most 76, trailing spaces protected."""
    return binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True, header=False)


def _body_part(body: str, charset: Charset, eight_bit_ok: bool) -> tuple[bytes, bool]:
    """Header lines + body of the text part (LF line ends here; CRLF later)."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if not body.endswith("\n"):
        body += "\n"
    if charset == "iso-2022-jp":
        raw = encode_iso2022jp(body)
        if not _long_lines(raw):
            head = (
                'Content-Type: text/plain; charset="ISO-2022-JP"\nContent-Transfer-Encoding: 7bit\n'
            )
            return head.encode() + b"\n" + raw, False
        charset = "utf-8"  # a line too long for 7bit: fall through to quoted-printable
    head = 'Content-Type: text/plain; charset="UTF-8"\n'
    raw = body.encode("utf-8")
    if body.isascii() and not _long_lines(raw):
        return (head + "Content-Transfer-Encoding: 7bit\n\n").encode() + raw, False
    if eight_bit_ok and not _long_lines(raw):
        return (head + "Content-Transfer-Encoding: 8bit\n\n").encode() + raw, True
    return (head + "Content-Transfer-Encoding: quoted-printable\n\n").encode() + _qp(body), False


def safe_filename(name: str) -> str:
    """A file name fit to send: no directories, no control or format characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".")
    return name or "attachment"


def rfc2231_param(key: str, value: str) -> str:
    """``key="value"`` for ASCII, else ``key*=UTF-8''...`` split into ``key*0*``... pieces."""
    if value.isascii() and len(value) < 60:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{key}="{escaped}"'
    quoted = urllib.parse.quote(value, safe="")
    if len(quoted) < 60:
        return f"{key}*=UTF-8''{quoted}"
    pieces: list[str] = []
    chunk = ""
    for match in re.finditer(r"%[0-9A-F]{2}|.", quoted):
        if len(chunk) + len(match.group()) > 60:
            pieces.append(chunk)
            chunk = ""
        chunk += match.group()
    pieces.append(chunk)
    parts = []
    for index, piece in enumerate(pieces):
        prefix = "UTF-8''" if index == 0 else ""
        parts.append(f"{key}*{index}*={prefix}{piece}")
    return ";\n ".join(parts)


def guess_type(filename: str) -> str:
    """A MIME type from the name, ``application/octet-stream`` when unknown."""
    kind, encoding = mimetypes.guess_type(filename)
    if kind is None or encoding is not None:
        return "application/octet-stream"
    return kind


def _attachment_part(item: AttachedFile, eight_bit_ok: bool) -> tuple[bytes, bool]:
    name = safe_filename(item.filename)
    kind = item.content_type if re.fullmatch(r"[\w.+-]+/[\w.+-]+", item.content_type) else None
    kind = kind or guess_type(name)
    if kind == "message/rfc822":
        data = item.data.replace(b"\r\n", b"\n")
        is_8bit = any(byte > 127 for byte in data)
        if not _long_lines(data) and (eight_bit_ok or not is_8bit):
            cte = "8bit" if is_8bit else "7bit"
            head = (
                f"Content-Type: message/rfc822\nContent-Disposition: inline; "
                f"{rfc2231_param('filename', name)}\nContent-Transfer-Encoding: {cte}\n\n"
            )
            return head.encode("ascii") + data, is_8bit
        kind = "application/octet-stream"  # message/rfc822 may not be base64 (RFC 2046)
    encoded = base64.encodebytes(item.data)
    head = (
        f"Content-Type: {kind}; {rfc2231_param('name', name)}\n"
        f"Content-Disposition: attachment; {rfc2231_param('filename', name)}\n"
        "Content-Transfer-Encoding: base64\n\n"
    )
    return head.encode("ascii") + encoded, False


def choose_charset(draft: Draft, wanted: Charset) -> tuple[Charset, list[str]]:
    """The account's charset when every header and the body fit it, else UTF-8 (with a note)."""
    if wanted == "utf-8":
        return "utf-8", []
    texts = [draft.subject, draft.body, draft.from_, draft.to, draft.cc, draft.reply_to]
    if all(can_encode(text, wanted) for text in texts):
        return wanted, []
    return "utf-8", [
        "Some characters do not exist in ISO-2022-JP (emoji, rare kanji); sending as UTF-8."
    ]


def build_message(
    draft: Draft,
    *,
    charset: Charset = "utf-8",
    eight_bit_ok: bool = False,
    include_bcc: bool = False,
    failure: str | None = None,
    lenient: bool = False,
) -> BuiltMessage:
    """The message as bytes with CRLF line ends.

    ``include_bcc`` only for our own stored copies (``.Drafts``, ``.Sent``); never on the
    wire. ``failure`` is recorded in a stored draft so the reason survives a restart.
    Raises HeaderProblem for addresses that cannot be written, unless ``lenient`` (drafts:
    a half-typed address is stored as the text it is, so nothing typed is lost).
    """

    def addresses(name: str, text: str) -> str | None:
        try:
            pairs = parse_address_list(text)
        except HeaderProblem:
            if not lenient:
                raise
            return unstructured(name, text, "utf-8")
        return address_field(name, pairs, used) if pairs else None

    used, notes = choose_charset(draft, charset)
    message_id = draft.message_id or make_message_id(_addr_of(draft.from_))
    headers: list[str] = [f"Date: {date_value()}"]
    fields = [("From", draft.from_), ("To", draft.to), ("Cc", draft.cc)]
    if include_bcc:
        fields.append(("Bcc", draft.bcc))
    fields.append(("Reply-To", draft.reply_to))
    for name, text in fields:
        field = addresses(name, text)
        if field is not None:
            headers.append(field)
    headers.append(unstructured("Subject", draft.subject, used))
    headers.append(f"Message-ID: {message_id}")
    if draft.in_reply_to:
        headers.append(msgid_field("In-Reply-To", [draft.in_reply_to]))
    if draft.references:
        refs = list(draft.references)
        if len(refs) > MAX_REFERENCES:
            refs = [refs[0], *refs[-(MAX_REFERENCES - 1) :]]
        headers.append(msgid_field("References", refs))
    headers.append("MIME-Version: 1.0")
    headers.append("User-Agent: tui-mail")
    if failure:
        headers.append(unstructured(FAILURE_HEADER, failure, "utf-8"))

    text_part, eight_bit = _body_part(draft.body, used, eight_bit_ok)
    if not draft.attachments:
        data = _crlf("\n".join(headers) + "\n") + text_part.replace(b"\r\n", b"\n").replace(
            b"\n", b"\r\n"
        )
        return BuiltMessage(data, used, eight_bit, message_id, tuple(notes))

    parts = [text_part]
    for item in draft.attachments:
        part, part_8bit = _attachment_part(item, eight_bit_ok)
        eight_bit = eight_bit or part_8bit
        parts.append(part)
    boundary = _boundary(parts)
    headers.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
    body = b"This is a message in MIME format.\n"
    for part in parts:
        body += f"\n--{boundary}\n".encode("ascii") + part.rstrip(b"\n") + b"\n"
    body += f"\n--{boundary}--\n".encode("ascii")
    data = _crlf("\n".join(headers) + "\n\n") + body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return BuiltMessage(data, used, eight_bit, message_id, tuple(notes))


def _boundary(parts: list[bytes]) -> str:
    while True:
        boundary = "=_tui-mail_" + secrets.token_hex(12)
        if not any(boundary.encode() in part for part in parts):
            return boundary


def _addr_of(text: str) -> str | None:
    try:
        pairs = parse_address_list(text)
    except ValueError:
        return None
    return pairs[0][1] if pairs else None


def strip_bcc(data: bytes) -> bytes:
    """A prepared message without its Bcc field (for ``tui-mail send``'s wire copy)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    lines = re.split(rb"(\r?\n)", head)
    out: list[bytes] = []
    skipping = False
    for index in range(0, len(lines), 2):
        line = lines[index]
        ending = lines[index + 1] if index + 1 < len(lines) else b""
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        skipping = line.lower().startswith((b"bcc:", FAILURE_HEADER.lower().encode() + b":"))
        if not skipping:
            out.append(line + ending)
    return b"".join(out) + sep + body
