"""Last line of defence before text reaches the terminal: the project's one sanitiser.

The renderer and the store sanitise mail text already; the UI passes every string it draws
through the same :func:`tui_mail.mail.sanitize_text` again (cheap when nothing is unsafe)
because one missed ESC byte can retitle the terminal or write to the clipboard (OSC 52), and
Rich measures such characters as zero width, breaking every column.
"""

from __future__ import annotations

from tui_mail.mail import sanitize_text


def one_line(text: str) -> str:
    """Text for a single row: no control characters, no line breaks, no invisible controls."""
    return sanitize_text(text, single_line=True)


def multi_line(text: str) -> str:
    """Text for the preview: keeps newlines, expands tabs, makes every other control visible."""
    return sanitize_text(text)
