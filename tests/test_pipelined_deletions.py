"""Applying deletions: the DELEs travel pipelined, and one refused DELE stays one message.

Every safety check before them is unchanged (UIDL + LIST + TOP fingerprints in the same
session, only confirmed marks); only the round trips between the DELEs are gone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pop3server import ErrorFault, Faults, POP3TestServer
from tests.test_session import MESSAGES, new_session, open_store, running, synced
from tests.waiting import until
from tui_mail.session.events import DeletionsApplied
from tui_mail.ui.app import deletion_outcome


async def test_deles_go_out_in_one_write_after_the_checks(tmp_path: Path) -> None:
    async with POP3TestServer(MESSAGES) as server:
        uids = server.uids()
        marked = uids[:4]
        with open_store(server, tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the sync")
                for uid in marked:
                    session.set_marked(uid, True)
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "the outcome")
            assert events.of(DeletionsApplied) == [DeletionsApplied(deleted=marked)]
            record = server.last_session
            # the same session checked UIDs, sizes and headers first ...
            assert record.verbs[-10:-5] == ["UIDL", "TOP", "TOP", "TOP", "TOP"]
            assert record.commands[-5:] == ["DELE 1", "DELE 2", "DELE 3", "DELE 4", "QUIT"]
            # ... then every DELE after the first was already waiting: one round trip in all
            assert record.ahead.count("DELE") == 3
            assert server.deleted_uids == marked and record.committed
            assert store.pending_deletions() == []


async def test_without_pipelining_the_deles_go_one_at_a_time(tmp_path: Path) -> None:
    async with POP3TestServer(MESSAGES, faults=Faults(no_pipelining=True)) as server:
        uids = server.uids()
        with open_store(server, tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the sync")
                for uid in uids[:3]:
                    session.set_marked(uid, True)
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "the outcome")
            assert events.of(DeletionsApplied) == [DeletionsApplied(deleted=uids[:3])]
            assert "DELE" not in server.last_session.ahead
            assert server.deleted_uids == uids[:3]


@pytest.mark.parametrize("code", ["SYS/TEMP", None], ids=["with a code", "code-less"])
@pytest.mark.parametrize("which", [2, 4], ids=["in the middle", "the last one"])
async def test_a_refused_dele_keeps_that_message_and_its_mark_only(
    tmp_path: Path, code: str | None, which: int
) -> None:
    refusal = ErrorFault("DELE", occurrence=which, code=code, text="message is locked")
    async with POP3TestServer(MESSAGES, faults=Faults(errors=(refusal,))) as server:
        uids = server.uids()
        marked = uids[:4]
        refused = marked[which - 1]
        with open_store(server, tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the sync")
                for uid in marked:
                    session.set_marked(uid, True)
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "the outcome")
            [outcome] = events.of(DeletionsApplied)
            kept = [uid for uid in marked if uid != refused]
            assert outcome.error is None
            assert outcome.deleted == kept and outcome.skipped == [refused]
            assert "refused to delete 1" in outcome.skipped_why
            assert "message is locked" in outcome.skipped_why
            assert server.deleted_uids == kept and server.last_session.committed
            assert server.uids() == [refused, uids[4]]
            assert store.pending_deletions() == [refused]  # still marked, for next time
            words = deletion_outcome(outcome)
            assert words.startswith("Deleted 3 messages from the server. 1 message left alone")
