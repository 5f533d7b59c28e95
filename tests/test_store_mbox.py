"""mboxrd export: read back by Python's ``mailbox.mbox``, byte for byte, 0600, atomic."""

from __future__ import annotations

import mailbox
import os
import stat
from pathlib import Path

import pytest

from tui_mail.store import mbox as mbox_module
from tui_mail.store.mbox import (
    MboxWriter,
    envelope_sender,
    from_line,
    mboxrd_entry,
    unquote_mboxrd,
    write_mbox,
)

HOSTILE = (
    b"Return-Path: <alice@example.org>\r\n"
    b"From: Alice <alice@example.org>\r\n"
    b"Subject: quoting\r\n"
    b"Date: Sun, 15 Jun 2025 09:30:00 +0000\r\n"
    b"\r\n"
    b"From x, a line that would start a new message\r\n"
    b">From y, already quoted once\r\n"
    b">>From z, twice\r\n"
    b"From\r\n"
    b" From not at the start\r\n"
    b"From: looks like a header\r\n"
    b"last line\r\n"
)
PLAIN = b"From: Bob <bob@example.org>\nSubject: plain\n\nHello\n"
NO_NEWLINE = b"Subject: no final newline\n\nbody without one"


def read_back(path: Path) -> list[bytes]:
    """Each message as an mboxrd reader gives it: Python's mbox, then one ``>`` less."""
    box = mailbox.mbox(path, create=False)
    try:
        return [unquote_mboxrd(box.get_bytes(key)) for key in box.keys()]
    finally:
        box.close()


def test_round_trip_through_python_mailbox(tmp_path: Path) -> None:
    target = tmp_path / "out.mbox"
    done = write_mbox(target, [(HOSTILE, None), (PLAIN, 0.0), (NO_NEWLINE, None)])
    assert done.messages == 3
    assert done.size == target.stat().st_size
    assert read_back(target) == [HOSTILE.replace(b"\r\n", b"\n"), PLAIN, NO_NEWLINE + b"\n"]


def test_hostile_lines_are_quoted_in_the_file(tmp_path: Path) -> None:
    target = write_mbox(tmp_path / "q.mbox", [(HOSTILE, None)]).path
    lines = target.read_bytes().split(b"\n")
    assert lines[0].startswith(b"From alice@example.org ")
    assert b">From x, a line that would start a new message" in lines
    assert b">>From y, already quoted once" in lines
    assert b">>>From z, twice" in lines
    assert b" From not at the start" in lines
    assert b"From: looks like a header" in lines  # no space after From: not a separator
    assert [line for line in lines if line.startswith(b"From ")] == [lines[0]]
    assert b"\r" not in target.read_bytes()


def test_messages_are_separated_by_a_blank_line(tmp_path: Path) -> None:
    target = write_mbox(tmp_path / "two.mbox", [(PLAIN, 0.0), (PLAIN, 0.0)]).path
    data = target.read_bytes()
    first = b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
    assert data == first + PLAIN + b"\n" + first + PLAIN + b"\n"


def test_from_line_sender_and_date() -> None:
    assert from_line(HOSTILE) == b"From alice@example.org Sun Jun 15 09:30:00 2025\n"
    assert from_line(PLAIN, 86400.0) == b"From MAILER-DAEMON Fri Jan  2 00:00:00 1970\n"
    assert from_line(b"Return-Path: <>\n\nx\n", 0.0).startswith(b"From MAILER-DAEMON ")
    bad_date = b"Date: not a date\n\nx\n"
    assert from_line(bad_date).startswith(b"From MAILER-DAEMON ")  # now, not a crash


@pytest.mark.parametrize(
    ("header", "sender"),
    [
        (b"Return-Path: <a@b.example>", b"a@b.example"),
        (b"return-path:   <a@b.example>  ", b"a@b.example"),
        (b"Return-Path: <>", b"MAILER-DAEMON"),
        (b"Return-Path: <a\x1b]0;x\x07@b>", b"MAILER-DAEMON"),
        (b"Return-Path: <a b@c>", b"MAILER-DAEMON"),  # a space would split the From_ line
        (b"Return-Path:\n <a@b.example>", b"a@b.example"),  # folded
        (b"Return-Path: <\xe3\x81\x82@b>", b"MAILER-DAEMON"),
    ],
)
def test_envelope_sender_is_one_printable_token(header: bytes, sender: bytes) -> None:
    assert envelope_sender(header + b"\nSubject: x\n\nbody\n") == sender


def test_return_path_in_the_body_is_not_the_sender() -> None:
    raw = b"Subject: x\n\nReturn-Path: <evil@example>\n"
    assert envelope_sender(raw) == b"MAILER-DAEMON"


def test_entry_of_an_empty_message() -> None:
    assert mboxrd_entry(b"", 0.0) == b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n\n\n"


def test_file_is_private_and_never_overwritten_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "out.mbox"
    target.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        write_mbox(target, [(PLAIN, 0.0)])
    assert target.read_bytes() == b"precious"
    write_mbox(target, [(PLAIN, 0.0)], overwrite=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert read_back(target) == [PLAIN]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mbox"]  # no temporary left


def test_new_directory_is_private(tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir" / "out.mbox"
    write_mbox(target, [(PLAIN, 0.0)])
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_failure_midway_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.mbox"

    def messages() -> list[tuple[bytes, float | None]]:
        raise OSError("disk full")

    with pytest.raises(OSError), MboxWriter(target) as writer:
        writer.add(PLAIN)
        messages()
    assert list(tmp_path.iterdir()) == []


def test_a_file_appearing_during_the_write_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.mbox"
    with pytest.raises(FileExistsError), MboxWriter(target) as writer:
        writer.add(PLAIN)
        target.write_bytes(b"someone else's")
        writer.commit()
    assert target.read_bytes() == b"someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mbox"]


def test_data_is_fsynced_before_it_is_put_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    real_fsync, real_link = os.fsync, os.link

    def fsync(descriptor: int) -> None:
        order.append("fsync")
        real_fsync(descriptor)

    def link(source: str | Path, target: str | Path) -> None:
        order.append("link")
        real_link(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(mbox_module, "fsync_dir", lambda path: order.append("fsync_dir"))
    write_mbox(tmp_path / "out.mbox", [(PLAIN, 0.0)])
    assert order == ["fsync", "link", "fsync_dir"]
