"""The one-pass scan of a plain header block stores exactly what the two defining routes gave.

``Store.add_headers`` takes a block's list fields and its fingerprint from
``decode_header_block``; for a plain block both come from one ``findall``
(``mail.header_scan``). A changed fingerprint would make a message look like other mail,
a changed field a wrong row, so the result must equal ``header_fields`` and
``header_fingerprint`` (themselves checked against their line-by-line definitions) for the
corpus, the mixed mailbox, mail like the benchmark's, and any block hypothesis builds:
plain ones (the fast route) and odd ones (the fallback).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.header_pieces import odd_header_blocks
from tests.test_mixed_mailbox import MAILBOX
from tui_mail.mail.header_scan import scan_plain
from tui_mail.session.identity import header_block
from tui_mail.store.headers import (
    MAX_HEADER_BLOCK,
    bounded_header_block,
    decode_header_block,
    header_fields,
    header_fingerprint,
)

CORPUS = Path(__file__).parent / "corpus"


def sample_block(index: int) -> bytes:
    """A header block like the benchmark's sample mail: Received chain, DKIM, encoded words."""
    digest = hashlib.sha256(b"%d" % index).digest()
    signature = base64.b64encode(digest * 4).decode()
    received = "".join(
        f"Received: from mx{hop}.example.net\r\n\tby mail.example.org; "
        f"Thu, 01 Jan 2026 0{hop}:05:00 +0000\r\n"
        for hop in range(3)
    )
    name = "=?UTF-8?B?" + base64.b64encode("山田 太郎".encode()).decode() + "?="
    return (
        received + "DKIM-Signature: v=1; a=rsa-sha256;\r\n\tb=" + signature + "\r\n"
        f"Message-ID: <{digest.hex()[:24]}@example.org>\r\n"
        f"Date: Thu, {index % 28 + 1:02d} Jan 2026 03:05:00 +0900\r\n"
        f"From: {name} <taro@example.jp>\r\nTo: Me <me@example.org>\r\n"
        f"Subject: Invoice {index}\r\nMIME-Version: 1.0\r\n\r\n"
    ).encode()


def assert_as_defined(raw: bytes) -> None:
    kept = bounded_header_block(raw)[0]
    assert decode_header_block(raw) == (kept, header_fields(raw), header_fingerprint(kept))


def test_the_corpus_the_mixed_mailbox_and_the_sample_mail_decode_as_defined() -> None:
    blocks = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))] + MAILBOX
    blocks += [sample_block(index) for index in range(60)]
    plain = 0
    for raw in blocks:
        assert_as_defined(raw)
        assert_as_defined(header_block(raw))
        plain += scan_plain(bounded_header_block(raw)[0]) is not None
    assert plain >= 60  # the sample mail at least took the one-pass route


def test_a_plain_block_is_scanned_once_for_both() -> None:
    raw = (
        b"Received: from a\r\n\tby b\r\nSubject: =?utf-8?b?w6k=?=\r\n folded\r\n"
        b"from : Ann <ann@example.org>\r\nTo: me\r\nSubject: second\r\n"
        b"Date: Thu, 01 Jan 2026 03:05:00 +0900\r\n\r\nFrom: body@example.org\r\n"
    )
    scan = scan_plain(raw)
    assert scan is not None
    assert scan.wanted == {
        b"subject": b"=?utf-8?b?w6k=?= folded",
        b"from": b"Ann <ann@example.org>",
        b"date": b"Thu, 01 Jan 2026 03:05:00 +0900",
    }
    assert scan.identifying == [
        (b"subject", b"=?utf-8?b?w6k=?= folded"),
        (b"from", b"Ann <ann@example.org>"),
        (b"to", b"me"),
        (b"subject", b"second"),
        (b"date", b"Thu, 01 Jan 2026 03:05:00 +0900"),
    ]
    _kept, fields, _fingerprint = decode_header_block(raw)
    assert (fields.subject, fields.sender, fields.sender_address) == (
        "é folded",
        "Ann",
        "ann@example.org",
    )
    assert fields.tz_offset == 9 * 3600
    assert_as_defined(raw)


def test_odd_blocks_take_the_defining_routes() -> None:
    for raw in (
        b"Subject: a\rb\r\n\r\n",  # a CR that ends no line
        b"Subject: a\r\r\nFrom: b\r\n\r\n",
        b"Subject: a\x0b\r\n\r\n",
        b"Subject: a\x0c\r\n\r\n",
        b" Subject: a\r\n\r\n",
        b"\tSubject: a\r\n\r\n",
        b"\r\nSubject: a\r\n\r\n",
        b"",
    ):
        assert scan_plain(raw) is None, raw
        assert_as_defined(raw)


def test_a_line_without_colon_before_folds_leaves_the_fingerprint_to_the_definition() -> None:
    raw = b"Subject: a\r\ngarbage\r\n  more\r\nFrom: b@example.org\r\n\r\n"
    scan = scan_plain(raw)
    assert scan is not None and scan.identifying is None
    assert scan.wanted == {b"subject": b"a", b"from": b"b@example.org"}
    assert_as_defined(raw)


def test_a_field_that_fails_to_decode_degrades_the_row_as_before() -> None:
    raw = b"From: " + b"(" * 600 + b"a@example.org\r\nSubject: still here\r\n\r\n"
    assert scan_plain(raw) is not None
    _kept, fields, _fingerprint = decode_header_block(raw)
    assert fields.subject == "still here"
    assert_as_defined(raw)


def test_a_block_past_the_bound_is_cut_and_noted_the_same_way() -> None:
    raw = b"Subject: huge\r\nX-Pad: " + b"a" * MAX_HEADER_BLOCK + b"\r\nFrom: x@example.org\r\n"
    kept, fields, _fingerprint = decode_header_block(raw)
    assert len(kept) < len(raw) and "256 KiB" in fields.problem
    assert_as_defined(raw)


@settings(max_examples=3000, deadline=None)
@given(odd_header_blocks)
def test_any_block_decodes_as_defined(raw: bytes) -> None:
    assert_as_defined(raw)


_NAMES = st.sampled_from(
    [
        *(b"Subject", b"subject", b"FROM", b"From", b"To", b"tO", b"Date", b"Message-Id"),
        *(b"X-To", b"Received", b"Toast", b"Fromage", b"Dates", b"garbage line"),
    ]
)
_VALUES = st.sampled_from(
    [
        b"",
        b" plain",
        b"  spaced  ",
        b"\t=?iso-2022-jp?b?GyRCRnxLXDhsGyhC?=",
        b" =?utf-8?q?caf=C3=A9?= x",
        b" Ann <ann@example.org>",
        b' "Bob, Jr" <bob@example.org>, c@d',
        b" Thu, 01 Jan 2026 03:05:00 +0900",
        b" 31 Dec 2010 12:00:00 -3000",
        b" not a date",
        b" \xe9\x81\x94",
        b" <id@host>",
        b": colon",
    ]
)
_LINE = st.tuples(
    _NAMES,
    st.sampled_from([b":", b" :", b"\t:", b""]),
    _VALUES,
    st.lists(st.sampled_from([b" fold", b"\tfold2", b"  ", b"\t=?utf-8?b?w6k=?="]), max_size=2),
)


@st.composite
def plain_blocks(draw: st.DrawFn) -> bytes:
    """Header blocks of the plain kind (CRLF or LF ends, no other CR, no VT/FF)."""
    lines = draw(st.lists(_LINE, min_size=1, max_size=12))
    ends = draw(st.lists(st.sampled_from([b"\r\n", b"\n"]), min_size=1, max_size=3))
    out = []
    for index, (name, colon, value, folds) in enumerate(lines):
        out.append(name + colon + value + ends[index % len(ends)])
        out.extend(fold + ends[(index + 1) % len(ends)] for fold in folds)
    tail = draw(st.sampled_from([b"\r\n", b"\n", b"", b"\r\nFrom: body@example.org\r\n"]))
    return b"".join(out) + tail


@settings(max_examples=2000, deadline=None)
@given(plain_blocks())
def test_any_plain_block_takes_the_one_pass_route_and_decodes_as_defined(raw: bytes) -> None:
    assert scan_plain(raw) is not None
    assert_as_defined(raw)
