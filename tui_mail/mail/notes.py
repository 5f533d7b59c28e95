"""The "Notes:" under a message: one line per problem, however many nested parts it hit.

A message cut short inside three nested multiparts used to say "ends without its closing
boundary" three times, and one missing charset in five parts took five lines. Here notes
that say the same thing are merged: the outermost part's wording is kept and the other
parts are counted or named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# "multipart/alternative ends without..." and "multipart/mixed ends without..." are one problem.
_TYPE_PREFIX = re.compile(r"^[a-z0-9.+-]+/[a-z0-9.+-]+ ", re.IGNORECASE)
MAX_NAMED_PARTS = 3
_LABELLED = re.compile(r"^(part [0-9.]+): (.*)$", re.DOTALL)


def split_label(note: str) -> tuple[str, str]:
    """``"part 1.2: text"`` -> ("part 1.2", "text"); a note without a part label -> ("", note)."""
    match = _LABELLED.match(note)
    return (match.group(1), match.group(2)) if match else ("", note)


def merged_notes(found: Iterable[tuple[str, str]]) -> list[str]:
    """``(label, text)`` pairs, outermost first (label "" for the message itself) as lines."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for label, text in found:
        groups.setdefault(_TYPE_PREFIX.sub("", text, count=1), []).append((label, text))
    lines = []
    for entries in groups.values():
        labels = list(dict.fromkeys(label for label, _ in entries))
        first_label, first_text = entries[0]
        if len(labels) == 1:
            lines.append(f"{first_label}: {first_text}" if first_label else first_text)
        elif first_text != entries[1][1] or not first_label:
            # The same problem, worded per part type (or on the message itself): say it once.
            more = len(labels) - 1
            prefix = f"{first_label}: " if first_label else ""
            parts = f"{more} part inside it" if more == 1 else f"{more} parts inside it"
            lines.append(f"{prefix}{first_text}; so do {parts}")
        else:
            named = ", ".join(labels[:MAX_NAMED_PARTS])
            if len(labels) > MAX_NAMED_PARTS:
                named += f" and {len(labels) - MAX_NAMED_PARTS} more"
            lines.append(f"{named}: {first_text}")
    return lines
