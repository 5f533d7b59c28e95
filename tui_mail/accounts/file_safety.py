"""Files that name commands we run must be ours alone, as ssh demands of ``~/.ssh/config``.

The config file holds ``password_command``: whoever can change it (or swap the script it
names) runs code as the user and reads the password. So, like ssh ("Bad owner or permissions"),
tui-mail refuses such a file outright rather than warn after the fact.
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path


def unsafe_because(path: Path) -> str | None:
    """Why others could change ``path`` (owner, mode, or its directory), or None if they cannot."""
    try:
        info = path.stat()
        folder = path.resolve().parent.stat()
    except OSError:
        return None  # missing or unreadable: the caller's own error says so
    me = os.getuid()
    if info.st_uid not in (me, 0):
        return f"owned by another user (uid {info.st_uid})"
    if info.st_mode & stat.S_IWOTH:
        return "writable by every user"
    if info.st_mode & stat.S_IWGRP:
        return "writable by its group"
    if folder.st_uid not in (me, 0):
        return "in a directory owned by another user"
    shared = folder.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if shared and not folder.st_mode & stat.S_ISVTX:
        return "in a directory others can write to (they could replace the file)"
    return None


def command_program(command: str) -> Path | None:
    """The program a shell command starts, when it is named by path (``~/bin/mailpass``)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or "/" not in words[0]:
        return None
    return Path(words[0]).expanduser()
