"""MIME to safe, displayable text (never imports Textual).

Public API: ``render_message`` (the preview model), ``render_attachment`` (one text
attachment shown on demand), ``summarize_headers`` (one list row
from a header block), ``sanitize_text`` (the one sanitiser), ``save_attachment`` and
``safe_filename``. Names load on first use, so importing ``tui_mail.mail.headers`` for the
message list does not pull in the HTML parser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui_mail.mail.attachments import safe_filename, save_attachment
    from tui_mail.mail.headers import HeaderSummary, full_header_lines, summarize_headers
    from tui_mail.mail.limits import DEFAULT_LIMITS, Limits
    from tui_mail.mail.model import Attachment, Link, RenderedMessage
    from tui_mail.mail.render import render_attachment, render_message
    from tui_mail.mail.sanitize import sanitize_text

_WHERE = {
    "DEFAULT_LIMITS": "limits",
    "Limits": "limits",
    "Attachment": "model",
    "Link": "model",
    "RenderedMessage": "model",
    "HeaderSummary": "headers",
    "summarize_headers": "headers",
    "full_header_lines": "headers",
    "render_message": "render",
    "render_attachment": "render",
    "sanitize_text": "sanitize",
    "safe_filename": "attachments",
    "save_attachment": "attachments",
}

__all__ = [
    "DEFAULT_LIMITS",
    "Attachment",
    "HeaderSummary",
    "Limits",
    "Link",
    "RenderedMessage",
    "full_header_lines",
    "render_attachment",
    "render_message",
    "safe_filename",
    "sanitize_text",
    "save_attachment",
    "summarize_headers",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
