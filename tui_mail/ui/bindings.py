"""Every key binding, each with a stable id so users can remap it (``App.set_keymap``).

The ids are the public names of the keys (a config file maps ``"mail.delete": "D"``); the help
screen and the command palette are generated from these lists, so they never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

# Keys on the message list (focused by default).
LIST_BINDINGS: list[Binding] = [
    Binding("j,down", "cursor_down", "Next message", id="list.down"),
    Binding("k,up", "cursor_up", "Previous message", id="list.up"),
    Binding("g,home", "cursor_first", "First message", id="list.first"),
    Binding("G,end", "cursor_last", "Last message", id="list.last"),
    Binding("ctrl+f", "cursor_page_down", "Page down in the list", id="list.page_down"),
    Binding("ctrl+b", "cursor_page_up", "Page up in the list", id="list.page_up"),
    Binding(
        "space,pagedown",
        "app.preview_page_down",
        "Scroll preview down (first opens the highlighted message)",
        id="list.preview_down",
    ),
    Binding("pageup", "app.preview_page_up", "Scroll preview up", id="list.preview_up"),
]

# Keys on the preview once it has focus (Tab).
PREVIEW_BINDINGS: list[Binding] = [
    Binding("j,down", "scroll_down", "Scroll down a line", id="preview.down"),
    Binding("k,up", "scroll_up", "Scroll up a line", id="preview.up"),
    Binding("space,pagedown", "page_down", "Scroll down a page", id="preview.page_down"),
    Binding("b,pageup", "page_up", "Scroll up a page", id="preview.page_up"),
    Binding("g,home", "scroll_home", "Top of message", id="preview.top"),
    Binding("G,end", "scroll_end", "End of message", id="preview.end"),
]

# Keys that work on the main screen whatever has focus there (not on dialogs).
SCREEN_BINDINGS: list[Binding] = [
    Binding("enter", "app.open_message", "Show message", id="mail.open"),
    Binding("d", "app.toggle_delete", "Mark/unmark for deletion, move down", id="mail.delete"),
    Binding("u", "app.undelete", "Unmark for deletion, move down", id="mail.undelete"),
    Binding("n", "app.toggle_read", "Toggle read/unread", id="mail.toggle_read"),
    Binding("s", "app.save_attachment", "Save an attachment", id="mail.save_attachment"),
    Binding(
        "S",
        "app.save_message",
        "Save the message as .eml (tagged messages: one mbox)",
        id="mail.save_message",
    ),
    Binding("t", "app.toggle_tag", "Tag/untag the message (*), move down", id="mail.tag"),
    Binding(
        "T", "app.tag_shown", "Tag every message shown (after /); again: untag", id="mail.tag_all"
    ),
    Binding(
        "v",
        "app.view_attachment",
        "Show a text attachment (Enter: back)",
        id="mail.view_attachment",
    ),
    Binding(
        "slash",
        "app.start_filter",
        "Filter by sender name or address, or subject",
        id="mail.filter",
    ),
    Binding(
        "escape",
        "app.clear_filter",
        "Cancel a download or an mbox being saved, or clear the filter",
        id="mail.clear_filter",
    ),
    Binding("o", "app.cycle_sort", "Sort: date, sender, size, server order", id="mail.sort"),
    Binding("z", "app.toggle_full_preview", "Preview full screen on/off", id="mail.zoom"),
    Binding("h", "app.toggle_headers", "All header fields on/off (no download)", id="mail.headers"),
    Binding("c", "app.check_mail", "Check for new mail", id="mail.refresh"),
    Binding(
        "dollar_sign",
        "app.apply_deletions",
        "Delete marked now (asks first), stay",
        id="mail.apply",
    ),
    Binding("q", "app.request_quit", "Quit (asks before deleting marked)", id="mail.quit"),
    Binding("x", "app.quit_keep", "Quit without deleting anything", id="mail.exit"),
    Binding(
        "L",
        "app.toggle_protocol_log",
        "Protocol log on/off (secrets as ***)",
        id="mail.protocol_log",
    ),
    Binding("question_mark", "app.show_keys", "Show keys", id="mail.help"),
]


# Writing mail (main screen too; listed in their own section of the help).
COMPOSE_BINDINGS: list[Binding] = [
    Binding("r", "app.reply", "Reply to the sender", id="mail.reply"),
    Binding("R", "app.group_reply", "Reply to all (group reply)", id="mail.group_reply"),
    Binding("f", "app.forward", "Forward (text inline)", id="mail.forward"),
    Binding("F", "app.forward_attached", "Forward as attachment", id="mail.forward_attached"),
    Binding("m", "app.compose", "Write a new message", id="mail.compose"),
    Binding("P", "app.drafts", "Postponed and unsent drafts: continue one", id="mail.drafts"),
]

# Keys on the review screen shown after the editor.
REVIEW_BINDINGS: list[Binding] = [
    Binding("y", "send", "Send", id="review.send"),
    Binding("e", "edit", "Edit again", id="review.edit"),
    Binding("a", "attach", "Attach a file (Tab completes the path)", id="review.attach"),
    Binding("D", "detach", "Remove the last attachment", id="review.detach"),
    Binding("p", "postpone", "Postpone (keep in Drafts)", id="review.postpone"),
    Binding("q,escape", "abandon", "Abandon (asks first)", id="review.abandon"),
]


# The key line at the bottom (mutt's help line): binding id and a short label, in the order
# shown. When the line is too narrow, entries go in the order of KEY_HINT_DROPS (Help never).
KEY_HINTS: tuple[tuple[str, str], ...] = (
    ("mail.quit", "Quit"),
    ("mail.open", "Open"),
    ("mail.delete", "Del"),
    ("mail.undelete", "Undel"),
    ("mail.save_attachment", "Save att"),
    ("mail.tag", "Tag"),
    ("mail.compose", "Mail"),
    ("mail.reply", "Reply"),
    ("mail.filter", "Filter"),
    ("mail.apply", "Purge"),
    ("mail.refresh", "Check"),
    ("mail.help", "Help"),
)
KEY_HINT_DROPS: tuple[str, ...] = (
    "mail.refresh",
    "mail.tag",
    "mail.open",
    "mail.apply",
    "mail.filter",
    "mail.compose",
    "mail.reply",
    "mail.undelete",
    "mail.save_attachment",
    "mail.delete",
    "mail.quit",
)


@dataclass(frozen=True)
class HelpEntry:
    """One line of the help screen."""

    section: str
    keys: tuple[str, ...]
    description: str
    binding_id: str


_SECTIONS = (
    ("Messages", SCREEN_BINDINGS),
    ("Writing mail", COMPOSE_BINDINGS),
    ("Message list", LIST_BINDINGS),
    ("Preview (after Tab)", PREVIEW_BINDINGS),
    ("Review before sending (after the editor)", REVIEW_BINDINGS),
)


def help_entries(keymap: dict[str, str] | None = None) -> list[HelpEntry]:
    """The bindings as the user has them (after their keymap), grouped by where they work."""
    keymap = keymap or {}
    entries = []
    for section, bindings in _SECTIONS:
        for binding in bindings:
            assert binding.id is not None
            keys = keymap.get(binding.id, binding.key)
            entries.append(
                HelpEntry(
                    section,
                    tuple(k.strip() for k in keys.split(",")),
                    binding.description,
                    binding.id,
                )
            )
    return entries


def binding_keys(keymap: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Each help-listed binding id and its keys as the user has them (first key first)."""
    return {entry.binding_id: list(entry.keys) for entry in help_entries(keymap)}


def binding_ids() -> list[str]:
    """The ids a ``[keys]`` table may name: exactly those the ``?`` screen lists."""
    return [entry.binding_id for entry in help_entries()]
