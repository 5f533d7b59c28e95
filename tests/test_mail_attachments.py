"""Saving attachments: safe names, 0600 files, no silent overwrite, streamed decoding."""

from __future__ import annotations

import base64
import os
import quopri
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_mail.mail import render_message, safe_filename, save_attachment
from tui_mail.mail.limits import Limits

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40


def build(*parts: bytes) -> bytes:
    body = b"".join(b"--B\r\n" + part + b"\r\n" for part in parts) + b"--B--\r\n"
    return b'Subject: files\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n' + body


RAW = build(
    b"Content-Type: text/plain\r\n\r\nbody text",
    b'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="re port.pdf"'
    b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(PDF),
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; "
    b"filename*=utf-8''%E8%AB%8B%E6%B1%82.txt\r\nContent-Transfer-Encoding: quoted-printable"
    b"\r\n\r\n" + quopri.encodestring("日本語のテキスト\n".encode()),
    b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; "
    b'filename="../../etc/passwd"\r\n\r\nroot:x:0:0',
    b"Content-Type: image/png\r\n\r\n\x89PNG",
    b"Content-Type: application/x-msdownload\r\nContent-Disposition: attachment; "
    b"filename*=utf-8''invoice%E2%80%AEfdp.exe\r\n\r\nMZ",
)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../x", "x"),
        ("/etc/passwd", "passwd"),
        ("C:\\Users\\me\\evil.bat", "evil.bat"),
        ("dir/", "dir"),
        ("..", "attachment"),
        ("...", "attachment"),
        (".bashrc", "bashrc"),
        ("", "attachment"),
        ("  spaced name . ", "spaced name"),
        ("invoice\u202efdp.exe", "invoice_fdp.exe"),
        ("zero\u200bwidth\u2066.txt", "zero_width_.txt"),
        ("a\r\nb\x1b[31m.txt", "a__b_[31m.txt"),
        ('what?<>:|*".txt', "what_______.txt"),
        ("\u30cf\u309a.txt", "\u30d1.txt"),  # NFD from a Mac -> NFC
        ("nul\x00byte", "nul_byte"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_safe_filename_keeps_the_extension_when_shortening() -> None:
    name = "長" * 300 + ".pdf"
    safe = safe_filename(name)
    assert safe.endswith(".pdf") and len(safe.encode()) <= 200


@given(st.text())
def test_safe_filename_is_always_a_plain_name(name: str) -> None:
    safe = safe_filename(name)
    assert safe and "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert safe not in (".", "..") and not safe.startswith(".")
    assert len(safe.encode("utf-8", "surrogatepass")) <= 200
    assert safe_filename(safe) == safe


def test_the_listing_matches_what_save_attachment_numbers() -> None:
    rendered = render_message(RAW)
    assert [(a.index, a.filename, a.content_type) for a in rendered.attachments] == [
        (1, "re port.pdf", "application/pdf"),
        (2, "請求.txt", "text/plain"),
        (3, "../../etc/passwd", "application/octet-stream"),
        (4, "", "image/png"),
        (5, "invoice<U+202E>fdp.exe", "application/x-msdownload"),
    ]


def test_save_decodes_and_writes_a_private_file(tmp_path: Path) -> None:
    path = save_attachment(RAW, 1, tmp_path)
    assert path == tmp_path / "re port.pdf"
    assert path.read_bytes() == PDF
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = save_attachment(RAW, 2, tmp_path)
    assert text.name == "請求.txt"
    assert text.read_text(encoding="utf-8") == "日本語のテキスト\n"


def test_hostile_names_stay_inside_the_directory(tmp_path: Path) -> None:
    assert save_attachment(RAW, 3, tmp_path) == tmp_path / "passwd"
    assert save_attachment(RAW, 4, tmp_path) == tmp_path / "attachment-4.png"
    assert save_attachment(RAW, 5, tmp_path) == tmp_path / "invoice_fdp.exe"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "attachment-4.png",
        "invoice_fdp.exe",
        "passwd",
    ]


def test_existing_files_are_never_replaced_without_the_flag(tmp_path: Path) -> None:
    (tmp_path / "re port.pdf").write_bytes(b"mine")
    first = save_attachment(RAW, 1, tmp_path)
    second = save_attachment(RAW, 1, tmp_path)
    assert (first.name, second.name) == ("re port (1).pdf", "re port (2).pdf")
    assert (tmp_path / "re port.pdf").read_bytes() == b"mine"
    replaced = save_attachment(RAW, 1, tmp_path, overwrite=True)
    assert replaced == tmp_path / "re port.pdf"
    assert replaced.read_bytes() == PDF
    assert stat.S_IMODE(replaced.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_a_symlink_at_the_target_is_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "re port.pdf").symlink_to(victim)
    saved = save_attachment(RAW, 1, downloads)
    assert saved.name == "re port (1).pdf"
    save_attachment(RAW, 1, downloads, overwrite=True)
    assert victim.read_bytes() == b"precious"
    assert not (downloads / "re port.pdf").is_symlink()


def test_caller_chosen_name_is_made_safe_too(tmp_path: Path) -> None:
    assert save_attachment(RAW, 1, tmp_path, filename="../out.pdf") == tmp_path / "out.pdf"


def test_bad_index_and_bad_directory(tmp_path: Path) -> None:
    with pytest.raises(IndexError, match="no attachment #6: the message has 5"):
        save_attachment(RAW, 6, tmp_path)
    with pytest.raises(IndexError):
        save_attachment(RAW, 0, tmp_path)
    with pytest.raises(NotADirectoryError):
        save_attachment(RAW, 1, tmp_path / "missing")


def test_parts_past_the_display_limits_can_still_be_saved(tmp_path: Path) -> None:
    big = b"line of text\n" * 1000
    raw = build(b"Content-Type: text/plain\r\n\r\n" + big)
    limits = Limits(max_text_part_bytes=1000)
    assert render_message(raw, limits=limits).attachments[0].note.startswith("first 1000 B shown")
    saved = save_attachment(raw, 1, tmp_path, limits=limits)
    assert saved.read_bytes() == big


def test_saving_from_a_file_stream(tmp_path: Path) -> None:
    source = tmp_path / "message.eml"
    source.write_bytes(RAW)
    out = tmp_path / "out"
    out.mkdir()
    with source.open("rb") as stream:
        saved = save_attachment(stream, 1, out)
    assert saved.read_bytes() == PDF


def test_a_failed_write_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        save_attachment(RAW, 1, tmp_path)
    with pytest.raises(OSError, match="No space"):
        save_attachment(RAW, 1, tmp_path, overwrite=True)
    assert list(tmp_path.iterdir()) == []
