"""The demo mailbox: sample mail shipped as package data, served by a small POP3 server."""

from __future__ import annotations

from importlib.resources import files

from tui_mail.demo.server import DemoServer

__all__ = ["DemoServer", "sample_messages"]


def sample_messages() -> list[bytes]:
    """The sample mail in ``tui_mail/demo/mail/``, in file-name order (works from a wheel)."""
    folder = files(__name__).joinpath("mail")
    entries = [entry for entry in folder.iterdir() if entry.name.endswith(".eml")]
    return [entry.read_bytes() for entry in sorted(entries, key=lambda entry: entry.name)]
