"""The server loses messages between sessions: what is stored here stays in the list (issue 15).

Against our test server: a first session downloads two messages into the account's Maildir;
the server then loses one of them and one never downloaded; the next session shows the stored
one as ``local_only``, serves it from the Maildir, keeps its ``d`` mark across a sync, and
removes its local copy on ``remove_local`` without a word to the server.
"""

from __future__ import annotations

from pathlib import Path

from tests.pop3server import POP3TestServer
from tests.test_session import MESSAGES, new_session, open_store, running, synced
from tests.waiting import until
from tui_mail.session.events import BodyReady, ListChanged, LocalCopiesRemoved
from tui_mail.store.models import MessageSummary


async def test_a_message_the_server_lost_stays_opens_and_is_deleted_locally(
    tmp_path: Path,
) -> None:
    async with POP3TestServer(MESSAGES, lock_wait=0.05) as server:
        uids = server.uids()
        with open_store(server, tmp_path) as store:
            assert store.local is not None
            first = new_session(server, store)
            async with running(first) as events:
                await until(synced(events, 5), "the first sync")
                for uid in (uids[1], uids[3]):
                    first.request_body(uid)
                await until(lambda: len(events.of(BodyReady)) == 2, "two downloads")
            assert store.local.uids() == {uids[1], uids[3]}

            # Between sessions the server expires message 2 (stored here) and 5 (never was).
            assert server.mailbox.remove_at(4) == uids[4]
            assert server.mailbox.remove_at(1) == uids[1]

            second = new_session(server, store)
            async with running(second) as events:
                await until(synced(events, 4), "the second sync")
                rows = events.rows()
                assert set(rows) == {uids[0], uids[1], uids[2], uids[3]}
                kept: MessageSummary = rows[uids[1]]
                assert kept.local_only and kept.subject == "Message number 2"
                assert kept.sender == "Sender 2" and kept.date is not None
                assert not any(rows[uid].local_only for uid in (uids[0], uids[2], uids[3]))
                assert store.local_only_uids() == {uids[1]}

                assert "Subject: Message number 2" in (second.full_headers(uids[1]) or [])
                second.request_body(uids[1])  # from the Maildir, not the server
                await until(lambda: events.of(BodyReady), "the local copy")
                path = events.of(BodyReady)[0].path
                assert path.is_relative_to(store.local.maildir.root)
                assert path.read_bytes() == MESSAGES[1].replace(b"\r\n", b"\n")

                second.set_marked(uids[1], True)
                syncs = len(events.of(ListChanged))
                second.request_refresh()
                await until(lambda: len(events.of(ListChanged)) > syncs, "a refresh")
                after = events.of(ListChanged)[syncs:]  # the sync does not undo the mark
                assert all(row.uid != uids[1] for change in after for row in change.updated)
                assert {row.uid: row for row in store.summaries()}[uids[1]].marked_delete

                second.remove_local([uids[1], uids[0]])  # uids[0] is on the server: kept
                await until(lambda: events.of(LocalCopiesRemoved), "the removal")
            assert events.of(LocalCopiesRemoved) == [
                LocalCopiesRemoved(removed=[uids[1]], kept=[uids[0]])
            ]
            assert not path.exists() and store.local.lookup(uids[1]) is None
            assert store.local_only_uids() == set()
            assert uids[1] not in {row.uid for row in store.summaries()}
            assert server.deleted_uids == []  # the server was never asked to delete anything
            assert all("DELE" not in record.verbs for record in server.sessions)
