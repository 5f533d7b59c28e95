"""How a command prints a failure: one line on stderr."""

from __future__ import annotations

import sys


def report_failure(text: str) -> None:
    """One line on stderr. Error texts quote the server, so terminal controls are defused."""
    from tui_mail.mail.sanitize import sanitize_text

    print(f"tui-mail: {sanitize_text(text, single_line=True)}", file=sys.stderr)
