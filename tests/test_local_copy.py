"""The account's Maildir as the user's own copy: byte-true, LF, flags that follow read state."""

from __future__ import annotations

import mailbox
from pathlib import Path

from tui_mail.store import Store
from tui_mail.store.local_copy import LocalCopies, mailbox_name
from tui_mail.store.reconcile import ServerEntry

RAW = b"From: a@example.org\r\nSubject: hi\r\n\r\nline one\r\nbare\rCR kept\r\n"


def copies(tmp_path: Path) -> LocalCopies:
    return LocalCopies(tmp_path / "Mail", mailbox_name("pop.example.org", 995, "me"))


def test_a_streamed_message_is_stored_with_lf_even_when_crlf_spans_two_writes(
    tmp_path: Path,
) -> None:
    local = copies(tmp_path)
    with local.writer("u1") as sink:
        for start in range(0, len(RAW), 7):  # CR and LF land in different writes
            sink.write(RAW[start : start + 7])
    copy = local.lookup("u1")
    assert copy is not None and not copy.seen
    assert copy.path.parent.name == "new"
    assert copy.path.read_bytes() == RAW.replace(b"\r\n", b"\n")
    assert copy.size == len(RAW.replace(b"\r\n", b"\n"))
    box = mailbox.Maildir(tmp_path / "Mail", factory=None, create=False)
    assert [box.get_bytes(key) for key in box.keys()] == [RAW.replace(b"\r\n", b"\n")]
    local.close()


def test_seen_follows_the_read_state_and_other_readers_may_move_the_file(
    tmp_path: Path,
) -> None:
    local = copies(tmp_path)
    local.store("u1", RAW)
    local.set_seen("u1", True)
    copy = local.lookup("u1")
    assert copy is not None and copy.seen and copy.path.name.endswith(":2,S")
    moved = copy.path.with_name(copy.path.name.replace(":2,S", ":2,FS"))  # mutt flagged it
    copy.path.rename(moved)
    again = local.lookup("u1")
    assert again is not None and again.path == moved and again.seen
    local.set_seen("u1", False)
    unread = local.lookup("u1")
    assert unread is not None and not unread.seen and unread.path.name.endswith(":2,F")
    local.close()


def test_the_store_keeps_flags_in_step_and_a_user_delete_removes_the_copy(
    tmp_path: Path,
) -> None:
    with Store.open(
        "pop.example.org", 995, "me", data_dir=tmp_path / "data", maildir=tmp_path / "Mail"
    ) as store:
        store.reconcile([ServerEntry(1, "u1", len(RAW)), ServerEntry(2, "u2", len(RAW))])
        assert store.local is not None
        store.store_body("u1", RAW)
        store.store_body("u2", RAW + b"two\r\n")
        store.mark_read(["u1"])
        copy = store.local.lookup("u1")
        assert copy is not None and copy.seen
        path = store.body_path("u1")
        assert path is not None and path.read_bytes() == RAW.replace(b"\r\n", b"\n")
        store.deletions_done(["u2"], keep_local=True)  # retention: the server copy only
        assert store.local.lookup("u2") is not None
        store.deletions_done(["u1"])  # the user's delete
        assert store.local.lookup("u1") is None and not copy.path.exists()
        assert store.local.uids() == {"u2"}
