"""One reader per account: an OS lock on a file in the account's directory.

Two readers on one store used to share its marks, so one user's "y" applied the other's marks
too. The reader holds ``fcntl.flock`` on ``reader.lock`` for its whole life; the kernel drops
the lock when the process ends however it ends (kill -9 included), so a stale lock cannot
exist. The file holds the holder's PID, for the second reader's one line. ``tui-mail check``
never takes marks and never takes this lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from tui_mail.accounts.paths import PRIVATE_FILE_MODE

LOCK_NAME = "reader.lock"


class AccountInUse(Exception):
    """Another tui-mail reader has this account open."""

    def __init__(self, pid: int | None) -> None:
        who = f"PID {pid}" if pid is not None else "another process"
        super().__init__(f"open in another tui-mail ({who})")
        self.pid = pid


class AccountLock:
    """Held while the reader runs; ``release`` (or process exit) gives it up."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, directory: Path) -> AccountLock:
        """Take the lock or raise :class:`AccountInUse` at once (never waits)."""
        path = directory / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise AccountInUse(pid) from None
        except BaseException:
            os.close(fd)
            raise
        with contextlib.suppress(OSError):  # the PID is a courtesy for the other reader
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(path, fd)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor releases the flock

    def __enter__(self) -> AccountLock:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
