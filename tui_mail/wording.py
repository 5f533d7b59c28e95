"""Numbers in words, one way everywhere: counts with their noun, sizes with their unit.

Used by every layer that talks to people (the renderer, the session's messages, the UI, the
commands); it imports nothing of ours.
"""

from __future__ import annotations

_UNITS = ("K", "M", "G", "T", "P")


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 message``, ``2 messages``; ``nouns`` for irregular plurals (``1 copy``, ``2 copies``)."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {nouns if nouns is not None else noun + 's'}"


def format_size(size: int, *, compact: bool = False) -> str:
    """A size in binary units: ``512 B``, ``12.5 KiB``, ``11.0 MiB``.

    ``compact`` is the list column's form, at most 5 cells: ``512``, ``1.2K``, ``34K``, ``3.4M``.
    """
    size = max(0, size)
    if compact:
        if size < 1000:
            return str(size)
        value = float(size)
        for unit in _UNITS:
            value /= 1024
            if value < 9.95:
                return f"{value:.1f}{unit}"
            if value < 999.5:
                return f"{value:.0f}{unit}"
        return f"{value:.0f}{_UNITS[-1]}"
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in _UNITS[:-1]:
        if value < 1024:
            return f"{value:.1f} {unit}iB"
        value /= 1024
    return f"{value:.1f} {_UNITS[-1]}iB"
