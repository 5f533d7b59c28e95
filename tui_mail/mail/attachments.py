"""Which parts are attachments, what they are called, and saving one safely.

The attachment list is a function of the MIME tree alone (never of the HTML/plain choice),
so the number the reader sees in the preview is the number ``save_attachment`` takes.
Every leaf that is not body text is listed, in document order; so are attached messages
(their own attachments follow them), body text with a file name, text parts too big to
show, and parts past a nesting or count limit. All of them can be saved.

Saving: the name goes through ``safe_filename``; the file is created with ``O_EXCL`` and
``O_NOFOLLOW`` and mode 0600. An existing name is never replaced unless ``overwrite=True``:
the file is saved as ``name (1).ext``, ``name (2).ext`` ... instead and the path actually
written is returned. With ``overwrite=True`` the data goes to a temporary file that then
replaces the old one atomically (a symlink at the target is replaced, not followed).
"""

from __future__ import annotations

import mimetypes
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from tui_mail.mail.limits import DEFAULT_LIMITS, Limits
from tui_mail.mail.model import Attachment
from tui_mail.mail.sanitize import FORMAT_RANGES, sanitize_text
from tui_mail.mail.source import RawMessage, open_source
from tui_mail.mail.structure import Part, parse_message
from tui_mail.mail.transfer import iter_decoded
from tui_mail.wording import format_size

BODY_TEXT_TYPES = frozenset(
    {
        "text/plain",
        "text/html",
        "text/enriched",
        "text/markdown",
        "text/x-markdown",
        "text/rfc822-headers",
        "message/delivery-status",
        "message/disposition-notification",
        "message/global-delivery-status",
        "message/global-disposition-notification",
        "message/global-headers",
    }
)
# Attachments that are text under another name; shown on demand like text/*.
TEXT_LIKE_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/x-sh",
        "application/x-shellscript",
        "application/javascript",
        "application/x-patch",
        "application/x-diff",
        "application/pgp-signature",
        "application/pgp-keys",
        "application/x-yaml",
        "application/toml",
        "message/rfc822-headers",
    }
)
# File names that say text when the type says application/octet-stream (a fixed list, not
# the system's mime.types, so every machine decides alike).
TEXT_EXTENSIONS = frozenset(
    "txt text log csv tsv md markdown rst json xml yaml yml toml ini cfg conf "
    "patch diff sh py c h js ts css sql tex ics vcf srt".split()
)
MAX_NAME_BYTES = 200
_UNSAFE_NAME = re.compile(
    '[\\x00-\\x1f\\x7f-\\x9f<>:"|?*\\ud800-\\udfff'
    + "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in FORMAT_RANGES)
    + "]"
)
_OPEN_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def is_body_text(part: Part, limits: Limits) -> bool:
    """Shown as text in the body (a small enough text part, not marked as attachment)."""
    return (
        part.skipped is None
        and part.embedded is None
        and part.content_type in BODY_TEXT_TYPES
        and part.info.disposition != "attachment"
        and part.decoded_size()[0] <= limits.max_text_part_bytes
    )


def shows_as_text(content_type: str, filename: str | None) -> bool:
    """Can this attachment be shown as text on demand (``text/*`` and text in disguise)?

    ``application/octet-stream`` counts when its file name says text (``notes.txt``).
    """
    if content_type.startswith("text/") or content_type in BODY_TEXT_TYPES:
        return True
    if content_type in TEXT_LIKE_TYPES:
        return True
    if content_type == "application/octet-stream" and filename and "." in filename:
        return filename.rsplit(".", 1)[1].strip().lower() in TEXT_EXTENSIONS
    return False


def collect_attachments(root: Part, limits: Limits) -> list[Part]:
    """The listed parts in document order (index 1 is the first)."""
    found: list[Part] = []

    def walk(part: Part) -> None:
        if part.skipped is not None:
            found.append(part)
        elif part.children:
            for child in part.children:
                walk(child)
        elif part.embedded is not None:
            found.append(part)
            walk(part.embedded)
        elif part.content_type.startswith("multipart/"):
            return
        elif not is_body_text(part, limits) or part.info.filename:
            found.append(part)

    walk(root)
    return found


def attachment_note(part: Part, limits: Limits) -> str:
    """Why a listed part is not shown in the body ("" for ordinary attachments)."""
    if part.over_limit and not (
        part.content_type in BODY_TEXT_TYPES
        or part.content_type.startswith("multipart/")
        or part.content_type in ("message/rfc822", "message/global")
    ):
        return ""  # an ordinary attachment, listed as any other
    if part.skipped is not None:
        return f"not shown: {part.skipped}"
    if (
        part.content_type in BODY_TEXT_TYPES
        and part.info.disposition != "attachment"
        and part.decoded_size()[0] > limits.max_text_part_bytes
    ):
        return (
            f"first {format_size(limits.max_text_part_bytes)} shown: larger than the display limit"
        )
    if part.content_type == "message/external-body":
        return "content stored elsewhere; never fetched"
    return ""


def describe_attachments(parts: list[Part], limits: Limits) -> list[Attachment]:
    """Display entries (sanitised) for the listed parts."""
    entries = []
    for index, part in enumerate(parts, 1):
        size, exact = part.decoded_size()
        entries.append(
            Attachment(
                index=index,
                filename=sanitize_text(part.info.filename or "", single_line=True)[:500],
                content_type=sanitize_text(part.content_type, single_line=True)[:200],
                size=size,
                size_exact=exact,
                note=sanitize_text(attachment_note(part, limits), single_line=True),
            )
        )
    return entries


def safe_filename(name: str) -> str:
    """A name that is safe to create in a directory the user chose.

    Only the last path component is kept (``../../x`` -> ``x``, ``C:\\dir\\a.pdf`` ->
    ``a.pdf``); control, bidi, zero-width and Windows-reserved characters become ``_``
    (``invoice\\u202efdp.exe`` -> ``invoice_fdp.exe``, revealing the real extension);
    leading dots and spaces go (no hidden files, no ``..``); the result is NFC and at most
    200 UTF-8 bytes, keeping the extension. Never empty: ``attachment`` at worst.
    """
    name = unicodedata.normalize("NFC", name)
    components = [piece for piece in re.split(r"[/\\]", name) if piece.strip(" .")]
    name = components[-1] if components else ""
    name = _UNSAFE_NAME.sub("_", name).strip(" .\t")
    if not name.strip("_"):
        return "attachment"
    return _shorten(name, MAX_NAME_BYTES)


def _shorten(name: str, limit: int) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension.encode("utf-8")) > 20:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    budget = limit - len(suffix.encode("utf-8"))
    while len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    return stem.rstrip(" .") + suffix


def _default_name(part: Part, index: int) -> str:
    if part.info.filename:
        return part.info.filename
    extension = mimetypes.guess_extension(part.content_type, strict=False) or ".bin"
    if part.content_type in ("message/rfc822", "message/global"):
        extension = ".eml"
    return f"attachment-{index}{extension}"


def _numbered(name: str, number: int) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return f"{name} ({number})"
    return f"{stem} ({number}).{extension}"


def _write_all(fd: int, chunks: Iterable[bytes]) -> None:
    with os.fdopen(fd, "wb", closefd=True) as stream:
        for chunk in chunks:
            stream.write(chunk)
        stream.flush()
        os.fchmod(stream.fileno(), 0o600)
        os.fsync(stream.fileno())


def save_attachment(
    raw: RawMessage,
    index: int,
    directory: Path,
    *,
    filename: str | None = None,
    overwrite: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> Path:
    """Save attachment ``index`` (1-based, as listed) into ``directory``; return the path.

    ``filename`` replaces the sender's name (it is made safe too). Raises IndexError for a
    number not in the list and NotADirectoryError/FileNotFoundError for a bad directory.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise NotADirectoryError(f"not a directory: {directory}")
    with open_source(raw) as buf:
        parts = collect_attachments(parse_message(buf, limits), limits)
        if not 1 <= index <= len(parts):
            raise IndexError(f"no attachment #{index}: the message has {len(parts)}")
        part = parts[index - 1]
        name = safe_filename(filename if filename is not None else _default_name(part, index))
        chunks = iter_decoded(part.buf, part.body_start, part.body_end, part.info.transfer_encoding)
        if overwrite:
            return _replace_file(directory, name, chunks)
        return _create_file(directory, name, chunks)


def _create_file(directory: Path, name: str, chunks: Iterable[bytes]) -> Path:
    for number in range(1000):
        target = directory / (name if number == 0 else _numbered(name, number))
        try:
            fd = os.open(target, _OPEN_FLAGS, 0o600)
        except FileExistsError:
            continue
        try:
            _write_all(fd, chunks)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target
    raise FileExistsError(f"{directory / name} and 999 numbered alternatives exist")


def _replace_file(directory: Path, name: str, chunks: Iterable[bytes]) -> Path:
    target = directory / name
    temporary = directory / f".{name[:150]}.{secrets.token_hex(6)}.part"
    fd = os.open(temporary, _OPEN_FLAGS, 0o600)
    try:
        _write_all(fd, chunks)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target
