"""sync_mailbox against the scriptable POP3 test server: what is fetched, in which order, when.

Every test reads the server's own record of the commands it received, so "only the new
headers were fetched" and "newest first" are checked on the wire, not inferred from counts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.pop3server import DropFault, ErrorFault, Faults, POP3TestServer
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.errors import ConnectionLost, TemporaryFailure
from tui_mail.session.identity import WEAK_PREFIX, header_block, weak_uid
from tui_mail.session.sync import SyncResult, sync_mailbox
from tui_mail.store import MessageSummary, Store


def message(index: int, body: bytes = b"") -> bytes:
    return (
        f"From: Sender {index} <s{index}@example.org>\r\nSubject: message {index}\r\n"
        f"Date: Mon, 2 Feb 2026 10:{index % 60:02d}:00 +0000\r\n\r\n"
    ).encode() + (body or f"Body of message {index}.\r\n".encode())


def tops(server: POP3TestServer, session: int = -1) -> list[str]:
    """The TOP commands one session sent, in the order the server received them."""
    return [c for c in server.sessions[session].commands if c.startswith("TOP ")]


def verbs(server: POP3TestServer, session: int = -1) -> list[str]:
    return server.sessions[session].verbs


def after_login(server: POP3TestServer, session: int = -1) -> list[str]:
    """The verbs after the post-login CAPA (login itself differs by mechanism)."""
    sent = verbs(server, session)
    return sent[sent.index("CAPA", 1) + 1 :]


@asynccontextmanager
async def logged_in(server: POP3TestServer, **options: Any) -> AsyncIterator[POP3Client]:
    """A logged-in client (``options`` go to ``POP3Client.connect``), QUIT after the block."""
    client = await POP3Client.connect(
        server.host, server.port, tls="none", allow_plaintext=True, timeout=10, **options
    )
    try:
        await client.login(server.user, server.password)
        yield client
        await client.quit()
    finally:
        await client.abort()


async def sync(server: POP3TestServer, store: Store, **options: Any) -> SyncResult:
    async with logged_in(server) as client:
        return await sync_mailbox(client, store, **options)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open("127.0.0.1", 110, "user", data_dir=tmp_path) as opened:
        yield opened


# -- reconciliation across syncs -------------------------------------------------------------


async def test_first_sync_fetches_every_header_newest_first(store: Store) -> None:
    async with POP3TestServer([message(i) for i in range(1, 8)]) as server:
        result = await sync(server, store)
    assert (result.new, result.unread, result.total, result.headers_fetched) == (7, 7, 7, 7)
    assert not result.weak_identity and not result.used_retr and result.applied
    assert tops(server) == [f"TOP {n} 0" for n in range(7, 0, -1)]
    assert "RETR" not in verbs(server)
    rows = store.summaries()
    assert [row.subject for row in rows] == [f"message {i}" for i in range(1, 8)]
    assert all(row.headers_loaded and row.unread for row in rows)
    assert store.identity == "strong" and store.last_sync is not None
    raw = store.raw_headers(server.uids()[0])
    assert raw is not None and raw.startswith(b"From: Sender 1") and raw.endswith(b"\r\n\r\n")


async def test_only_new_mail_is_fetched_on_the_next_sync(store: Store) -> None:
    async with POP3TestServer([message(i) for i in range(1, 6)]) as server:
        await sync(server, store)
        server.add_message(message(6))
        server.add_message(message(7))
        second = await sync(server, store)
        third = await sync(server, store)
    assert (second.new, second.total, second.headers_fetched) == (2, 7, 2)
    assert tops(server, 1) == ["TOP 7 0", "TOP 6 0"]
    assert (third.new, third.total, third.headers_fetched) == (0, 7, 0)
    assert after_login(server, 2) == ["STAT", "LIST", "UIDL", "QUIT"]
    assert [row.subject for row in store.summaries()][-2:] == ["message 6", "message 7"]


async def test_vanished_uids_leave_the_header_cache(store: Store) -> None:
    async with POP3TestServer([message(i) for i in range(1, 7)]) as server:
        await sync(server, store)
        uids = server.uids()
        gone = [uids[0], uids[3]]
        store.bodies.store(gone[1], message(4))
        server.mailbox.commit_deletions(gone)  # deleted by another client meanwhile
        server.add_message(message(7))
        result = await sync(server, store)
    assert (result.new, result.total, result.headers_fetched) == (1, 5, 1)
    # Renumbered messages are not fetched again: only the newcomer (now number 5).
    assert tops(server) == ["TOP 5 0"]
    for uid in gone:
        assert store.raw_headers(uid) is None
        assert store.summary(uid) is None
        assert not store.bodies.contains(uid)
    rows = store.summaries()
    assert [row.uid for row in rows] == [u for u in uids if u not in gone] + [server.uids()[-1]]
    # Kept rows keep their order of arrival (no row changes); the newcomer comes last.
    assert [row.arrival for row in rows] == [2, 3, 5, 6, 6 + 5]
    assert store.message_count() == 5 and store.unread_count() == 5


async def test_an_emptied_mailbox_is_not_a_mass_change(store: Store) -> None:
    async with POP3TestServer([message(i) for i in range(1, 26)]) as server:
        await sync(server, store)
        server.mailbox.commit_deletions(server.uids())  # another client took everything
        result = await sync(server, store)
    assert result.applied and (result.new, result.unread, result.total) == (0, 0, 0)
    assert store.summaries() == [] and tops(server) == []


async def test_read_flags_survive_syncs_and_sync_never_marks_read(store: Store) -> None:
    async with POP3TestServer([message(i) for i in range(1, 5)]) as server:
        await sync(server, store)
        store.mark_read(server.uids()[:2])
        server.add_message(message(5))
        result = await sync(server, store)
    assert (result.new, result.unread, result.total) == (1, 3, 5)
    assert [row.unread for row in store.summaries()] == [False, False, True, True, True]
    assert not any("DELE" in v for s in server.sessions for v in s.verbs)
    assert server.deleted_uids == []


async def test_a_uid_that_comes_back_is_not_new_and_keeps_its_read_flag(store: Store) -> None:
    """Gmail hides popped mail and may show it again: it must not count as new twice."""
    data = [message(i) for i in range(1, 4)]
    uids = ["u1", "u2", "u3"]
    full = POP3TestServer()
    hidden = POP3TestServer()
    for uid, item in zip(uids, data, strict=True):
        full.add_message(item, uid=uid)
        if uid != "u2":
            hidden.add_message(item, uid=uid)
    async with full, hidden:  # one store, two views of the same maildrop
        await sync(full, store)
        store.mark_read(["u2"])
        while_hidden = await sync(hidden, store)
        assert store.raw_headers("u2") is None
        back = await sync(full, store)
    assert (while_hidden.new, while_hidden.total, while_hidden.unread) == (0, 2, 2)
    assert (back.new, back.total, back.unread) == (0, 3, 2)
    assert tops(full) == ["TOP 2 0"]  # its headers left the cache with it: fetched again
    returned = store.summary("u2")
    assert returned is not None and not returned.unread and returned.headers_loaded


async def test_identical_copies_sharing_a_uid_get_stable_keys(store: Store) -> None:
    async with POP3TestServer() as server:
        server.add_message(message(1), uid="same")
        server.add_message(message(2), uid="other")
        server.add_message(message(1), uid="same")
        server.add_message(message(3), uid="same #2")  # a real UID that looks like a suffix
        first = await sync(server, store)
        second = await sync(server, store)
    assert first.new == 4 and second.new == 0
    keys = [row.uid for row in store.summaries()]
    assert keys[:2] == ["same", "other"] and keys[3] == "same #2"
    assert keys[2].startswith("same\0") and len(set(keys)) == 4  # no copy hides another


@pytest.mark.parametrize("faults", [Faults(odd_uidl_spacing=True), Faults(long_uids=True)])
async def test_sloppy_uidl_listings_give_stable_uids(store: Store, faults: Faults) -> None:
    async with POP3TestServer([message(i) for i in range(1, 4)], faults=faults) as server:
        first = await sync(server, store)
        second = await sync(server, store)
    assert (first.new, second.new, second.headers_fetched) == (3, 0, 0)
    assert all(" " not in row.uid and row.headers_loaded for row in store.summaries())


# -- order and batches -----------------------------------------------------------------------


async def test_headers_are_committed_batch_by_batch_newest_first(
    store: Store, tmp_path: Path
) -> None:
    batches: list[list[MessageSummary]] = []
    committed_when_told: list[int] = []
    database = store.directory / "store.sqlite3"

    def on_rows(rows: list[MessageSummary]) -> None:
        batches.append(rows)
        # Another connection sees the batch already: it was committed, not just buffered.
        with sqlite3.connect(database) as other:
            committed_when_told.append(other.execute("SELECT COUNT(*) FROM headers").fetchone()[0])

    progress: list[tuple[int, int]] = []
    async with POP3TestServer([message(i) for i in range(1, 12)]) as server:
        result = await sync(
            server,
            store,
            on_rows=on_rows,
            batch_size=4,
            on_progress=lambda done, total: progress.append((done, total)),
        )
    assert result.headers_fetched == 11
    assert [len(batch) for batch in batches] == [4, 4, 3]
    assert committed_when_told == [4, 8, 11]
    # Newest first across batches (rows inside one batch come in server order).
    orders = [sorted((row.arrival for row in batch), reverse=True) for batch in batches]
    assert orders == [[11, 10, 9, 8], [7, 6, 5, 4], [3, 2, 1]]
    assert all(row.headers_loaded and row.subject for batch in batches for row in batch)
    assert progress[-1] == (11, 11) and [done for done, _ in progress] == list(range(1, 12))


async def test_pipelined_tops_are_sent_ahead_of_the_answers(store: Store) -> None:
    async with POP3TestServer([message(i) for i in range(1, 30)]) as server:
        await sync(server, store)
    assert server.last_session.pipelined > 0
    assert tops(server) == [f"TOP {n} 0" for n in range(29, 0, -1)]


async def test_without_pipelining_tops_still_come_newest_first(store: Store) -> None:
    async with POP3TestServer(
        [message(i) for i in range(1, 6)], faults=Faults(no_pipelining=True)
    ) as server:
        result = await sync(server, store)
    assert result.headers_fetched == 5
    assert server.last_session.pipelined == 0
    assert tops(server) == [f"TOP {n} 0" for n in range(5, 0, -1)]


async def test_a_dropped_connection_keeps_whole_batches_and_the_next_sync_continues(
    store: Store,
) -> None:
    faults = Faults(drops=(DropFault("TOP", occurrence=12, session=1),))
    async with POP3TestServer([message(i) for i in range(1, 21)], faults=faults) as server:
        with pytest.raises(ConnectionLost):
            await sync(server, store, batch_size=5)
        loaded = [row.arrival for row in store.summaries() if row.headers_loaded]
        assert loaded == list(range(11, 21))  # two whole batches, the 11th header not half-kept
        assert store.message_count() == 20 and store.last_sync is None
        result = await sync(server, store, batch_size=5)
    assert (result.new, result.headers_fetched, result.total) == (0, 10, 20)
    assert tops(server) == [f"TOP {n} 0" for n in range(10, 0, -1)]
    assert all(row.headers_loaded for row in store.summaries())
    assert server.deleted_uids == []


async def test_a_refused_top_on_a_server_that_offers_top_is_an_error(store: Store) -> None:
    faults = Faults(errors=(ErrorFault("TOP", occurrence=2, code="SYS/PERM"),))
    async with POP3TestServer([message(i) for i in range(1, 4)], faults=faults) as server:
        with pytest.raises(Exception, match="Permanent"):
            await sync(server, store)
    assert "RETR" not in verbs(server)


# -- servers without UIDL or TOP -------------------------------------------------------------


async def test_without_uidl_identity_is_weak_and_stable(store: Store) -> None:
    data = [message(i) for i in range(1, 6)]
    async with POP3TestServer(data, faults=Faults(no_uidl=True)) as server:
        first = await sync(server, store)
        second = await sync(server, store)
        server.add_message(message(6))
        third = await sync(server, store)
    assert first.weak_identity and store.identity == "weak"
    assert (first.new, first.total, first.headers_fetched) == (5, 5, 5)
    assert (second.new, second.headers_fetched) == (0, 0)
    assert (third.new, third.total, third.headers_fetched) == (1, 6, 1)
    assert "UIDL" not in " ".join(server.sessions[0].commands[6:])  # no retry after the -ERR
    # Weak identity hashes the headers, so every session reads them all (newest first) ...
    assert tops(server, 1) == [f"TOP {n} 0" for n in range(5, 0, -1)]
    # ... but never the bodies.
    assert not any("RETR" in s.verbs for s in server.sessions)
    rows = store.summaries()
    assert all(row.uid.startswith(WEAK_PREFIX) and row.headers_loaded for row in rows)
    assert [row.subject for row in rows] == [f"message {i}" for i in range(1, 7)]
    expected = weak_uid(header_block(server.mailbox.snapshot()[0].data), len(data[0]))
    assert rows[0].uid == expected


async def test_weak_identity_tells_identical_copies_apart(store: Store) -> None:
    async with POP3TestServer(
        [message(1), message(1), message(2)], faults=Faults(no_uidl=True)
    ) as server:
        first = await sync(server, store)
        second = await sync(server, store)
    assert first.new == 3 and second.new == 0
    uids = [row.uid for row in store.summaries()]
    assert uids[1].startswith(uids[0] + "\0") and len(set(uids)) == 3  # no " #2" suffix


async def test_a_failing_uidl_that_was_promised_is_an_error(store: Store) -> None:
    faults = Faults(errors=(ErrorFault("UIDL", code="SYS/TEMP"),))
    async with POP3TestServer([message(1)], faults=faults) as server:
        with pytest.raises(Exception, match="Temporary"):
            await sync(server, store)
    assert store.message_count() == 0 and tops(server) == []


async def test_a_coded_uidl_failure_without_capa_is_an_error_not_a_weak_identity(
    store: Store,
) -> None:
    """An RFC 1939 server (no CAPA) with a temporary failure must not flip every UID."""
    faults = Faults(no_capa=True, errors=(ErrorFault("UIDL", code="SYS/TEMP", session=2),))
    async with POP3TestServer([message(i) for i in range(1, 4)], faults=faults) as server:
        await sync(server, store)
        before = store.summaries()
        with pytest.raises(TemporaryFailure):
            await sync(server, store)
    assert store.identity == "strong" and store.summaries() == before
    assert tops(server) == []


async def test_a_coded_top_failure_without_capa_is_an_error_not_a_retr_fallback(
    store: Store,
) -> None:
    faults = Faults(no_capa=True, errors=(ErrorFault("TOP", code="SYS/TEMP"),))
    async with POP3TestServer([message(i) for i in range(1, 4)], faults=faults) as server:
        with pytest.raises(TemporaryFailure):
            await sync(server, store)
    assert "RETR" not in verbs(server)


async def test_without_top_headers_come_from_retr_and_bodies_are_kept(store: Store) -> None:
    data = [message(i, body=f"long body {i}\r\n".encode() * 50) for i in range(1, 5)]
    async with POP3TestServer(data, faults=Faults(no_top=True)) as server:
        first = await sync(server, store)
        server.add_message(message(5))
        second = await sync(server, store)
    assert first.used_retr and not first.weak_identity and first.headers_fetched == 4
    assert tops(server, 0) == []
    assert [c for c in server.sessions[0].commands if c.startswith("RETR")] == [
        f"RETR {n}" for n in range(4, 0, -1)
    ]
    assert [c for c in server.sessions[1].commands if c.startswith("RETR")] == ["RETR 5"]
    assert second.new == 1 and second.used_retr
    for uid, stored in zip(server.uids(), server.mailbox.snapshot(), strict=True):
        assert store.bodies.read(uid) == stored.data
        raw = store.raw_headers(uid)
        assert raw is not None and raw == header_block(stored.data)
    assert [row.subject for row in store.summaries()] == [f"message {i}" for i in range(1, 6)]


async def test_nothing_new_on_a_server_without_top_fetches_nothing(store: Store) -> None:
    async with POP3TestServer([message(1)], faults=Faults(no_top=True)) as server:
        await sync(server, store)
        second = await sync(server, store)
    assert not second.used_retr and second.headers_fetched == 0
    assert "RETR" not in verbs(server)


async def test_an_rfc1939_server_without_capa_or_top_falls_back_to_retr(store: Store) -> None:
    """No CAPA: TOP is tried, refused, and RETR takes over for every message."""
    async with POP3TestServer(
        [message(i) for i in range(1, 4)], faults=Faults(no_capa=True, no_top=True)
    ) as server:
        result = await sync(server, store)
    assert result.used_retr and result.headers_fetched == 3
    assert tops(server) == ["TOP 3 0"]
    assert [c for c in server.last_session.commands if c.startswith("RETR")] == [
        "RETR 3",
        "RETR 2",
        "RETR 1",
    ]
    assert all(store.bodies.contains(uid) for uid in server.uids())


async def test_without_uidl_and_top_identity_comes_from_retr(store: Store) -> None:
    async with POP3TestServer(
        [message(i) for i in range(1, 5)], faults=Faults(no_uidl=True, no_top=True)
    ) as server:
        first = await sync(server, store)
        second = await sync(server, store)
        server.add_message(message(5))
        third = await sync(server, store)
    assert first.weak_identity and first.used_retr and store.identity == "weak"
    assert (first.new, first.total, first.headers_fetched) == (4, 4, 4)
    assert (second.new, second.headers_fetched) == (0, 0)
    assert (third.new, third.total) == (1, 5)
    assert [c for c in server.sessions[0].commands if c.startswith("RETR")] == [
        f"RETR {n}" for n in range(4, 0, -1)
    ]
    assert "TOP" not in verbs(server, 0)
    rows = store.summaries()
    assert [row.subject for row in rows] == [f"message {i}" for i in range(1, 6)]
    assert all(row.uid.startswith(WEAK_PREFIX) for row in rows)


async def test_without_uidl_and_top_the_retrieved_bodies_are_kept(store: Store) -> None:
    data = [message(i) for i in range(1, 5)]
    async with POP3TestServer(data, faults=Faults(no_uidl=True, no_top=True)) as server:
        await sync(server, store)
    rows = store.summaries()
    # The whole messages came along anyway: keep them rather than fetch them twice.
    for row, stored in zip(rows, server.mailbox.snapshot(), strict=True):
        assert store.bodies.read(row.uid) == stored.data


async def test_late_capabilities_are_used_after_login(store: Store) -> None:
    """Gmail announces TOP, UIDL and PIPELINING only after login."""
    async with POP3TestServer(
        [message(i) for i in range(1, 9)], faults=Faults(late_capabilities=True)
    ) as server:
        result = await sync(server, store)
    assert not result.weak_identity and not result.used_retr
    assert after_login(server)[:3] == ["STAT", "LIST", "UIDL"]
    assert tops(server) == [f"TOP {n} 0" for n in range(8, 0, -1)]
    assert server.last_session.pipelined > 0


# -- mass UID change -------------------------------------------------------------------------


def renumber_every_uid(server: POP3TestServer) -> None:
    """What a server migration does: same messages, every UID new."""
    old = server.mailbox.snapshot()
    server.mailbox.commit_deletions(m.uid for m in old)
    for stored in old:
        server.add_message(stored.data, uid="migrated-" + stored.uid)


async def test_a_mass_uid_change_is_reported_and_nothing_recorded(store: Store) -> None:
    async with POP3TestServer([message(i) for i in range(1, 31)]) as server:
        await sync(server, store)
        store.mark_read(server.uids()[:5])
        before = store.summaries()
        renumber_every_uid(server)
        refused = await sync(server, store)
        assert not refused.applied and refused.mass_change is not None
        assert (refused.mass_change.known, refused.mass_change.vanished) == (30, 30)
        assert (refused.mass_change.new, refused.mass_change.listed) == (30, 30)
        assert refused.headers_fetched == 0 and tops(server) == []
        assert store.summaries() == before and store.unread_count() == 25
        accepted = await sync(server, store, accept_mass_change=True)
    assert accepted.applied and (accepted.new, accepted.total) == (30, 30)
    assert accepted.unread == 30 and accepted.headers_fetched == 30
    assert {row.uid for row in store.summaries()} == set(server.uids())


async def test_a_few_new_and_gone_uids_are_not_a_mass_change(store: Store) -> None:
    async with POP3TestServer([message(i) for i in range(1, 31)]) as server:
        await sync(server, store)
        server.mailbox.commit_deletions(server.uids()[:10])
        for i in range(31, 41):
            server.add_message(message(i))
        result = await sync(server, store)
    assert result.applied and (result.new, result.total, result.headers_fetched) == (10, 30, 10)
