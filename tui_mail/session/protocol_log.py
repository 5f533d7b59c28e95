"""The protocol log users attach to bug reports: the POP3 conversation, minus every secret.

:class:`POP3Client` already hands its ``protocol_log`` callback lines with passwords, tokens
and SASL payloads replaced by ``***`` and message data reduced to ``[N bytes of data]``. This
writer adds a timestamp, makes server text printable (a log opened with ``cat`` must not
retitle the terminal), and scrubs credential-bearing commands once more, so a future code path
that forgot to redact still cannot leak a password into the file.

The file is created 0600 (tightened if it exists), opened without following symlinks, and
appended to, so several runs end up in one file without clobbering an earlier report.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from tui_mail import __version__
from tui_mail.accounts.paths import PRIVATE_FILE_MODE, data_root, ensure_private_dir
from tui_mail.mail.sanitize import sanitize_text

Clock = Callable[[], datetime]

LOG_FILE_NAME = "protocol.log"

# Commands whose arguments (all, or from the second on) are credentials, whatever the caller
# logged. AUTH keeps its mechanism name; an initial response after it is a secret.
_SECRET_ARGUMENTS = re.compile(
    r"^(?P<keep>(?:PASS|APOP \S+|AUTH \S+))\s+(?P<secret>.+)$", re.IGNORECASE
)
_CONTINUATION = re.compile(r"^\+(?:\s.*)?$")
_COMMANDS = frozenset(
    {
        "USER",
        "PASS",
        "APOP",
        "AUTH",
        "CAPA",
        "STLS",
        "STAT",
        "LIST",
        "UIDL",
        "TOP",
        "RETR",
        "DELE",
        "NOOP",
        "RSET",
        "QUIT",
        "UTF8",
        "LANG",
        # SMTP submission (the same log covers sending mail)
        "EHLO",
        "HELO",
        "MAIL",
        "RCPT",
        "DATA",
        "STARTTLS",
    }
)
_DATA_SIZE = re.compile(r"^\[\d+ bytes of data\]$")


def default_log_path() -> Path:
    """Where the in-app toggle writes when no ``--log FILE`` was given."""
    return data_root() / LOG_FILE_NAME


def protocol_log_for(path: str | Path | None) -> ProtocolLogWriter:
    """``--log FILE``: a writer already logging to FILE; without it, one that is off until
    the in-app toggle turns it on (writing to :func:`default_log_path`).

    Raises OSError when FILE cannot be opened (a directory, a symlink, no permission).
    """
    if path is None:
        return ProtocolLogWriter(default_log_path(), enabled=False)
    return ProtocolLogWriter(Path(path), enabled=True)


def _printable(text: str) -> str:
    """Server text lands in a file users ``cat``: no terminal controls in it either."""
    return sanitize_text(text, single_line=True)


def scrub(direction: str, line: str) -> str:
    """The last line of defence: credentials out of client lines, challenges out of server's.

    A client line that is not a POP3 command is a SASL continuation (base64, maybe a token)
    and becomes ``***``; PASS, APOP and AUTH keep only their non-secret words.
    """
    if direction == "C":
        if _DATA_SIZE.match(line):
            return line
        if line.split(" ", 1)[0].upper() not in _COMMANDS:
            return "***"
        match = _SECRET_ARGUMENTS.match(line)
        if match is not None and match.group("secret") != "***":
            return f"{match.group('keep')} ***"
    elif _CONTINUATION.match(line):
        return "+ ***"
    return line


def open_private_append(path: Path) -> TextIO:
    """Open ``path`` for appending, created 0600 and tightened to 0600; refuses symlinks."""
    ensure_private_dir(path.parent, tighten_existing=False)
    fd = os.open(
        path,
        os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC,
        PRIVATE_FILE_MODE,
    )
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path} is not a regular file")
        if stat.S_IMODE(info.st_mode) != PRIVATE_FILE_MODE:
            os.fchmod(fd, PRIVATE_FILE_MODE)
        return os.fdopen(fd, "a", encoding="utf-8", errors="replace", newline="\n")
    except BaseException:
        os.close(fd)
        raise


class ProtocolLogWriter:
    """A ``protocol_log`` callback for :meth:`POP3Client.connect` that writes ``path``.

    Starts enabled or not; :meth:`set_enabled` (the in-app toggle) opens or closes the file.
    Safe to call from any thread. A write error disables the log instead of breaking the
    session: a full disk must not stop anyone reading mail.
    """

    def __init__(
        self,
        path: Path,
        *,
        enabled: bool = True,
        clock: Clock = lambda: datetime.now().astimezone(),
    ) -> None:
        self.path = Path(path).expanduser()
        self._clock = clock
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self.failure: str | None = None  # why the log stopped itself, for the UI
        if enabled:
            self.set_enabled(True)

    @property
    def enabled(self) -> bool:
        """True while lines are being written."""
        return self._file is not None

    def set_enabled(self, enabled: bool) -> None:
        """Start (creating the file 0600) or stop logging; raises OSError if it cannot start."""
        with self._lock:
            if enabled and self._file is None:
                self._file = open_private_append(self.path)
                self.failure = None
                self._write_locked(
                    "#",
                    f"tui-mail {__version__}: protocol log started "
                    "(secrets shown as ***, message data as its size)",
                )
            elif not enabled and self._file is not None:
                self._write_locked("#", "protocol log stopped")
                self._close_locked()

    def toggle(self) -> bool:
        """Flip the log on or off; returns the new state."""
        self.set_enabled(not self.enabled)
        return self.enabled

    def __call__(self, direction: str, line: str) -> None:
        """One protocol line: ``direction`` is ``C`` (client) or ``S`` (server)."""
        if self._file is None:
            return
        with self._lock:
            self._write_locked(direction, scrub(direction, line))

    def note(self, text: str) -> None:
        """A line of our own, e.g. which server a new connection goes to."""
        if self._file is None:
            return
        with self._lock:
            self._write_locked("#", text)

    def close(self) -> None:
        """Stop logging and close the file."""
        self.set_enabled(False)

    def _write_locked(self, direction: str, line: str) -> None:
        if self._file is None:
            return
        stamp = self._clock().isoformat(timespec="milliseconds")
        try:
            self._file.write(f"{stamp} {direction}: {_printable(line)}\n")
            self._file.flush()
        except OSError as error:
            self.failure = error.strerror or type(error).__name__
            self._close_locked()

    def _close_locked(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError:
                pass
