"""``tui-mail render FILE``: UTF-8 out whatever the locale, exit 0 for mail, 1 for unreadable."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui_mail.commands import render

CORPUS = Path(__file__).parent / "corpus"
JAPANESE = CORPUS / "jp_iso2022jp_nec_extensions.eml"
HOSTILE = CORPUS / "hostile_body_controls.eml"


def run_command(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    environment.update({"TZ": "UTC", "LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": "ascii"})
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tui_mail.commands.render", *args],
        input=stdin,
        capture_output=True,
        env=environment,
        timeout=60,
    )


@pytest.mark.parametrize("path", [JAPANESE, HOSTILE], ids=lambda path: path.stem)
def test_prints_the_expected_text_as_utf8_in_a_c_locale(path: Path) -> None:
    result = run_command("--utc", str(path))
    assert result.returncode == 0, result.stderr
    expected = path.with_name(path.stem + ".expected.txt").read_bytes()
    assert result.stdout == expected
    assert result.stderr == b""
    assert b"\x1b" not in result.stdout


def test_reads_standard_input() -> None:
    result = run_command("--utc", "-", stdin=JAPANESE.read_bytes())
    assert result.returncode == 0
    assert result.stdout == JAPANESE.with_name(JAPANESE.stem + ".expected.txt").read_bytes()


def test_local_time_follows_tz() -> None:
    result = run_command(str(JAPANESE), env={"TZ": "Asia/Tokyo"})
    assert b"Date: Wed, 01 May 2024 10:30:00 +0900\n" in result.stdout


def test_prefers_html_when_asked() -> None:
    path = CORPUS / "alternative_prefers_plain.eml"
    assert b"Plain version" in run_command("--utc", str(path)).stdout
    assert b"HTML version [1]" in run_command("--utc", "--html", str(path)).stdout


@pytest.mark.parametrize("raw", [b"", b"\x00\xff garbage \x1b[2J", b"--\r\n\r\n\r\n"])
def test_anything_mail_like_exits_zero(raw: bytes) -> None:
    result = run_command("-", stdin=raw)
    assert result.returncode == 0
    assert b"\x1b" not in result.stdout


def test_unreadable_file_is_one_line_and_exit_one(tmp_path: Path) -> None:
    missing = run_command(str(tmp_path / "nope.eml"))
    assert missing.returncode == 1
    assert missing.stdout == b""
    assert missing.stderr.decode().count("\n") == 1
    assert "cannot read" in missing.stderr.decode()
    directory = run_command(str(tmp_path))
    assert directory.returncode == 1
    assert directory.stderr.decode().count("\n") == 1


def test_hostile_file_name_in_the_error_is_sanitised(tmp_path: Path) -> None:
    result = run_command(str(tmp_path / "evil\x1b]0;x\x07.eml"))
    assert result.returncode == 1
    assert b"\x1b" not in result.stderr and b"\xe2\x90\x9b" in result.stderr  # "␛"


def test_run_and_add_arguments_directly(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    parser = argparse.ArgumentParser()
    render.add_arguments(parser)
    assert render.run(parser.parse_args(["--utc", str(JAPANESE)])) == 0
    out = capsysbinary.readouterr().out
    assert out == JAPANESE.with_name(JAPANESE.stem + ".expected.txt").read_bytes()


def test_attachment_shows_one_text_attachment_as_the_reader_does() -> None:
    path = CORPUS / "real_text_attachment_shown_on_demand.eml"
    result = run_command("--utc", "--attachment", "1", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == path.with_name(path.stem + ".expected.txt").read_bytes()
    missing = run_command("--utc", "--attachment", "9", str(path))
    assert missing.returncode == 1 and missing.stdout == b""
    assert missing.stderr == b"tui-mail render: no attachment #9: the message has 2\n"
