"""``tui-mail check`` counts the messages only on this machine; ``tui-mail export`` writes the
local copies as one mbox (all of them, or ``--local-only``), never over a file by itself."""

from __future__ import annotations

import json
import mailbox
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pop3server import POP3TestServer
from tests.test_check_command import PASSWORD, Setup, message, never_deleted
from tui_mail.store import Store
from tui_mail.store.mbox import unquote_mboxrd

HOSTILE = (
    b"From: Mallory <m@example.org>\nSubject: quoting\nDate: Mon, 02 Jun 2025 10:00:00 +0000\n"
    b"\nFrom x\n>From y\nend\n"
)


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


@pytest.fixture
def server() -> Iterator[POP3TestServer]:
    with POP3TestServer(
        [message(i) for i in range(1, 6)], password=PASSWORD
    ).background() as running:
        yield running


def local_store(setup: Setup, server: POP3TestServer) -> Store:
    """The account's store with its Maildir, where the reader and fetch keep mail."""
    return Store.open(
        "127.0.0.1", server.port, "user", data_dir=setup.data, maildir=setup.data / "mail" / "work"
    )


def keep_locally(setup: Setup, server: POP3TestServer, *uids: str) -> None:
    with local_store(setup, server) as store:
        assert store.local is not None
        for uid in uids:
            number = server.uids().index(uid)
            store.local.store(uid, server.mailbox.snapshot()[number].data)


def read_mbox(path: Path) -> list[bytes]:
    box = mailbox.mbox(path, create=False)
    try:
        return [unquote_mboxrd(box.get_bytes(key)) for key in box.keys()]
    finally:
        box.close()


def test_check_counts_what_is_only_on_this_machine(setup: Setup, server: POP3TestServer) -> None:
    setup.write(server)
    assert setup.run().out == "work: 5 new, 5 unread, 5 messages\n"
    uids = server.uids()
    keep_locally(setup, server, uids[0], uids[2])
    server.mailbox.remove_at(2)  # the server expires one we keep ...
    server.mailbox.remove_at(1)  # ... and one we never downloaded
    run = setup.run()
    assert (run.status, run.err) == (0, "")
    assert run.out == "work: 0 new, 3 unread, 3 messages, 1 only on this machine\n"
    assert json.loads(setup.run("--json").out)["local_only"] == 1
    never_deleted(server)


def test_export_writes_every_local_copy_or_only_the_local_only(
    setup: Setup, server: POP3TestServer
) -> None:
    setup.write(server)
    setup.run()
    uids = server.uids()
    server.add_message(HOSTILE, uid="hostile")
    setup.run()
    keep_locally(setup, server, uids[0], "hostile", uids[3])
    server.mailbox.remove_at(5)  # "hostile" leaves the server
    setup.run()
    everything = setup.tmp / "all.mbox"
    run = setup.run(str(everything), command="export")
    assert (run.status, run.err) == (0, "")
    assert run.out == f"work: 3 messages written to {everything} (mbox)\n"
    snapshot = {stored.uid: stored.data for stored in server.mailbox.snapshot()}
    expected = [snapshot[uids[0]], HOSTILE, snapshot[uids[3]]]  # in the order stored
    assert read_mbox(everything) == [data.replace(b"\r\n", b"\n") for data in expected]
    assert stat.S_IMODE(everything.stat().st_mode) == 0o600

    only = setup.tmp / "local-only.mbox"
    run = setup.run("--local-only", "--json", str(only), command="export")
    assert json.loads(run.out) == {
        "account": "work",
        "file": str(only),
        "messages": 1,
        "unreadable": 0,
    }
    assert read_mbox(only) == [HOSTILE]
    assert b"\n>From x\n>>From y\n" in only.read_bytes()

    refused = setup.run("--local-only", str(everything), command="export")
    assert refused.status == 1 and "exists (--force replaces it)" in refused.err
    assert len(read_mbox(everything)) == 3  # untouched
    forced = setup.run("--local-only", "--force", str(everything), command="export")
    assert forced.status == 0 and read_mbox(everything) == [HOSTILE]
    never_deleted(server)


def test_export_of_an_unknown_account_says_so(setup: Setup, server: POP3TestServer) -> None:
    setup.write(server)
    run = setup.run("--account", "nope", str(setup.tmp / "x.mbox"), command="export")
    assert run.status == 2 and "nope" in run.err
    assert not (setup.tmp / "x.mbox").exists()
