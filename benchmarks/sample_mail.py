"""Deterministic, realistic messages for benchmarks: long Received chains, DKIM, ~1.5 KB headers.

Header size is what TOP n 0 transfers, so it is what the header-listing benchmarks measure;
bodies come in a spread of sizes like a real mailbox (mostly small, a few large).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import random
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.dovecot import Dovecot

SENDERS = [
    ("Alice Example", "alice@example.org"),
    ("山田 太郎", "taro@example.jp"),
    ("GitHub", "noreply@github.example"),
    ("Bob Builder", "bob@builder.example"),
    ("Mailing list", "list@lists.example.net"),
    ("Carol", "carol@example.com"),
]
SUBJECTS = [
    "Re: quarterly report",
    "Build failed on main",
    "Lunch on Friday?",
    "Invoice 2026-{n:04d}",
    "[list] Weekly digest #{n}",
    "お知らせ: メンテナンスのご案内",
    "Your order has shipped",
]


def _encoded_words(text: str) -> str:
    if text.isascii():
        return text
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def make_message(index: int, rng: random.Random) -> bytes:
    """One RFC 5322 message with about 1.5 KB of headers and a body of varied size."""
    name, addr = SENDERS[index % len(SENDERS)]
    subject = SUBJECTS[index % len(SUBJECTS)].format(n=index)
    date = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=37 * index)
    digest = hashlib.sha256(f"{index}".encode()).digest()
    headers = []
    for hop in range(4):
        headers.append(
            f"Received: from mx{hop}.relay{index % 7}.example.net (mx{hop}.relay.example.net "
            f"[192.0.2.{(index + hop) % 250 + 1}])\r\n\tby mail.example.org (Postfix) with ESMTPS "
            f"id {digest.hex()[hop : hop + 10].upper()}\r\n\tfor <me@example.org>; "
            f"{(date - timedelta(seconds=hop)).strftime('%a, %d %b %Y %H:%M:%S +0000')}"
        )
    signature = base64.b64encode(digest * 8).decode()
    folded = "\r\n\t ".join(signature[i : i + 70] for i in range(0, len(signature), 70))
    headers += [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel2026;\r\n"
        "\th=from:to:subject:date:message-id:mime-version:content-type;\r\n"
        f"\tbh={base64.b64encode(digest).decode()};\r\n\tb={folded}",
        f"Message-ID: <{digest.hex()[:24]}@example.org>",
        f"Date: {date.strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"From: {_encoded_words(name)} <{addr}>",
        "To: Me <me@example.org>",
        f"Subject: {_encoded_words(subject)}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    size = int(min(rng.lognormvariate(8, 1.2), 400_000))
    line = "The quick brown fox jumps over the lazy dog. 0123456789\r\n"
    body = (line * (size // len(line) + 1))[:size]
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


def make_mailbox(count: int, seed: int = 2026) -> list[bytes]:
    """``count`` messages, the same ones on every run."""
    rng = random.Random(seed)
    return [make_message(i, rng) for i in range(count)]


@contextlib.contextmanager
def dovecot_with_mailbox(count: int) -> Iterator[tuple[Dovecot, Path]]:
    """A private Dovecot serving ``count`` sample messages, and a scratch directory beside it."""
    with tempfile.TemporaryDirectory(prefix="tui-mail-bench-") as tmp:
        work = Path(tmp)
        dovecot = Dovecot(work / "dovecot")
        dovecot.start()
        try:
            dovecot.deliver(make_mailbox(count))
            yield dovecot, work
        finally:
            dovecot.stop()
