"""The MIME tree as offsets: header blocks, boundary splitting, transfer encodings."""

from __future__ import annotations

import base64
import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_mail.mail.limits import DEFAULT_LIMITS
from tui_mail.mail.structure import parse_message, scan_headers, split_multipart
from tui_mail.mail.transfer import decode_region, decoded_size, iter_decoded


def test_scan_headers_unfolds_and_keeps_raw_bytes() -> None:
    raw = (
        b"From mbox-line\r\nSubject: one\r\n two\r\n\tthree\r\nX-Raw: \xe6\x97\xa5\r\n"
        b"Subject: second\r\n\r\nbody"
    )
    headers, body_start, defects = scan_headers(raw, 0, len(raw), DEFAULT_LIMITS)
    assert headers == [
        ("subject", b"one two\tthree"),
        ("x-raw", b"\xe6\x97\xa5"),
        ("subject", b"second"),
    ]
    assert raw[body_start:] == b"body"
    assert defects == []


def test_scan_headers_stops_at_a_line_that_is_no_header() -> None:
    raw = b"Subject: x\nthis is body\nmore\n"
    headers, body_start, defects = scan_headers(raw, 0, len(raw), DEFAULT_LIMITS)
    assert headers == [("subject", b"x")]
    assert raw[body_start:] == b"this is body\nmore\n"
    assert len(defects) == 1


def test_split_multipart_regions_exclude_the_line_break_before_a_boundary() -> None:
    body = (
        b"preamble\r\n--b\r\nA\r\n--b  \r\n\r\nB\n--bb\r\nstill B\r\n--b--\r\nepilogue\r\n"
        b"--b\r\nignored after the close\r\n"
    )
    split = split_multipart(body, 0, len(body), b"b")
    assert split is not None
    regions, closed = split
    assert closed
    assert [body[start:end] for start, end in regions] == [b"A", b"\r\nB\n--bb\r\nstill B"]


def test_split_multipart_without_boundary_lines_and_without_close() -> None:
    assert split_multipart(b"no boundaries here", 0, 18, b"b") is None
    body = b"--b\nfirst\n--b\nsecond, cut"
    assert split_multipart(body, 0, len(body), b"b") == ([(4, 9), (14, len(body))], False)


def test_part_paths_follow_imap_section_numbers() -> None:
    inner = (
        b"Content-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\n\r\nx\r\n--i\r\n\r\ny\r\n--i--"
    )
    raw = (
        b"Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n\r\na\r\n--o\r\n"
        + inner
        + b"\r\n--o--\r\n"
    )
    root = parse_message(raw, DEFAULT_LIMITS)
    assert [child.path for child in root.children] == ["1", "2"]
    assert [child.path for child in root.children[1].children] == ["2.1", "2.2"]
    assert root.children[1].children[1].content_type == "text/plain"


@pytest.mark.parametrize("size", [0, 1, 2, 3, 57, 58, 1000, 3 * 1024 * 1024 + 1])
def test_base64_size_without_decoding_matches_the_decoded_length(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    assert decoded_size(encoded, 0, len(encoded), "base64") == (size, True)
    assert b"".join(iter_decoded(encoded, 0, len(encoded), "base64")) == data


def test_base64_decoding_is_lenient() -> None:
    messy = b"YW Jj\r\nZGVm\r\n!!Zw"  # spaces, junk, no padding
    assert decode_region(messy, 0, len(messy), "base64") == b"abcdefg"


@given(st.binary(max_size=3000))
def test_quoted_printable_round_trip(data: bytes) -> None:
    encoded = binascii.b2a_qp(data, istext=False)  # binary-safe: CR and LF as =0D =0A
    assert decode_region(encoded, 0, len(encoded), "quoted-printable") == data
    assert decoded_size(encoded, 0, len(encoded), "quoted-printable") == (len(data), True)


def test_uuencode_decoding() -> None:
    data = b"uuencoded payload bytes\x00\xff" * 3
    lines = [binascii.b2a_uu(data[i : i + 45]) for i in range(0, len(data), 45)]
    encoded = b"begin 644 x.bin\n" + b"".join(lines) + b"`\nend\n"
    assert decode_region(encoded, 0, len(encoded), "x-uuencode") == data
