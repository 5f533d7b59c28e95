"""Tagging, as in mutt: ``t`` tags the highlighted message, ``T`` every message shown.

Tags are a selection for the next action (``S`` writes the tagged messages as one mbox): they
live in the UI only, by UID, and are never sent to the session or kept across runs. The set
sits on the model (``model.tags``) so the list can draw ``*`` without asking the app.
"""

from __future__ import annotations

from tui_mail.store.models import MessageSummary
from tui_mail.ui.list_model import MessageListModel
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.wording import plural


def tagged_rows(model: MessageListModel) -> list[MessageSummary]:
    """The tagged rows still in the list, oldest first (the order an mbox is read in).

    Tags of rows that left the list (deleted, gone from the server) are dropped here.
    """
    rows = []
    for uid in list(model.tags):
        row = model.get(uid)
        if row is None:
            model.tags.discard(uid)
        else:
            rows.append(row)
    return sorted(rows, key=_oldest_first)


def _oldest_first(row: MessageSummary) -> tuple[float, int, str]:
    when = row.date.timestamp() if row.date is not None else float("inf")
    return (when, row.arrival, row.uid)


def shown_uids(model: MessageListModel) -> list[str]:
    """Every UID the list shows now (after the filter), top to bottom."""
    return [model.uid_at(index) for index in range(len(model))]


class TagActions:
    """Mixed into the app, which provides the attributes below."""

    model: MessageListModel

    def _tag_list(self) -> MessageList:
        """The message list widget (the app provides it)."""
        raise NotImplementedError

    def _say(self, note: str, seconds: float = 15.0) -> None:
        """A short line in the status bar (the app provides it)."""
        raise NotImplementedError

    def action_toggle_tag(self) -> None:
        """``t``: tag or untag the highlighted message, then move down (as mutt)."""
        listing = self._tag_list()
        row = listing.highlighted
        if row is None:
            return
        if row.uid in self.model.tags:
            self.model.tags.discard(row.uid)
        else:
            self.model.tags.add(row.uid)
        listing.tags_changed()
        listing.move_cursor(1)
        self._say_tagged()

    def action_tag_shown(self) -> None:
        """``T``: tag every message shown (``/`` narrows it first); untag them if all are."""
        shown = shown_uids(self.model)
        if not shown:
            return
        if all(uid in self.model.tags for uid in shown):
            self.model.tags.difference_update(shown)
        else:
            self.model.tags.update(shown)
        self._tag_list().tags_changed()
        self._say_tagged()

    def _say_tagged(self) -> None:
        count = len(tagged_rows(self.model))
        if count:
            self._say(f"{plural(count, 'message')} tagged (S saves them as one mbox)")
        else:
            self._say("no message tagged")
