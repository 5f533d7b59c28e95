"""Deleting messages that are only on this machine (marked ``L``): their local copy goes.

``d`` marks them like any other; ``$`` and ``q`` count them apart ("Delete 3 from the server
and 2 local copies?"), and ``y`` sends the server's share to ``apply_deletions`` (UIDL, DELE,
QUIT) and the local share to ``remove_local``, which never talks to the server and works
offline. The marks of local-only rows live in the UI: there is nothing on the server to bind
them to, and nothing is removed without the question being answered.
"""

from __future__ import annotations

from tui_mail.session.control import SessionControl
from tui_mail.session.events import LocalCopiesRemoved
from tui_mail.ui import messages as msg
from tui_mail.ui.list_model import MessageListModel
from tui_mail.ui.safe_text import one_line
from tui_mail.wording import plural


def local_outcome(event: LocalCopiesRemoved) -> str:
    """What became of the local copies, in words (UIDs are counted, never shown)."""
    copies = plural(len(event.removed), "local copy", "local copies")
    text = f"Deleted {copies}." if event.removed else ""
    if event.kept:
        why = f" ({one_line(event.error)})" if event.error else " (the server has them again)"
        kept = plural(len(event.kept), "local copy", "local copies")
        text = f"{text} {kept} kept{why}.".strip()
    return text


class LocalDeletionActions:
    """Mixed into the app, which provides the attributes and methods below."""

    model: MessageListModel
    _session: SessionControl
    _confirming_local: frozenset[str] = frozenset()
    _local_outcome = ""  # said with the server's outcome when both were asked
    _quit_after_local = False
    _quit_after_deletion: bool
    outcome: str | None

    def _say(self, note: str, seconds: float = 15.0) -> None:
        raise NotImplementedError  # provided by the app

    def _finish(self) -> None:
        raise NotImplementedError  # provided by the app

    def _refresh_view(self, *, top_if_gone: bool = False, keep_place: bool = False) -> None:
        raise NotImplementedError  # provided by the app

    def _split_marks(self) -> frozenset[str]:
        """The marks now, counted apart: returns the server's, keeps the local ones."""
        server, local = self.model.marked_split()
        self._confirming_local = frozenset(local)
        return frozenset(server)

    def _remove_local_confirmed(self, *, then_quit: bool) -> bool:
        """``y`` answered: remove the local copies counted. True if any were asked."""
        local = self._confirming_local
        self._confirming_local = frozenset()
        self._local_outcome = ""
        if not local:
            return False
        self._quit_after_local = then_quit
        self._session.remove_local(local)
        return True

    def _with_local_outcome(self, outcome: str) -> str:
        text, self._local_outcome = self._local_outcome, ""
        return f"{outcome} {text}" if text else outcome

    def on_session_local_copies_removed(
        self, message: msg.SessionMessage[LocalCopiesRemoved]
    ) -> None:
        event = message.event
        self.model.remove(event.removed)
        text = local_outcome(event)
        self._refresh_view()
        if self._quit_after_local and not self._quit_after_deletion:
            self.outcome = text  # only local copies were asked: quit now
            self._finish()
            return
        if self._quit_after_deletion:
            self._local_outcome = text  # the server's answer comes next: said together
            return
        self._say(text)
        self.notify(text, markup=False)  # type: ignore[attr-defined]
