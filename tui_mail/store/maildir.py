"""A Maildir (with Maildir++ subfolders) we can write to without ever losing a message.

Delivery follows the Maildir rules every reader (mutt, notmuch, mblaze) relies on: the file
is written in ``tmp/`` (0600), fsynced, renamed into ``new/`` or ``cur/`` (with ``:2,FLAGS``)
and the directory is fsynced, so a kill at any moment leaves either no message or a whole
one, never half of one. Names are ``TIME.M<usec>P<pid>Q<n>.HOST``, unique per process.

Subfolders are Maildir++: ``.Drafts/`` and ``.Sent/`` inside the account's Maildir, each a
Maildir of its own. Issue 15 (the local copy of downloaded mail) builds on this module.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import socket
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from tui_mail.accounts.paths import PRIVATE_FILE_MODE, ensure_private_dir, fsync_dir

_SUBDIRS = ("tmp", "new", "cur")
TMP_MAX_AGE = 36 * 3600.0  # seconds; the Maildir spec's limit for a file left in tmp/
_FLAG_LETTERS = frozenset("DFPRST")  # draft, flagged, passed, replied, seen, trashed
_counter = itertools.count(1)
_FOLDER_NAME = re.compile(r"^[^/\\\x00-\x1f\x7f.][^/\\\x00-\x1f\x7f]*$")


class MaildirError(OSError):
    """A Maildir could not be written or read; ``str()`` says what and where."""


def _safe_host() -> str:
    # "/" and ":" would break the name's structure (Maildir's own escapes for them).
    return socket.gethostname().replace("/", r"\057").replace(":", r"\072") or "localhost"


def unique_name() -> str:
    """``TIME.M<usec>P<pid>Q<n>.HOST``: unique for this process, sortable by time."""
    now = time.time()
    seconds = int(now)
    micro = int((now - seconds) * 1_000_000)
    return f"{seconds}.M{micro}P{os.getpid()}Q{next(_counter)}.{_safe_host()}"


_NAME_PARTS = re.compile(r"^(\d+)\.M(\d+)P(\d+)Q(\d+)\.")


def _age_order(key: str) -> tuple[int, int, int, int, str]:
    """Sort key for message names: by time, then counter (a plain string sort puts
    ``M99999`` after ``M100000``); names from other programs sort after ours by name."""
    match = _NAME_PARTS.match(key)
    if match is None:
        return (2**63, 0, 0, 0, key)
    seconds, micro, pid, counter = (int(part) for part in match.groups())
    return (seconds, micro, counter, pid, key)


@dataclass(frozen=True)
class MaildirMessage:
    """One message file: its key (the unique part of the name), flags and path."""

    key: str
    flags: str
    path: Path


class Maildir:
    """One Maildir directory (``cur``, ``new``, ``tmp``), created 0700 when first written."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def ensure(self) -> Maildir:
        """Create the three subdirectories (0700) if missing."""
        ensure_private_dir(self.root)
        for sub in _SUBDIRS:
            ensure_private_dir(self.root / sub)
        return self

    def sweep_tmp(self, now: float, *, max_age: float = TMP_MAX_AGE) -> int:
        """Unlink files left in ``tmp/`` by a killed writer, as the Maildir spec says (36 h).

        A writer (ours, mutt's) finishes in seconds, so a file untouched for 36 hours is an
        abandoned delivery, never a message: without this, kills fill the disk unseen.
        Only regular files are removed; errors are ignored (the next open tries again).
        """
        removed = 0
        try:
            entries = list(os.scandir(self.root / "tmp"))
        except OSError:
            return 0
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and now - max(info.st_mtime, info.st_atime) > max_age:
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                continue
        return removed

    def folder(self, name: str) -> Maildir:
        """The Maildir++ subfolder ``.NAME`` (``Drafts``, ``Sent``); not created yet."""
        if not _FOLDER_NAME.match(name):
            raise ValueError(f"not a usable folder name: {name!r}")
        return Maildir(self.root / f".{name}")

    def add(self, data: bytes, *, flags: str = "") -> MaildirMessage:
        """Deliver ``data`` durably; with ``flags`` it goes to ``cur/`` (``:2,FLAGS``).

        Raises :class:`MaildirError` (with the reason) if the disk is full or unwritable;
        nothing is left behind in ``tmp/`` then.
        """
        flags = _normal_flags(flags)
        try:
            self.ensure()
            key = unique_name()
            temp = self.root / "tmp" / key
            fd = os.open(
                temp,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                PRIVATE_FILE_MODE,
            )
            try:
                with os.fdopen(fd, "wb") as sink:
                    sink.write(data)
                    sink.flush()
                    os.fsync(sink.fileno())
                if flags:
                    target = self.root / "cur" / f"{key}:2,{flags}"
                else:
                    target = self.root / "new" / key
                os.rename(temp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    temp.unlink()
                raise
            fsync_dir(target.parent)
        except OSError as error:
            if isinstance(error, MaildirError):
                raise
            raise MaildirError(f"cannot write to {self.root}: {error.strerror or error}") from None
        return MaildirMessage(key, flags, target)

    def messages(self) -> list[MaildirMessage]:
        """Every message in ``new/`` and ``cur/``, oldest first (by name)."""
        found: list[MaildirMessage] = []
        for sub in ("new", "cur"):
            directory = self.root / sub
            try:
                names = os.listdir(directory)
            except FileNotFoundError:
                continue
            for name in names:
                if name.startswith("."):
                    continue
                key, _sep, info = name.partition(":")
                flags = info[2:] if info.startswith("2,") else ""
                found.append(MaildirMessage(key, flags, directory / name))
        found.sort(key=lambda message: _age_order(message.key))
        return found

    def get(self, key: str) -> MaildirMessage | None:
        """The message with this key, wherever it is now (its flags may have changed)."""
        for message in self.messages():
            if message.key == key:
                return message
        return None

    def remove(self, key: str) -> bool:
        """Delete the message with this key durably; False if it was already gone."""
        message = self.get(key)
        if message is None:
            return False
        try:
            message.path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(message.path.parent)
        return True

    def replace(self, key: str, data: bytes, *, flags: str = "") -> MaildirMessage:
        """Store a new version of a message: the new file is durable before the old goes."""
        added = self.add(data, flags=flags)
        if key != added.key:
            self.remove(key)
        return added


def _normal_flags(flags: str) -> str:
    letters = set(flags)
    unknown = letters - _FLAG_LETTERS
    if unknown:
        raise ValueError(f"unknown Maildir flags: {''.join(sorted(unknown))}")
    return "".join(sorted(letters))  # Maildir wants them in ASCII order
