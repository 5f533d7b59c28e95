"""Microseconds per ``summarize_headers`` call: it runs for every cached message (100,000).

Realistic ``TOP n 0`` header blocks (Received chains, DKIM, encoded Japanese subjects and
names, plain ASCII ones), each summarised many times.

    python benchmarks/summarize_headers.py
"""

from __future__ import annotations

import base64
import sys
import timeit
from functools import partial

from tui_mail.mail import summarize_headers

RECEIVED = b"".join(
    b"Received: from relay%d.example.net (relay%d.example.net [192.0.2.%d])\r\n"
    b"\tby mx.example.jp (Postfix) with ESMTPS id 4V%dXYZ\r\n"
    b"\tfor <you@example.jp>; Wed, 01 May 2024 10:30:0%d +0900 (JST)\r\n" % (i, i, i, i, i)
    for i in range(4)
)
DKIM = (
    b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1;\r\n"
    b"\th=from:to:subject:date:message-id; bh=" + b"A" * 44 + b";\r\n\tb=" + b"B" * 340 + b"\r\n"
)


def _jis_word(text: str) -> bytes:
    return b"=?ISO-2022-JP?B?" + base64.b64encode(text.encode("iso2022_jp")) + b"?="


SAMPLES = {
    "ascii": RECEIVED + DKIM + b"From: Alice Example <alice@example.com>\r\nTo: you@example.jp\r\n"
    b"Subject: Quarterly numbers for review\r\nDate: Wed, 01 May 2024 10:30:00 +0900\r\n"
    b"Message-ID: <20240501.1@example.com>\r\nMIME-Version: 1.0\r\n\r\n",
    "japanese": RECEIVED + DKIM + b"From: " + _jis_word("山田太郎") + b" <yamada@example.jp>\r\n"
    b"To: you@example.jp\r\nSubject: "
    + _jis_word("会議のお知らせ")
    + b"\r\n "
    + _jis_word("（第二回）")
    + b"\r\nDate: Wed, 01 May 2024 10:30:00 +0900\r\n"
    b"Message-ID: <20240501.2@example.jp>\r\n\r\n",
    "raw utf-8": RECEIVED
    + "From: 鈴木 <suzuki@example.jp>\r\nSubject: 生のUTF-8件名\r\n"
    "Date: 1 May 2024 10:30:00 JST\r\n\r\n".encode(),
}


def main() -> int:
    rounds = 10_000
    for label, raw in SAMPLES.items():
        summarize_headers(raw)  # warm caches
        # Best of five: the figure for the code, not for whatever else the machine runs.
        best = min(timeit.repeat(partial(summarize_headers, raw), number=rounds, repeat=5))
        per_call = best / rounds * 1e6
        print(
            f"{label:<10} {len(raw):5d} bytes of headers   {per_call:6.1f} µs per call   "
            f"100,000 calls: {per_call / 10:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
