"""The maildrop behind the POP3 test server: messages, stable UIDs, the session lock, commits.

A mailbox outlives the sessions that use it, so a test can delete in one session, reconnect, and
see exactly what was committed. Sessions only ever work on a :class:`Snapshot`, taken at login,
the way a real POP3 maildrop is frozen for the length of a session.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from tui_mail.demo.server import MemoryMailbox, StoredMessage, byte_stuff, to_crlf, top_of

__all__ = ["Mailbox", "StoredMessage", "byte_stuff", "to_crlf", "top_of"]

_UID_FORBIDDEN = re.compile(rb"[^\x21-\x7e]")


def _uid_from_filename(name: str) -> str:
    """A Maildir base name (before ``:2,``) made into a valid UID (0x21-0x7E only)."""
    base = name.split(":", 1)[0].encode("utf-8", "replace")
    cleaned = _UID_FORBIDDEN.sub(b"_", base).decode("ascii")
    return cleaned or hashlib.sha256(base).hexdigest()[:16]


class Mailbox(MemoryMailbox):
    """Messages in memory, or a Maildir directory rescanned at every login.

    With a Maildir, mail dropped into ``new/`` or ``cur/`` appears at the next login. Committed
    deletions are remembered in memory; the files themselves are removed only with
    ``delete_files=True`` so that serving sample mail never destroys it.
    """

    def __init__(
        self,
        messages: Iterable[bytes] = (),
        *,
        maildir: str | Path | None = None,
        delete_files: bool = False,
    ) -> None:
        self._maildir = Path(maildir) if maildir is not None else None
        self._delete_files = delete_files
        self._maildir_paths: dict[str, Path] = {}
        self._holder: object | None = None
        super().__init__(messages)

    @property
    def maildir(self) -> Path | None:
        """The Maildir served, if any."""
        return self._maildir

    def uids(self) -> list[str]:
        """UIDs currently in the maildrop, in message-number order."""
        return [message.uid for message in self.snapshot()]

    def snapshot(self) -> list[StoredMessage]:
        """The maildrop as a new session sees it."""
        with self._guard:
            messages = list(self._messages)  # committed deletions already left this list
            deleted = set(self._deleted)
        if self._maildir is not None:
            messages += [m for m in self._scan_maildir() if m.uid not in deleted]
        return messages

    def replace_all(self, messages: Iterable[tuple[str, bytes]]) -> None:
        """From the next login on the maildrop holds exactly these ``(uid, data)``.

        For servers that renumber their integer UIDs, lose their index, or give new mail the
        UIDs of deleted mail: a UID may come back meaning another message.
        """
        with self._guard:
            self._messages = [StoredMessage(uid, to_crlf(data)) for uid, data in messages]

    def remove_at(self, index: int) -> str:
        """Another client deleted the message at ``index`` (0-based, number order); its UID."""
        with self._guard:
            return self._messages.pop(index).uid

    def _scan_maildir(self) -> list[StoredMessage]:
        assert self._maildir is not None
        found: list[tuple[float, str, Path]] = []
        for sub in ("cur", "new"):
            folder = self._maildir / sub
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.is_file() and not path.name.startswith("."):
                    found.append((path.stat().st_mtime, path.name, path))
        found.sort()
        messages: list[StoredMessage] = []
        paths: dict[str, Path] = {}
        for _mtime, name, path in found:
            uid = _uid_from_filename(name)
            if uid in paths:  # two files with one base name: keep UIDs unique
                uid = f"{uid}.{len(paths)}"
            paths[uid] = path
            messages.append(StoredMessage(uid, to_crlf(path.read_bytes())))
        with self._guard:
            self._maildir_paths = paths
        return messages

    def commit_deletions(self, uids: Iterable[str]) -> None:
        """Remove messages for good: what a session's QUIT does in the UPDATE state."""
        doomed = list(uids)
        with self._guard:
            # One UID per deleted message: identical copies sharing a UID go one at a time.
            for uid in doomed:
                for index, message in enumerate(self._messages):
                    if message.uid == uid:
                        del self._messages[index]
                        break
            self._deleted.extend(doomed)
            paths = [self._maildir_paths[uid] for uid in doomed if uid in self._maildir_paths]
        if self._delete_files:
            for path in paths:
                path.unlink(missing_ok=True)

    # The maildrop lock (RFC 1939 asks for exclusive access during a session).

    def try_lock(self, holder: object) -> bool:
        """Take the session lock for ``holder``; False if another session holds it."""
        with self._guard:
            if self._holder is None or self._holder is holder:
                self._holder = holder
                return True
            return False

    def unlock(self, holder: object) -> None:
        """Release the lock if ``holder`` has it (safe to call more than once)."""
        with self._guard:
            if self._holder is holder:
                self._holder = None

    @property
    def locked(self) -> bool:
        """Whether a session currently holds the maildrop."""
        with self._guard:
            return self._holder is not None
