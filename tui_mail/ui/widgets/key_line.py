"""The key line at the bottom of the reader, as mutt's help line: ``q:Quit  d:Del  ?:Help``.

New users do not guess that ``?`` exists; this line tells them, and shows the keys as the
user's ``[keys]`` table has them. Entries are dropped (least useful first) to fit the width.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui_mail.ui.bindings import KEY_HINT_DROPS

GAP = "  "

# Keys as a mail user names them (Textual shows enter as "⏎", escape as "esc").
_KEY_WORDS = {"enter": "Enter", "escape": "Esc", "space": "Space", "tab": "Tab"}


def key_word(key: str, display: str) -> str:
    """How the key line and prompts name ``key`` (``display`` is Textual's own form)."""
    return _KEY_WORDS.get(key, display)


def key_hint_entries(
    hints: Sequence[tuple[str, str]], keys_by_id: Mapping[str, str], width: int
) -> list[tuple[str, str]]:
    """(key, label) pairs that fit ``width`` cells; ``keys_by_id`` gives each id's key."""
    entries = [(binding_id, keys_by_id[binding_id], label) for binding_id, label in hints]
    entries = [entry for entry in entries if entry[1]]

    def length(kept: list[tuple[str, str, str]]) -> int:
        return (
            1
            + sum(cell_len(f"{key}:{label}") for _, key, label in kept)
            + (len(GAP) * max(0, len(kept) - 1))
        )

    for binding_id in KEY_HINT_DROPS:
        if length(entries) <= width:
            break
        entries = [entry for entry in entries if entry[0] != binding_id]
    return [(key, label) for _, key, label in entries]


def key_hint_text(entries: Sequence[tuple[str, str]], width: int) -> Text:
    """The line as Text: keys bold, labels plain, cut to ``width`` if even Help does not fit."""
    text = Text(" ", no_wrap=True, end="")
    for number, (key, label) in enumerate(entries):
        if number:
            text.append(GAP)
        text.append(key, style=Style(bold=True))
        text.append(f":{label}")
    text.truncate(width)
    return text


class KeyLine(Widget):
    """One line of key hints; the app sets :attr:`keys_by_id` after applying the keymap."""

    DEFAULT_CSS = """
    KeyLine {
        height: 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(self, hints: Sequence[tuple[str, str]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._hints = tuple(hints)
        self._keys_by_id: dict[str, str] = {}

    def set_keys(self, keys_by_id: Mapping[str, str]) -> None:
        self._keys_by_id = dict(keys_by_id)
        self.refresh()

    @property
    def text(self) -> str:
        """What the line shows now (tests read this)."""
        return self.render().plain

    def render(self) -> Text:
        width = self.size.width or 80
        known = [(i, label) for i, label in self._hints if i in self._keys_by_id]
        return key_hint_text(key_hint_entries(known, self._keys_by_id, width), width)
