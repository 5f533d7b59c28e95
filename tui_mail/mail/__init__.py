"""MIME to safe, displayable text (never imports Textual).

Public API: ``render_message`` (the preview model), ``summarize_headers`` (one list row
from a header block), ``sanitize_text`` (the one sanitiser), ``save_attachment`` and
``safe_filename``.
"""

from tui_mail.mail.attachments import safe_filename, save_attachment
from tui_mail.mail.headers import HeaderSummary, summarize_headers
from tui_mail.mail.limits import DEFAULT_LIMITS, Limits
from tui_mail.mail.model import Attachment, Link, RenderedMessage
from tui_mail.mail.render import render_message
from tui_mail.mail.sanitize import sanitize_text

__all__ = [
    "DEFAULT_LIMITS",
    "Attachment",
    "HeaderSummary",
    "Limits",
    "Link",
    "RenderedMessage",
    "render_message",
    "safe_filename",
    "sanitize_text",
    "save_attachment",
    "summarize_headers",
]
