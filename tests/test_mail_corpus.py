"""The rendering corpus: every message renders to its expected text, and nothing unsafe.

tests/corpus/NAME.eml + NAME.expected.txt are written by tests/corpus/make_corpus.py from
hand-written expectations; the first test keeps the committed files and the definitions
in step. CPython's own email test messages are rendered too when installed.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from tests.corpus.corpus_kit import Case
from tests.corpus.make_corpus import all_cases
from tui_mail.mail import Limits, render_attachment, render_message
from tui_mail.mail.sanitize import unsafe_characters

CORPUS = Path(__file__).parent / "corpus"


CASES = all_cases()
EML_FILES = sorted(CORPUS.glob("*.eml"))


def assert_clean(text: str) -> None:
    """No character that could drive a terminal, and no tab (tabs are expanded)."""
    bad = [char for line in text.split("\n") for char in unsafe_characters(line, single_line=True)]
    assert bad == [], f"unsanitised characters: {bad!r}"


def test_corpus_has_at_least_forty_messages() -> None:
    assert len(CASES) >= 40
    assert len(EML_FILES) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_committed_files_match_the_definitions(case: Case) -> None:
    assert (CORPUS / f"{case.name}.eml").read_bytes() == case.raw
    assert (CORPUS / f"{case.name}.expected.txt").read_text(encoding="utf-8") == case.expected


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_message_renders_to_expected_text(case: Case) -> None:
    raw = (CORPUS / f"{case.name}.eml").read_bytes()
    expected = (CORPUS / f"{case.name}.expected.txt").read_text(encoding="utf-8")
    limits = Limits() if case.text_limit is None else Limits(max_text_part_bytes=case.text_limit)
    if case.attachment is None:
        rendered = render_message(raw, prefer_html=case.prefer_html, tz=UTC, limits=limits)
    else:
        rendered = render_attachment(raw, case.attachment, tz=UTC, limits=limits)
    assert rendered.as_text() == expected
    assert_clean(rendered.as_text())


@pytest.mark.parametrize("path", EML_FILES, ids=lambda path: path.stem)
def test_file_stream_renders_like_bytes(path: Path) -> None:
    with path.open("rb") as stream:
        from_stream = render_message(stream, tz=UTC).as_text()
    assert from_stream == render_message(path.read_bytes(), tz=UTC).as_text()


def _cpython_messages() -> list[Path]:
    try:
        import test.test_email as package  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return []
    data = Path(package.__file__).parent / "data"
    return sorted(data.glob("msg_*.txt")) if data.is_dir() else []


CPYTHON_MESSAGES = _cpython_messages()


@pytest.mark.skipif(not CPYTHON_MESSAGES, reason="CPython's test.test_email data not installed")
@pytest.mark.parametrize("path", CPYTHON_MESSAGES, ids=lambda path: path.name)
def test_cpython_email_test_message_renders(path: Path) -> None:
    raw = path.read_bytes()
    for prefer_html in (False, True):
        rendered = render_message(raw, prefer_html=prefer_html, tz=UTC)
        text = rendered.as_text()
        assert_clean(text)
        assert text.endswith("\n")
        for field in (rendered.from_, rendered.to, rendered.cc, rendered.subject):
            assert "\n" not in field
