"""The session under faults the issue 11 harness found: idle drops, lost QUIT answers, a full disk.

In each: only what the user marked and confirmed is deleted, the session never stops, and the
user reads what happened in words (never "the connection dropped" for a full disk).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.pop3server import DropFault, Faults, POP3TestServer
from tests.test_session import MESSAGES, open_store, running, synced
from tests.test_session import new_session as _new_session
from tests.waiting import until
from tui_mail.session.events import BodyFailed, BodyReady, DeletionsApplied, Notice
from tui_mail.session.mail_session import MailSession
from tui_mail.store import Store, local_copy

IDLE_DROP = "Disconnected for inactivity."


def new_session(server: POP3TestServer, store: Store) -> MailSession:
    return _new_session(server, store)


async def test_idle_drop_then_quit_and_yes_reconnects_once_and_deletes_the_marked(
    tmp_path: Path,
) -> None:
    # The server dropped the idle session: our LIST before DELE meets a closed connection.
    faults = Faults(drops=(DropFault("LIST", occurrence=2, session=1, server_text=IDLE_DROP),))
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        with open_store(server, tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the first sync")
                doomed = server.uids()[1:3]
                for uid in doomed:
                    session.set_marked(uid, True)
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "the outcome")
            outcome = events.of(DeletionsApplied)[0]
            assert outcome.error is None, outcome
            assert sorted(outcome.deleted) == sorted(doomed)
            assert sorted(server.deleted_uids) == sorted(doomed)
            assert len(server.sessions) == 2  # one transparent reconnect
            assert store.pending_deletions() == []


async def test_idle_drop_then_enter_downloads_after_one_reconnect(tmp_path: Path) -> None:
    faults = Faults(drops=(DropFault("RETR", session=1, server_text=IDLE_DROP),))
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        with open_store(server, tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the first sync")
                uid = server.uids()[0]
                session.request_body(uid)
                await until(lambda: events.of(BodyReady) or events.of(BodyFailed), "the body")
            assert not events.of(BodyFailed)
            assert events.of(BodyReady)[0].uid == uid
            assert server.deleted_uids == []


async def test_lost_quit_answer_is_unknown_and_the_next_sync_tells(tmp_path: Path) -> None:
    faults = Faults(drops=(DropFault("QUIT", session=1),))
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        with open_store(server, tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the first sync")
                doomed = server.uids()[:2]
                for uid in doomed:
                    session.set_marked(uid, True)
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "the outcome")
            outcome = events.of(DeletionsApplied)[0]
            assert outcome.deleted == [] and sorted(outcome.unknown) == sorted(doomed)
            assert set(store.pending_deletions()) == set(doomed)  # the marks are kept
            # As a real server may have done: it committed one of them before the answer got
            # lost (here: by hand), and the next session must say so.
            server.mailbox.commit_deletions(doomed[:1])
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 4), "the next sync")
                await until(lambda: events.of(Notice), "the report")
            text = " ".join(notice.text for notice in events.of(Notice))
            assert "the server did delete 1 message" in text
            assert "1 message is still there and still marked" in text
            assert store.pending_deletions() == [doomed[1]]
            assert server.deleted_uids == doomed[:1]


async def test_disk_full_in_sync_is_said_and_quit_still_works(tmp_path: Path) -> None:
    async with POP3TestServer(MESSAGES[:1]) as server:
        with open_store(server, tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 1), "the first sync")
                for number in range(2, 40):
                    server.add_message(MESSAGES[1].replace(b"number 2", f"x{number}".encode()))
                # A real SQLITE_FULL: the database may not grow by another page.
                pages = store._db.connection.execute("PRAGMA page_count").fetchone()[0]
                store._db.connection.execute(f"PRAGMA max_page_count = {pages}")
                session.request_refresh()
                await until(
                    lambda: any("disk full" in n.text for n in events.of(Notice)), "the notice"
                )
                session.set_marked(server.uids()[0], True)
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "the outcome of q, y")
            outcome = events.of(DeletionsApplied)[0]
            assert outcome.deleted == [] and "disk full" in (outcome.error or "")
            assert server.deleted_uids == []  # in doubt: nothing
            assert all("OperationalError" not in n.text for n in events.of(Notice))


async def test_disk_full_while_downloading_is_said_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with POP3TestServer(MESSAGES) as server:
        with open_store(server, tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the first sync")

                def full_disk(_path: Path) -> int:
                    # A real ENOSPC on write: /dev/full behaves like a disk with no room left.
                    return os.open("/dev/full", os.O_WRONLY)

                monkeypatch.setattr(local_copy, "create_private", full_disk)
                session.request_body(server.uids()[0])
                await until(lambda: events.of(BodyFailed), "the failed download")
                monkeypatch.undo()
                reason = events.of(BodyFailed)[0].reason
                assert "disk full" in reason and "dropped" not in reason
                assert store.local is not None
                assert str(store.local.maildir.root) in reason  # says where
                assert events.syncs() >= 1
            assert server.deleted_uids == []
