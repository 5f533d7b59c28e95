"""Header blocks made of the pieces that matter to header parsing (field names in odd cases,
colons, folds, bare CR/LF, VT, encoded words, a stray 8-bit byte, a date, a Message-ID): the
hypothesis strategy the header scanners' equivalence tests share."""

from __future__ import annotations

from hypothesis import strategies as st

PIECES = (
    b"Subject",
    b"FROM",
    b"to",
    b"date",
    b"Date",
    b"Message-ID",
    b"Message-Id",
    b"X-Other",
    b":",
    b" ",
    b"\t",
    b"\r",
    b"\n",
    b"\r\n",
    b"\x0b",
    b"value",
    b"=?utf-8?b?w6k=?=",
    b"\xe9",
    b"Thu, 01 Jan 2026 03:05:00 +0900",
    b"<a@b>",
    b"",
)

odd_header_blocks = st.lists(st.sampled_from(PIECES), max_size=40).map(b"".join)
"""Any join of up to 40 :data:`PIECES`."""
