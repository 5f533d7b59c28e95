"""The demo mailbox: sample mail shipped as package data, served by a small POP3 server."""

from __future__ import annotations

import gzip
from importlib.resources import files

from tui_mail.demo.server import DemoServer

__all__ = ["DemoServer", "sample_messages"]


def sample_messages() -> list[bytes]:
    """The sample mail in ``tui_mail/demo/mail/``, in file-name order (works from a wheel).

    The large message ships gzipped (``.eml.gz``): 2.7 MB of mail, 25 KB installed.
    """
    folder = files(__name__).joinpath("mail")
    entries = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith((".eml", ".eml.gz"))),
        key=lambda entry: entry.name,
    )
    return [
        gzip.decompress(entry.read_bytes()) if entry.name.endswith(".gz") else entry.read_bytes()
        for entry in entries
    ]
