"""The regex scan for list fields finds exactly what the line-by-line loop found.

Every row of the message list comes from ``_wanted_fields``; the faster scan must not change
one summary, for the corpus, for the mixed mailbox of ``test_mixed_mailbox.py`` and for any
block hypothesis can build from the pieces that matter (folds, CRs, case, duplicates).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

from tests.header_pieces import odd_header_blocks
from tests.test_mixed_mailbox import MAILBOX
from tui_mail.mail import degraded
from tui_mail.mail import headers as header_module
from tui_mail.mail.degraded import summarize_headers_safely
from tui_mail.mail.headers import _wanted_fields

CORPUS = Path(__file__).parent / "corpus"
_NAMES = frozenset({b"date", b"from", b"subject", b"message-id"})
_FIRST_BYTES = frozenset({b"D", b"d", b"F", b"f", b"S", b"s", b"M", b"m"})


def reference_wanted_fields(raw: bytes) -> dict[bytes, bytes]:
    """The loop as it was before the regex scan (kept here as the definition)."""
    found: dict[bytes, list[bytes]] = {}
    current: list[bytes] | None = None
    for line in raw.split(b"\n"):
        first = line[:1]
        if first == b" " or first == b"\t":
            if current is not None:
                current.append(line)
            continue
        if not line.rstrip(b"\r"):
            break
        current = None
        if first in _FIRST_BYTES:
            colon = line.find(b":")
            if colon > 0:
                name = line[:colon].rstrip(b" \t").lower()
                if name in _NAMES and name not in found:
                    current = found[name] = [line[colon + 1 :]]
    return {
        name: b"".join(piece.rstrip(b"\r") for piece in pieces).strip()
        for name, pieces in found.items()
    }


def blocks() -> list[bytes]:
    found = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]
    found += MAILBOX
    assert len(found) > 20
    return found


def test_the_corpus_and_the_mixed_mailbox_scan_the_same() -> None:
    for raw in blocks():
        assert _wanted_fields(raw) == reference_wanted_fields(raw)


def test_their_summaries_are_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = [summarize_headers_safely(raw) for raw in blocks()]
    monkeypatch.setattr(header_module, "_wanted_fields", reference_wanted_fields)
    monkeypatch.setattr(degraded, "_wanted_fields", reference_wanted_fields)
    slow = [summarize_headers_safely(raw) for raw in blocks()]
    differ = [
        index for index, (one, other) in enumerate(zip(fast, slow, strict=True)) if one != other
    ]
    assert differ == []


def test_folds_duplicates_and_the_end_of_the_block() -> None:
    raw = (
        b"Received: x\r\n\tSubject: not this\r\nsUbJeCt \t: first\r\n  part\r\n"
        b"Subject: second\r\n\r\nFrom: body@example.org\r\n"
    )
    assert _wanted_fields(raw) == {b"subject": b"first  part"}
    assert _wanted_fields(raw) == reference_wanted_fields(raw)


@settings(max_examples=3000, deadline=None)
@given(odd_header_blocks)
def test_any_block_scans_the_same(raw: bytes) -> None:
    assert _wanted_fields(raw) == reference_wanted_fields(raw)
