"""Find the line a TOML key is written on, so config errors can name it.

``tomllib`` returns plain dicts without positions. The file has already parsed cleanly when
this runs, so a light scan of table headers and ``key =`` lines is enough; it is best
effort (keys inside inline tables resolve to the line of their parent).
"""

from __future__ import annotations

import re
import tomllib

KeyPath = tuple[str, ...]

_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED_KEY = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER_RE = re.compile(rf"^\s*\[\[?\s*({_DOTTED_KEY})\s*\]\]?\s*(?:#.*)?$")
_KEY_RE = re.compile(rf"^\s*({_DOTTED_KEY})\s*=\s*(.*)$")
_PART_RE = re.compile(_KEY_PART)


def _split_key(dotted: str) -> KeyPath:
    parts: list[str] = []
    for match in _PART_RE.finditer(dotted):
        raw = match.group(0)
        if raw[0] in "\"'":
            # Let tomllib decode escapes in quoted keys exactly as it did for the data.
            parts.append(next(iter(tomllib.loads(f"{raw} = 0"))))
        else:
            parts.append(raw)
    return tuple(parts)


def _opens_multiline_string(value: str) -> str | None:
    """Return the delimiter if ``value`` opens a multi-line string left open on this line."""
    for delimiter in ('"""', "'''"):
        if value.startswith(delimiter) and value.count(delimiter) % 2 == 1:
            return delimiter
    return None


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map each table header and key (as a full path) to its first 1-based line number."""
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    open_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if open_string is not None:
            if line.count(open_string) % 2 == 1:
                open_string = None
            continue
        header = _HEADER_RE.match(line)
        if header:
            table = _split_key(header.group(1))
            lines.setdefault(table, number)
            continue
        key = _KEY_RE.match(line)
        if key:
            path = table + _split_key(key.group(1))
            for depth in range(len(table) + 1, len(path) + 1):
                lines.setdefault(path[:depth], number)  # dotted keys define their parents too
            open_string = _opens_multiline_string(key.group(2).strip())
    return lines


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """Line of ``path``, else of its nearest written ancestor, else None."""
    for depth in range(len(path), 0, -1):
        found = lines.get(path[:depth])
        if found is not None:
            return found
    return None
