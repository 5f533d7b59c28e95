"""Retention: what ``fetch`` may delete from the server, and when (a fake clock stands in).

Deleted only when the local copy is durable, whole and readable: never a message whose copy
is missing, unreadable or changed in size, never after a failed local write, never against a
listing that looks reset (mass UID change).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tests.pop3server import POP3TestServer
from tests.test_session import MESSAGES, account_for
from tui_mail.pop3 import POP3Client
from tui_mail.session.fetcher import DAY, FetchResult, Retention, fetch_mailbox
from tui_mail.store import Store
from tui_mail.store.local_copy import LocalCopies, mailbox_name

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


async def run_fetch(
    server: POP3TestServer, tmp_path: Path, clock: Clock, retention: Retention
) -> FetchResult:
    account = account_for(server)
    client = await POP3Client.connect(
        server.host, server.port, tls="none", allow_plaintext=True, timeout=10
    )
    try:
        await client.login(server.user, server.password, mechanism="user")
        with Store.for_account(account, data_dir=tmp_path / "data") as store:
            local = LocalCopies(
                tmp_path / "Mail", mailbox_name(server.host, server.port, server.user), clock=clock
            )
            try:
                return await fetch_mailbox(client, store, local, retention=retention, clock=clock)
            finally:
                local.close()
    finally:
        await client.abort()


async def test_delete_after_days_deletes_what_was_stored_that_long_ago(tmp_path: Path) -> None:
    clock = Clock()
    keep_three_days = Retention(leave_on_server=True, delete_after_days=3)
    async with POP3TestServer(MESSAGES) as server:
        first = await run_fetch(server, tmp_path, clock, keep_three_days)
        assert (first.new, first.deleted) == (len(MESSAGES), 0)
        server.add_message(b"From: late@example.org\r\nSubject: later\r\n\r\nlater\r\n")
        clock.now = T0 + 2 * DAY
        second = await run_fetch(server, tmp_path, clock, keep_three_days)
        assert (second.new, second.deleted) == (1, 0)
        clock.now = T0 + 3 * DAY  # the first ones are three days old, the late one one day
        third = await run_fetch(server, tmp_path, clock, keep_three_days)
        assert (third.new, third.deleted, third.on_server) == (0, len(MESSAGES), 1)
        assert len(server.uids()) == 1
        clock.now = T0 + 5 * DAY
        fourth = await run_fetch(server, tmp_path, clock, keep_three_days)
        assert (fourth.deleted, fourth.on_server, fourth.stored) == (1, 0, len(MESSAGES) + 1)


async def test_a_copy_missing_or_changed_keeps_its_message_on_the_server(tmp_path: Path) -> None:
    clock = Clock()
    keep = Retention(leave_on_server=True)
    async with POP3TestServer(MESSAGES) as server:
        assert (await run_fetch(server, tmp_path, clock, keep)).new == len(MESSAGES)
        files = sorted((tmp_path / "Mail" / "new").iterdir())
        files[0].unlink()  # the user removed it by hand
        files[1].write_bytes(files[1].read_bytes()[:-3])  # damaged: shorter than recorded
        done = await run_fetch(server, tmp_path, clock, Retention(leave_on_server=False))
        assert done.deleted == len(MESSAGES) - 2
        assert len(server.uids()) == 2
        assert any("changed in size" in problem for problem in done.problems)


async def test_a_failed_local_write_deletes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    async with POP3TestServer(MESSAGES) as server:
        monkeypatch.setattr(os, "fsync", disk_full)  # every fsync: the disk is full
        done = await run_fetch(server, tmp_path, Clock(), Retention(leave_on_server=False))
        monkeypatch.undo()
        assert done.deleted == 0 and done.new == 0
        assert any("disk full: cannot write to" in problem for problem in done.problems)
        assert any("nothing was deleted" in problem for problem in done.problems)
        assert len(server.uids()) == len(MESSAGES)
        assert not list((tmp_path / "Mail" / "tmp").iterdir())  # nothing half-written left


async def test_nothing_is_deleted_when_the_uid_list_looks_reset(tmp_path: Path) -> None:
    clock = Clock()
    async with POP3TestServer(MESSAGES * 4) as server:
        assert (await run_fetch(server, tmp_path, clock, Retention())).new == len(MESSAGES) * 4
        server.mailbox.replace_all(
            (f"reset-{n}", data) for n, data in enumerate(MESSAGES * 4)
        )  # a migrated server: every UID new
        done = await run_fetch(server, tmp_path, clock, Retention(leave_on_server=False))
        assert done.sync.mass_change is not None
        assert (done.new, done.deleted) == (0, 0)
        assert len(server.uids()) == len(MESSAGES) * 4
