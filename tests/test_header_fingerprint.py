"""The fast header fingerprint gives exactly the defining line-by-line value.

Fingerprints are stored (deletion marks and UID reuse compare against them), so a faster
implementation that changed a single value would make a message look like other mail.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.header_pieces import odd_header_blocks
from tui_mail.store.headers import (
    _identifying_fields,
    _identifying_fields_by_line,
    header_fingerprint,
)

CORPUS = Path(__file__).parent / "corpus"


def reference_fingerprint(raw: bytes) -> str:
    """The implementation as it was before the fast path (kept here as the definition)."""
    text = raw.replace(b"\r\n", b"\n")
    end = text.find(b"\n\n")
    if end != -1:
        text = text[:end]
    fields: list[tuple[bytes, bytes]] = []
    for line in text.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b" " + line.strip())
        elif b":" in line:
            name, _, value = line.partition(b":")
            fields.append((name.strip().lower(), value.strip()))
    chosen = [
        b"%s:%s" % field
        for field in fields
        if field[0] in {b"message-id", b"date", b"from", b"to", b"subject"}
    ]
    material = b"\n".join(chosen) if chosen else raw
    return hashlib.sha256(material).hexdigest()[:32]


def test_every_corpus_message_keeps_its_fingerprint() -> None:
    messages = sorted(CORPUS.glob("*.eml"))
    assert messages
    for path in messages:
        raw = path.read_bytes()
        assert header_fingerprint(raw) == reference_fingerprint(raw), path.name


def test_a_line_without_colon_before_continuations_takes_the_defining_route() -> None:
    text = b"Subject: a\ngarbage\n  more\nFrom: b"
    assert _identifying_fields(text) is None
    assert _identifying_fields_by_line(text) == [(b"subject", b"a more"), (b"from", b"b")]
    assert header_fingerprint(text) == reference_fingerprint(text)


def test_a_folded_subject_is_unfolded_the_same_way() -> None:
    raw = b"Received: x\r\n\ty\r\nSUBJECT : one\r\n two\r\n\tthree\r\nTo: me\r\n\r\nbody"
    assert _identifying_fields(raw.replace(b"\r\n", b"\n").split(b"\n\n")[0]) == [
        (b"subject", b"one two three"),
        (b"to", b"me"),
    ]
    assert header_fingerprint(raw) == reference_fingerprint(raw)


@settings(max_examples=3000, deadline=None)
@given(odd_header_blocks)
def test_any_block_gives_the_defining_fingerprint(raw: bytes) -> None:
    assert header_fingerprint(raw) == reference_fingerprint(raw)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_the_defining_fingerprint(raw: bytes) -> None:
    assert header_fingerprint(raw) == reference_fingerprint(raw)
