"""Render a 20 MB message carrying a 15 MB attachment: time and peak memory.

The bar (issue 4): under 1 s, and memory proportional to the text shown, not to the
attachment. Prints figures for the message given as bytes already in memory (the caller
holds those 20 MB; we count only what rendering adds) and as a file stream (mapped, so
the message is never read into memory at all).

    python benchmarks/render_large.py
"""

from __future__ import annotations

import base64
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC
from functools import partial
from pathlib import Path

from tui_mail.mail import RenderedMessage, render_message, save_attachment

ATTACHMENT_BYTES = 15 * 1000 * 1000
TARGET_MESSAGE_BYTES = 20 * 1000 * 1000


def build_message() -> bytes:
    """A multipart/mixed message of about 20 MB: text, a 15 MB PDF, and a filler log."""
    attachment = base64.encodebytes(os.urandom(ATTACHMENT_BYTES)).replace(b"\n", b"\r\n")
    text = (
        "Hello,\r\n\r\nthe quarterly report is attached. 日本語の本文もあります。\r\n" * 20
    ).encode()
    head = (
        b"From: Reporter <reports@example.com>\r\nTo: you@example.jp\r\n"
        b"Subject: =?UTF-8?B?5aCx5ZGK5pu4?= Q3 report\r\n"
        b"Date: Wed, 01 May 2024 10:30:00 +0900\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="BOUNDARY"\r\n\r\n'
    )
    pdf = (
        b"--BOUNDARY\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="report.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + attachment
    )
    body = b"--BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + b"\r\n"
    filler_size = max(0, TARGET_MESSAGE_BYTES - len(head) - len(body) - len(pdf) - 200)
    filler_line = b"log line with some padding text to make up the size of the message.\r\n"
    filler = filler_line * (filler_size // len(filler_line))
    log = (
        b"--BOUNDARY\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="server.log"\r\n\r\n' + filler
    )
    return head + body + pdf + b"\r\n" + log + b"\r\n--BOUNDARY--\r\n"


def measure(label: str, render: Callable[[], RenderedMessage]) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    result = render()
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{label:<34} {elapsed * 1000:8.1f} ms   peak traced {peak / 1e6:7.2f} MB   "
        f"text shown {len(result.as_text().encode()) / 1e3:6.1f} KB"
    )


def main() -> int:
    raw = build_message()
    print(
        f"message {len(raw) / 1e6:.1f} MB with a {ATTACHMENT_BYTES / 1e6:.0f} MB attachment "
        "(base64-encoded)"
    )
    # Warm imports and lazy tables so the figures are about rendering.
    render_message(b"Subject: warm-up\r\n\r\nx\r\n", tz=UTC)
    measure("bytes in memory", partial(render_message, raw, tz=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.eml"
        path.write_bytes(raw)
        raw = b""  # only the file from here on
        with path.open("rb") as stream:
            measure("file stream (memory-mapped)", partial(render_message, stream, tz=UTC))
        with path.open("rb") as stream:
            tracemalloc.start()
            started = time.perf_counter()
            saved = save_attachment(stream, 1, Path(tmp))
            elapsed = time.perf_counter() - started
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        print(
            f"{'save the 15 MB attachment':<34} {elapsed * 1000:8.1f} ms   peak traced "
            f"{peak / 1e6:7.2f} MB   wrote {saved.stat().st_size / 1e6:.1f} MB"
        )
        for mode in ("import-only", "render"):
            out = subprocess.run(
                [sys.executable, __file__, f"--{mode}", str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            print(out.stdout.strip())
    return 0


def child(mode: str, path: str) -> int:
    """Peak resident memory of a fresh process that renders the file (or only imports)."""
    if mode == "--render":
        with open(path, "rb") as stream:
            render_message(stream, tz=UTC).as_text()
    print(f"{'fresh process, ' + mode[2:]:<34} peak RSS {_peak_rss_mb():7.1f} MB")
    return 0


def _peak_rss_mb() -> float:
    """VmHWM of this process (ru_maxrss would include the parent's, inherited at exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(child(sys.argv[1], sys.argv[2]) if len(sys.argv) == 3 else main())
