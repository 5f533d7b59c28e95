"""Whatever the bytes, rendering returns clean text and every listed attachment can be saved."""

from __future__ import annotations

import tempfile
from datetime import UTC
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_mail.mail import render_message, save_attachment, summarize_headers
from tui_mail.mail.sanitize import unsafe_characters

CONTENT_TYPES = [
    "text/plain",
    "text/html",
    "text/plain; format=flowed; delsp=yes",
    "application/pdf",
    "message/rfc822",
    "multipart/mixed",
    "multipart/alternative",
    "multipart/related",
    "multipart/digest",
    "multipart/signed",
    "image/png",
    "text/x-unknown",
    "bogus",
    "",
]
CHARSETS = ["utf-8", "iso-2022-jp", "shift_jis", "euc-jp", "us-ascii", "x-bogus", "utf-16", ""]
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "x-garbage", ""]
TEXTS = st.one_of(
    st.binary(max_size=120),
    st.text(max_size=60).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [
            b'\x1b$B$"$$\x1b(B',
            b"=?utf-8?b?5pel?=",
            b"\x1b]0;x\x07",
            b"--b1\r\n",
            b"SGVsbG8=\r\n",
            b"<p>hi <a href='x'>y</a></p>",
            b"=E3=81=82=\r\n",
        ]
    ),
)


@st.composite
def parts(draw: st.DrawFn, depth: int = 0) -> bytes:
    ctype = draw(st.sampled_from(CONTENT_TYPES))
    boundary = f"b{depth}"
    headers = []
    if ctype:
        charset = draw(st.sampled_from(CHARSETS))
        params = f"; boundary={boundary}" if ctype.startswith("multipart/") else ""
        params += f"; charset={charset}" if charset else ""
        if draw(st.booleans()):
            params += f"; name={draw(st.sampled_from(['a.pdf', '../x', '=?utf-8?q?=E2=80=AE?=']))}"
        headers.append(b"Content-Type: " + ctype.encode() + params.encode())
    encoding = draw(st.sampled_from(ENCODINGS))
    if encoding:
        headers.append(b"Content-Transfer-Encoding: " + encoding.encode())
    if draw(st.booleans()):
        headers.append(b"Subject: " + draw(TEXTS).replace(b"\n", b" "))
    if ctype.startswith("multipart/") and depth < 3:
        children = draw(st.lists(parts(depth + 1), max_size=3))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + child + b"\r\n" for child in children)
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\r\n"
    elif ctype == "message/rfc822" and depth < 3:
        body = draw(parts(depth + 1))
    else:
        body = draw(TEXTS)
    return b"\r\n".join(headers) + b"\r\n\r\n" + body


def check(raw: bytes) -> None:
    for prefer_html in (False, True):
        rendered = render_message(raw, prefer_html=prefer_html, tz=UTC)
        text = rendered.as_text()
        assert [
            c for line in text.split("\n") for c in unsafe_characters(line, single_line=True)
        ] == []
    summarize_headers(raw)
    with tempfile.TemporaryDirectory() as directory:
        for attachment in rendered.attachments:
            saved = save_attachment(raw, attachment.index, Path(directory))
            assert saved.parent == Path(directory)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts())
def test_random_mime_structures(raw: bytes) -> None:
    check(raw)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes(raw: bytes) -> None:
    check(raw)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts(), st.integers(min_value=0, max_value=400))
def test_truncated_messages(raw: bytes, cut: int) -> None:
    check(raw[:cut])
