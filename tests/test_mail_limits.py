"""Huge and hostile shapes: each is listed, not decoded, with a note; memory stays small."""

from __future__ import annotations

import base64
import tracemalloc
from datetime import UTC
from pathlib import Path

from tui_mail.mail import Limits, render_message

HEAD = (
    b"From: a@example.com\r\nSubject: big\r\nDate: Wed, 01 May 2024 10:30:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
)


def mixed(*parts: bytes) -> bytes:
    body = b"".join(b"--B\r\n" + part + b"\r\n" for part in parts) + b"--B--\r\n"
    return HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n' + body


def large_message(attachment_bytes: int) -> bytes:
    attachment = base64.encodebytes(bytes(attachment_bytes)).replace(b"\n", b"\r\n")
    return mixed(
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nSee the report.",
        b"Content-Type: application/pdf\r\nContent-Disposition: attachment; "
        b"filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + attachment,
    )


def test_twenty_megabyte_message_lists_the_attachment_without_decoding_it(
    tmp_path: Path,
) -> None:
    raw = large_message(15_000_000)
    assert len(raw) > 20_000_000
    path = tmp_path / "large.eml"
    path.write_bytes(raw)
    del raw
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            rendered = render_message(stream, tz=UTC)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rendered.body == "See the report."
    assert [(a.filename, a.size, a.size_exact) for a in rendered.attachments] == [
        ("report.pdf", 15_000_000, True)
    ]
    assert peak < 8_000_000, f"rendering allocated {peak} bytes at peak"


def test_text_part_over_the_display_limit_shows_its_first_2_mib_with_a_note() -> None:
    line = b"a line of a long log file\n"
    big = line * (3_000_000 // len(line))
    raw = mixed(b"Content-Type: text/plain\r\n\r\nshort", b"Content-Type: text/plain\r\n\r\n" + big)
    rendered = render_message(raw, tz=UTC)
    shown, note = rendered.body.rsplit("\n\n", 1)
    assert shown.startswith("short\n\na line of a long log file\n")
    # The first 2 MiB, cut at the line break before the limit: whole lines only.
    kept = (2 << 20) // len(line)
    assert shown == "short\n\n" + (line * kept).decode().rstrip()
    assert note == (
        "[part 2 (text/plain, 2.9 MiB) is larger than the 2.0 MiB display limit: the first "
        "2.0 MiB are shown above; it is attachment #1]"
    )
    assert rendered.attachments[0].note == "first 2.0 MiB shown: larger than the display limit"
    assert rendered.attachments[0].size == len(big)
    assert rendered.defects == ()


def test_body_length_limit() -> None:
    raw = HEAD + b"\r\n" + b"y" * 5000
    rendered = render_message(raw, tz=UTC, limits=Limits(max_body_chars=1000))
    assert rendered.body == "y" * 1000
    assert rendered.defects == ("body longer than 1,000 characters; the rest is not shown",)


def test_oversized_header_block_is_cut_and_the_body_still_found() -> None:
    raw = HEAD + b"".join(b"X-Filler: %d\r\n" % i for i in range(30_000)) + b"\r\nthe body\r\n"
    rendered = render_message(raw, tz=UTC)
    assert rendered.body == "the body"
    assert rendered.subject == "big"
    assert rendered.defects[0] == "header block larger than 256 KiB; the rest of it is ignored"
    assert rendered.defects[1].startswith("more than 1000 header fields; ")
    assert len(rendered.defects) == 2


def test_too_many_header_fields() -> None:
    raw = HEAD + b"".join(b"X-F: %d\r\n" % i for i in range(1500)) + b"\r\nbody"
    rendered = render_message(raw, tz=UTC)
    assert rendered.body == "body"
    assert rendered.defects == ("more than 1000 header fields; 504 ignored",)


def test_giant_line_without_line_breaks() -> None:
    rendered = render_message(b"z" * 5_000_000, tz=UTC)
    assert rendered.body == "z" * (2 << 20) + (
        "\n\n[body (text/plain, 4.8 MiB) is larger than the 2.0 MiB display limit: the first "
        "2.0 MiB are shown above; it is attachment #1]"
    )
    giant_header = render_message(b"Subject: " + b"s" * 1_000_000 + b"\r\n\r\nbody", tz=UTC)
    assert giant_header.body == "body"
    assert giant_header.defects == ("a header line longer than 256 KiB is ignored",)


def test_deep_chain_of_attached_messages() -> None:
    inner = b"Subject: innermost\r\n\r\ncore"
    for level in range(40):
        inner = (b"Subject: level %d\r\nContent-Type: message/rfc822\r\n\r\n" % level) + inner
    rendered = render_message(inner, tz=UTC)
    assert "not shown: nested more than 20 levels deep" in rendered.body
    assert rendered.body.count("----- Attached message -----") == 20
    assert rendered.attachments[-1].note == "not shown: nested more than 20 levels deep"


def test_base64_attached_message_over_the_decode_limit() -> None:
    encoded = base64.encodebytes(b"Subject: x\r\n\r\n" + b"y" * 2000)
    raw = mixed(
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" + encoded
    )
    rendered = render_message(raw, tz=UTC, limits=Limits(max_embedded_decode_bytes=1000))
    assert rendered.attachments[0].note == (
        "not shown: encoded attached message larger than 1000 B"
    )
