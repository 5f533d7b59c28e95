"""Writing an mbox (the ``mboxrd`` flavour) of stored messages, for export.

mboxrd is the flavour that round-trips: every line that matches ``^>*From `` gets one more
``>`` on the way in, and a reader removes one on the way out, so a body line ``>From x`` comes
back as it was (mboxo, which only quotes ``From ``, cannot tell the two apart). Each message
starts with a ``From SENDER DATE`` line (the envelope sender from ``Return-Path``, else
``MAILER-DAEMON``; the date in ``asctime`` form, UTC), ends with a newline and a blank line;
line endings are LF, as mutt, neomutt and Python's ``mailbox`` expect.

The file is written as the user's others are: 0600, into a temporary file in the target's
directory, fsynced, then linked (or, when asked to overwrite, renamed) into place and the
directory fsynced, so a kill at any moment leaves either no file or the whole file.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from tui_mail.accounts.paths import fsync_dir

_FROM_QUOTED = re.compile(rb"^(>*From )", re.MULTILINE)
_RETURN_PATH = re.compile(
    rb"^Return-Path:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE
)
_ENVELOPE_ADDRESS = re.compile(rb"[!-~]{1,255}")  # printable ASCII, no spaces: one token
_DATE = re.compile(rb"^Date:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
HEADER_SCAN = 256 * 1024  # the envelope and date are looked for in this much of the head
NOBODY = b"MAILER-DAEMON"


def header_block(raw: bytes) -> bytes:
    """The header part of ``raw`` (up to the first blank line), at most HEADER_SCAN bytes."""
    head = raw[:HEADER_SCAN]
    match = re.search(rb"\r?\n\r?\n", head)
    return head[: match.start() + 1] if match else head


def envelope_sender(raw: bytes) -> bytes:
    """The ``Return-Path`` address (``MAILER-DAEMON`` for ``<>`` or anything odd)."""
    match = _RETURN_PATH.search(header_block(raw))
    if match is None:
        return NOBODY
    value = re.sub(rb"\r?\n", b"", match.group(1)).strip().strip(b"<>")
    if not value or _ENVELOPE_ADDRESS.fullmatch(value) is None or b"<" in value or b">" in value:
        return NOBODY
    return value


def message_time(raw: bytes) -> float | None:
    """The ``Date`` header as a timestamp, or None when it is missing or cannot be read."""
    match = _DATE.search(header_block(raw))
    if match is None:
        return None
    text = re.sub(rb"\s+", b" ", match.group(1)).decode("ascii", "replace").strip()
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        return parsed.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


def from_line(raw: bytes, received: float | None = None) -> bytes:
    """``From SENDER Thu Dec  3 10:59:59 2026\\n``: when it came, else its Date, else now."""
    when = received if received is not None else message_time(raw)
    if when is None:
        when = time.time()
    try:
        stamp = time.asctime(time.gmtime(when))
    except (OverflowError, OSError, ValueError):
        stamp = time.asctime(time.gmtime())
    return b"From " + envelope_sender(raw) + b" " + stamp.encode("ascii") + b"\n"


def mboxrd_body(raw: bytes) -> bytes:
    """The message with LF line endings, ``^>*From `` lines quoted, ending in a newline."""
    text = raw.replace(b"\r\n", b"\n")
    text = _FROM_QUOTED.sub(rb">\1", text)
    if not text.endswith(b"\n"):
        text += b"\n"
    return text


def mboxrd_entry(raw: bytes, received: float | None = None) -> bytes:
    """One message as it stands in the file: From_ line, quoted text, blank line."""
    return from_line(raw, received) + mboxrd_body(raw) + b"\n"


def unquote_mboxrd(text: bytes) -> bytes:
    """The reverse of the quoting (what an mboxrd reader does to a message it reads)."""
    return re.sub(rb"^>(>*From )", rb"\1", text, flags=re.MULTILINE)


@dataclass(frozen=True)
class Exported:
    """What a finished export wrote."""

    path: Path
    messages: int
    size: int


class MboxWriter:
    """An mbox being written: ``add`` messages, then ``commit`` puts it in place at once.

    Leaving the ``with`` block without ``commit`` (or with an exception) removes the
    temporary file and leaves ``path`` as it was. ``FileExistsError`` when ``path`` exists
    and ``overwrite`` is false (checked when the file is put in place, atomically).
    """

    def __init__(self, path: Path, *, overwrite: bool = False) -> None:
        self.path = path
        self.overwrite = overwrite
        self.messages = 0
        self.size = 0
        self._temporary: Path | None = None
        self._sink: BinaryIO | None = None

    def __enter__(self) -> MboxWriter:
        if not self.overwrite and self.path.exists():
            raise FileExistsError(str(self.path))  # early, before any work; checked again
        directory = self.path.parent
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True)
        descriptor, name = tempfile.mkstemp(dir=directory, prefix=".tui-mail-", suffix=".mbox")
        self._temporary = Path(name)
        self._sink = os.fdopen(descriptor, "wb")
        os.fchmod(self._sink.fileno(), 0o600)
        return self

    def add(self, raw: bytes, received: float | None = None) -> None:
        """Append one message."""
        assert self._sink is not None, "use MboxWriter in a with block"
        entry = mboxrd_entry(raw, received)
        self._sink.write(entry)
        self.messages += 1
        self.size += len(entry)

    def commit(self) -> Exported:
        """fsync, then put the file in place (link without overwrite, else rename)."""
        sink, temporary = self._sink, self._temporary
        assert sink is not None and temporary is not None, "use MboxWriter in a with block"
        sink.flush()
        os.fsync(sink.fileno())
        sink.close()
        if self.overwrite:
            os.replace(temporary, self.path)
        else:
            _link_without_replacing(temporary, self.path)
        fsync_dir(self.path.parent)
        return Exported(self.path, self.messages, self.size)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._sink is not None and not self._sink.closed:
            self._sink.close()
        if self._temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                self._temporary.unlink()


def _link_without_replacing(temporary: Path, path: Path) -> None:
    """Put ``temporary`` at ``path`` unless something is there (a hard link refuses)."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:  # no hard links on this file system: check, then rename
        if path.exists():
            raise FileExistsError(str(path)) from None
        os.replace(temporary, path)


def write_mbox(
    path: Path, messages: Iterable[tuple[bytes, float | None]], *, overwrite: bool = False
) -> Exported:
    """Write ``messages`` (raw bytes, when received or None) as one mboxrd file."""
    with MboxWriter(path, overwrite=overwrite) as writer:
        for raw, received in messages:
            writer.add(raw, received)
        return writer.commit()
