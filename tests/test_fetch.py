"""``tui-mail fetch``: every message stored once in the account's Maildir, retention after.

Runs the command as cron does (a subprocess, no terminal) against our test server, and reads
the Maildir back with Python's own :class:`mailbox.Maildir`, as any other reader would.
"""

from __future__ import annotations

import json
import mailbox
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pop3server import ErrorFault, Faults, POP3TestServer
from tests.test_check_command import PASSWORD, Setup, message
from tui_mail.store.local_copy import LEDGER_NAME

MESSAGES = [message(i) for i in range(1, 8)]


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


@pytest.fixture
def server() -> Iterator[POP3TestServer]:
    with POP3TestServer(list(MESSAGES), password=PASSWORD).background() as running:
        yield running


def maildir_of(setup: Setup) -> Path:
    return setup.data / "mail" / "work"


def stored_bodies(setup: Setup) -> list[bytes]:
    box = mailbox.Maildir(maildir_of(setup), factory=None, create=False)
    return sorted(box.get_bytes(key) for key in box.keys())


def test_fetch_stores_every_message_once_as_the_server_sent_it(
    setup: Setup, server: POP3TestServer
) -> None:
    setup.write(server)
    first = setup.run(command="fetch")
    assert (first.status, first.err) == (0, "")
    assert first.out == "work: 7 new, 7 stored, 7 on server\n"
    assert stored_bodies(setup) == sorted(m.replace(b"\r\n", b"\n") for m in MESSAGES)
    again = setup.run("--json", command="fetch")
    assert again.status == 0
    assert json.loads(again.out) == {
        "account": "work",
        "new": 0,
        "stored": 7,
        "on_server": 7,
        "deleted": 0,
        "problems": [],
    }
    assert server.deleted_uids == []  # leave_on_server = true by default
    assert all("DELE" not in s.verbs for s in server.sessions)
    root = maildir_of(setup)
    for path in [*root.glob("new/*"), root / LEDGER_NAME]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for directory in (root, root / "new", root / "cur", root / "tmp"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    assert not list((root / "tmp").iterdir())


def test_fetch_never_marks_read_and_new_mail_arrives_unread(
    setup: Setup, server: POP3TestServer
) -> None:
    setup.write(server)
    assert setup.run(command="fetch").status == 0
    assert not list((maildir_of(setup) / "cur").iterdir())  # all in new/: nobody read them
    with setup.store(server.port) as store:
        assert store.unread_count() == 7
    server.add_message(message(99))
    done = setup.run(command="fetch")
    assert done.out == "work: 1 new, 8 stored, 8 on server\n"


def test_leave_on_server_false_deletes_only_what_is_stored(
    setup: Setup, server: POP3TestServer
) -> None:
    setup.write(server, extra="leave_on_server = false\n")
    done = setup.run(command="fetch")
    assert (done.status, done.err) == (0, "")
    assert done.out == "work: 7 new, 7 stored, 0 on server (7 deleted from the server)\n"
    assert len(server.deleted_uids) == 7 and server.uids() == []
    assert len(stored_bodies(setup)) == 7
    again = setup.run(command="fetch")
    assert again.out == "work: 0 new, 7 stored, 0 on server\n"


def test_a_message_the_server_refuses_is_neither_stored_nor_deleted(
    setup: Setup, server: POP3TestServer
) -> None:
    server.faults = Faults(
        errors=(ErrorFault("RETR", code=None, text="cannot read it", session=0),)
    )
    setup.write(server, extra="leave_on_server = false\n")
    done = setup.run(command="fetch")
    assert done.status == 1
    assert "could not be downloaded: cannot read it" in done.err
    assert done.out == "work: 6 new, 6 stored, 1 on server (6 deleted from the server)\n"
    assert len(server.uids()) == 1
    server.faults = Faults()
    assert setup.run(command="fetch").out == (
        "work: 1 new, 7 stored, 0 on server (1 deleted from the server)\n"
    )
    assert len(set(stored_bodies(setup))) == 7


def test_delete_after_days_needs_leave_on_server(setup: Setup, server: POP3TestServer) -> None:
    setup.write(server, extra="leave_on_server = false\ndelete_after_days = 3\n")
    done = setup.run(command="fetch")
    assert done.status == 2
    assert "delete_after_days: only applies with leave_on_server = true" in done.err


def test_fetch_fills_the_readers_list_from_its_retrs_without_tops(
    setup: Setup, server: POP3TestServer
) -> None:
    setup.write(server)
    assert setup.run(command="fetch").status == 0
    assert all("TOP" not in s.verbs for s in server.sessions)
    with setup.store(server.port) as store:
        rows = store.summaries()
        assert sorted(row.subject for row in rows) == sorted(f"m{i}" for i in range(1, 8))
        assert all(row.headers_loaded and row.unread for row in rows)
