"""Where a certificate the user chose to trust is kept: next to the config, one file per server.

Kept out of the screen so the file rules (private, atomic, a safe name made from a server
name that came from the user) are testable alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from tui_mail.accounts.paths import atomic_writer, ensure_private_dir
from tui_mail.pop3.certificate import CertificateDetails


def certificate_file_name(host: str, port: int) -> str:
    """``pop.example.org-995.pem``: only letters, digits, dots and dashes from the host."""
    safe = re.sub(r"[^A-Za-z0-9.-]+", "_", host).strip(".") or "server"
    return f"{safe[:100]}-{port}.pem"


def save_trusted_certificate(
    directory: Path, host: str, port: int, details: CertificateDetails
) -> Path:
    """Write the PEM (0600, atomically) into ``directory`` (0700); returns its path."""
    ensure_private_dir(directory, tighten_existing=False)
    path = directory / certificate_file_name(host, port)
    with atomic_writer(path) as sink:
        sink.write(details.pem.encode("ascii"))
    return path
