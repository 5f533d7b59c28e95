"""Content-Type and Content-Disposition: type, parameters, and the attachment file name.

Parameter syntax (quoting, RFC 2231 ``name*0*=`` continuations and percent-encoding) is left
to the stdlib parser; the *bytes* it yields are decoded here, because the stdlib decodes
RFC 2231 values with the plain codecs (ISO-2022-JP NEC characters fail) and does not look
inside ``filename="=?ISO-2022-JP?B?...?="``, the form most Japanese mailers actually send.
Header values reach the stdlib as Latin-1 text, so every raw byte survives the round trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from typing import Any

from tui_mail.mail.charsets import decode_bytes
from tui_mail.mail.encoded_words import decode_encoded_words


@dataclass(frozen=True, slots=True)
class ContentInfo:
    """What the MIME headers of one part say about its content."""

    content_type: str  # lowercase "type/subtype"
    charset: str | None
    boundary: str | None
    disposition: str  # "inline", "attachment" or "" when absent
    filename: str | None  # decoded, not yet sanitised
    transfer_encoding: str  # lowercase, "7bit" when absent
    problems: tuple[str, ...]
    start: str | None = None  # multipart/related root Content-ID
    format_flowed: bool = False
    delsp: bool = False


def _header_message(
    content_type: bytes | None, disposition: bytes | None, default_type: str
) -> Message:
    message = Message()
    message.set_default_type(default_type)
    if content_type is not None:
        message["content-type"] = content_type.decode("latin-1")
    if disposition is not None:
        message["content-disposition"] = disposition.decode("latin-1")
    return message


def _params(message: Message, header: str) -> list[tuple[str, Any]]:
    """The parameters of one header, parsed once (the stdlib parses again on every call)."""
    params: list[tuple[str, Any]] | None = message.get_params(header=header)
    return params or []


def _raw_param(params: list[tuple[str, Any]], name: str) -> str | tuple[str, str, str] | None:
    for key, value in params[1:]:
        if key.lower() == name:
            if isinstance(value, tuple):
                charset, language, text = value
                return (charset or "", language or "", text)
            return str(value)
    return None


def decode_param(value: str | tuple[str, str, str] | None) -> tuple[str | None, list[str]]:
    """Decode one parameter value: RFC 2231 bytes, RFC 2047 words, or raw 8-bit bytes."""
    if value is None:
        return None, []
    if isinstance(value, tuple):
        charset, _language, text = value
        decoded = decode_bytes(text.encode("latin-1", "replace"), charset or None)
        return decoded.text, [decoded.problem] if decoded.problem else []
    raw = value.encode("latin-1", "replace")
    if raw.isascii() and b"\x1b" not in raw:
        text = value
        problems: list[str] = []
    else:
        decoded = decode_bytes(raw, None)
        text, problems = decoded.text, [decoded.problem] if decoded.problem else []
    if "=?" in text:
        text, more = decode_encoded_words(text)
        problems += more
    return text, problems


def content_info(
    content_type: bytes | None,
    disposition: bytes | None,
    transfer_encoding: bytes | None,
    *,
    default_type: str,
) -> ContentInfo:
    """Parse the three content headers of a part (raw bytes, possibly absent or broken)."""
    message = _header_message(content_type, disposition, default_type)
    ctype = message.get_content_type()
    problems: list[str] = []
    if content_type is not None:
        declared = content_type.split(b";", 1)[0].strip()
        if declared and declared.count(b"/") != 1:
            problems.append(
                f"unreadable Content-Type \u201c{declared.decode('latin-1')}\u201d; "
                f"shown as {ctype}"
            )
    type_params = _params(message, "content-type")
    charset_raw = _raw_param(type_params, "charset")
    charset = charset_raw[2] if isinstance(charset_raw, tuple) else charset_raw
    boundary_raw = _raw_param(type_params, "boundary")
    boundary = boundary_raw[2] if isinstance(boundary_raw, tuple) else boundary_raw
    filename_raw = None
    if disposition is not None:
        filename_raw = _raw_param(_params(message, "content-disposition"), "filename")
    if filename_raw is None:
        filename_raw = _raw_param(type_params, "name")
    filename, filename_problems = decode_param(filename_raw)
    problems += filename_problems
    disposition_value = ""
    if disposition is not None:
        disposition_value = message.get("content-disposition", "").split(";", 1)[0]
        disposition_value = disposition_value.strip().lower()
    cte = (transfer_encoding or b"7bit").decode("latin-1").strip().lower()
    cte = cte.split(";", 1)[0].split("(", 1)[0].strip().strip("\"'") or "7bit"
    start_raw = _raw_param(type_params, "start")
    start = start_raw[2] if isinstance(start_raw, tuple) else start_raw
    format_raw = _raw_param(type_params, "format")
    delsp_raw = _raw_param(type_params, "delsp")
    return ContentInfo(
        content_type=ctype,
        charset=charset,
        boundary=boundary.rstrip() if boundary else None,
        disposition=disposition_value,
        filename=filename,
        transfer_encoding=cte,
        problems=tuple(problems),
        start=start.strip().strip("<>") if start else None,
        format_flowed=isinstance(format_raw, str) and format_raw.strip().lower() == "flowed",
        delsp=isinstance(delsp_raw, str) and delsp_raw.strip().lower() == "yes",
    )
