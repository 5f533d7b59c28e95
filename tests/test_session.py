"""MailSession against the scriptable POP3 test server: the session's safety rules, end to end.

Each test runs the real session (``run`` in a task) on the test's event loop, next to a
:class:`POP3TestServer` whose faults script the misbehaviour, and reads what the session
reported and what the server saw (``server.sessions``, ``server.deleted_uids``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

import keyring
import pytest

from tests.memory_keyring import MemoryKeyring
from tests.pop3server import CONNECT, At, DropFault, ErrorFault, Faults, POP3TestServer
from tests.waiting import until
from tui_mail.accounts import Account, SecretProvider
from tui_mail.pop3 import POP3Client
from tui_mail.session.events import (
    BodyFailed,
    BodyReady,
    ConnectionState,
    DeletionsApplied,
    ListChanged,
    ListReplaced,
    Notice,
    PasswordWanted,
    SessionEvent,
    StateChanged,
    SummariesUpdated,
)
from tui_mail.session.mail_session import MailSession, RetryPolicy
from tui_mail.store import MessageSummary, Store

FAST = RetryPolicy(first=0.01, maximum=0.05, busy=0.05, login_delay=0.05)
PATIENT = RetryPolicy(first=60.0, maximum=60.0, busy=60.0, login_delay=60.0)
E = TypeVar("E")


def make_message(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Sender {number} <s{number}@example.org>"
    message["To"] = "me@example.org"
    message["Subject"] = f"Message number {number}"
    message["Date"] = f"Mon, {number:02d} Jun 2025 10:00:00 +0000"
    message["Message-ID"] = f"<m{number}@example.org>"
    message.set_content(f"Body of message {number}.\n")
    return bytes(message)


MESSAGES = [make_message(n) for n in range(1, 6)]


class Events:
    """The session's ``report`` callback: keeps every event, in order."""

    def __init__(self) -> None:
        self.items: list[SessionEvent] = []

    def __call__(self, event: SessionEvent) -> None:
        self.items.append(event)

    def of(self, kind: type[E]) -> list[E]:
        return [event for event in self.items if isinstance(event, kind)]

    def states(self) -> list[ConnectionState]:
        return [event.state for event in self.of(StateChanged)]

    def rows(self) -> dict[str, MessageSummary]:
        """The list as the UI would show it: the events applied in order, as the app does."""
        rows: dict[str, MessageSummary] = {}
        for event in self.items:
            if isinstance(event, ListReplaced):
                rows = {row.uid: row for row in event.summaries}
            elif isinstance(event, SummariesUpdated):
                rows.update((row.uid, row) for row in event.summaries)
            elif isinstance(event, ListChanged):
                for uid in event.removed:
                    rows.pop(uid, None)
                rows.update((row.uid, row) for row in [*event.added, *event.updated])
            elif isinstance(event, DeletionsApplied):
                for uid in event.deleted:
                    rows.pop(uid, None)
        return rows

    def syncs(self) -> int:
        """Syncs finished: each ends with one ListChanged (empty when nothing changed)."""
        return len(self.of(ListChanged))

    @property
    def state(self) -> StateChanged | None:
        changes = self.of(StateChanged)
        return changes[-1] if changes else None


class CountingSecrets(SecretProvider):
    """A provider whose prompt answers the right password and counts how often it asked."""

    def __init__(self, password: str) -> None:
        self.prompts = 0

        def prompt(_text: str) -> str:
            self.prompts += 1
            return password

        super().__init__(prompt=prompt)


def account_for(server: POP3TestServer) -> Account:
    return Account(
        name="test",
        host=server.host,
        port=server.port,
        tls="none",
        user=server.user,
        auth="user",
        allow_plaintext=True,
    )


def secrets_for(server: POP3TestServer, account: Account) -> CountingSecrets:
    """As ``tui-mail`` does: the password is asked once, on the terminal, before the app."""
    secrets = CountingSecrets(server.password)
    secrets.secret(account)
    assert secrets.prompts == 1
    return secrets


def open_store(server: POP3TestServer, data_dir: Path) -> Store:
    return Store.for_account(account_for(server), data_dir=data_dir)


@asynccontextmanager
async def running(session: MailSession) -> AsyncIterator[Events]:
    """Run the session in a task; shut it down (no QUIT) when the block ends."""
    events = Events()
    task = asyncio.create_task(session.run(events))
    try:
        yield events
    finally:
        session.shutdown()
        await asyncio.wait_for(task, 10)


def synced(events: Events, count: int) -> Callable[[], bool]:
    """True once a sync reported the full list of ``count`` messages."""

    def check() -> bool:
        return (
            events.state is not None
            and events.state.state is ConnectionState.ONLINE
            and events.syncs() >= 1
            and len(events.rows()) == count
        )

    return check


@pytest.fixture
async def server() -> AsyncIterator[POP3TestServer]:
    async with POP3TestServer(MESSAGES, lock_wait=0.05) as started:
        yield started


def new_session(server: POP3TestServer, store: Store, **options: object) -> MailSession:
    account = account_for(server)
    secrets = options.pop("secrets", None) or secrets_for(server, account)
    options.setdefault("retry", FAST)
    return MailSession(account, store, secrets, **options)  # type: ignore[arg-type]


def no_quit_except_last(server: POP3TestServer) -> bool:
    return all("QUIT" not in record.verbs for record in server.sessions[:-1])


# -- listing -----------------------------------------------------------------------------------


async def test_lists_the_mailbox_and_ends_without_quit(
    server: POP3TestServer, tmp_path: Path
) -> None:
    with open_store(server, tmp_path) as store:
        session = new_session(server, store)
        async with running(session) as events:
            await until(synced(events, 5), "the first sync")
            assert events.states()[:2] == [ConnectionState.CONNECTING, ConnectionState.ONLINE]
            rows = list(events.rows().values())
            assert {row.uid for row in rows} == set(server.uids())
            assert all(row.unread and row.headers_loaded for row in rows)
            assert {row.subject for row in rows} == {f"Message number {n}" for n in range(1, 6)}
            fetched = {
                uid
                for update in events.of(SummariesUpdated)
                for uid in (row.uid for row in update.summaries)
            }
            assert fetched == set(server.uids())
        assert server.sessions[0].verbs[-1] != "QUIT" and not server.sessions[0].committed


async def test_full_headers_come_from_the_header_cache_without_retr(
    server: POP3TestServer, tmp_path: Path
) -> None:
    with open_store(server, tmp_path) as store:
        session = new_session(server, store)
        async with running(session) as events:
            await until(synced(events, 5), "the first sync")
            uid = server.uids()[2]
            lines = session.full_headers(uid)
            assert lines is not None
            assert "Subject: Message number 3" in lines
            assert "Message-ID: <m3@example.org>" in lines
            assert not any("Body of message" in line for line in lines)
            assert session.full_headers("no-such-uid") is None
        assert "RETR" not in server.sessions[0].verbs


async def test_cached_list_is_reported_before_connecting(
    server: POP3TestServer, tmp_path: Path
) -> None:
    with open_store(server, tmp_path) as store:
        async with running(new_session(server, store)) as events:
            await until(synced(events, 5), "the first sync")
    with open_store(server, tmp_path) as store:
        session = new_session(server, store)
        async with running(session) as events:
            await until(lambda: events.items, "the first event")
            first = events.items[0]
            assert isinstance(first, ListReplaced)  # before any state change: no network yet
            assert [row.uid for row in first.summaries] == server.uids()
            await until(synced(events, 5), "the second sync")
            assert events.of(SummariesUpdated) == []  # nothing new: no headers fetched again
            assert events.of(ListChanged) == [ListChanged()]  # nor anything to change
        assert "TOP" not in server.last_session.verbs


async def test_a_renumbering_elsewhere_changes_no_row_of_the_list(
    server: POP3TestServer, tmp_path: Path
) -> None:
    """Another client deleted the oldest mail: every message number moved, yet the list is
    sent only what left (at 100,000 messages "every row updated" froze the UI, issue 14)."""
    with open_store(server, tmp_path) as store:
        async with running(new_session(server, store)) as events:
            await until(synced(events, 5), "the first sync")
    oldest = server.uids()[0]
    server.mailbox.commit_deletions([oldest])
    with open_store(server, tmp_path) as store:
        session = new_session(server, store)
        async with running(session) as events:
            await until(synced(events, 4), "the second sync")
            assert events.of(ListChanged) == [ListChanged(removed=[oldest])]
            order = [row.uid for row in sorted(events.rows().values(), key=lambda r: r.arrival)]
            assert order == server.uids()


async def test_new_mail_shows_after_refresh(server: POP3TestServer, tmp_path: Path) -> None:
    with open_store(server, tmp_path) as store:
        session = new_session(server, store)
        async with running(session) as events:
            await until(synced(events, 5), "the first sync")
            new_uid = server.add_message(make_message(6))
            session.request_refresh()
            await until(synced(events, 6), "the refresh")
            updates = [row for update in events.of(SummariesUpdated) for row in update.summaries]
            assert updates[-1].uid == new_uid and updates[-1].unread
        assert len(server.sessions) == 2 and no_quit_except_last(server)
        assert "QUIT" not in server.last_session.verbs


# -- connection trouble ----------------------------------------------------------------------


async def test_reconnects_after_a_drop_and_maps_numbers_by_uidl(tmp_path: Path) -> None:
    """A drop mid-RETR is reconnected once, transparently, and the number re-mapped by UIDL."""
    faults = Faults(drops=(DropFault("RETR", session=1, partial_bytes=40),))
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        with open_store(server, tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the first sync")
                first_uid, _, third_uid = server.uids()[:3]
                # Another client removes message 1 while we are logged in: our session keeps
                # its snapshot, the next one numbers everything one lower.
                server.mailbox.commit_deletions([first_uid])
                session.request_body(third_uid)
                await until(lambda: events.of(BodyReady), "the body")
                assert not events.of(BodyFailed)
            ready = events.of(BodyReady)[0]
            assert ready.uid == third_uid
            assert ready.path.read_bytes() == MESSAGES[2]  # in the Maildir: LF, as sent
            assert server.sessions[0].verbs.count("RETR") == 1
            assert "RETR 3" in server.sessions[0].commands
            assert "RETR 2" in server.last_session.commands  # same UID, new number
            assert len(server.sessions) == 2  # one reconnect, not a loop
            assert server.deleted_uids == [first_uid]  # only the other client's deletion
            assert all("QUIT" not in record.verbs for record in server.sessions)


async def test_a_second_drop_while_downloading_is_reported(tmp_path: Path) -> None:
    faults = Faults(
        drops=(
            DropFault("RETR", session=1, partial_bytes=40),
            DropFault("RETR", session=2, partial_bytes=40),
        )
    )
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        with open_store(server, tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the first sync")
                uid = server.uids()[2]
                session.request_body(uid)
                await until(lambda: events.of(BodyFailed), "the failed download")
                assert "dropped" in events.of(BodyFailed)[0].reason
                assert store.bodies.path(uid) is None  # the partial body was not kept
            assert len(server.sessions) >= 2
            assert all("QUIT" not in record.verbs for record in server.sessions)


async def test_temporary_failure_retries_with_growing_backoff(tmp_path: Path) -> None:
    faults = Faults(
        errors=(
            ErrorFault("PASS", code="SYS/TEMP", session=1),
            ErrorFault("PASS", code="SYS/TEMP", session=2),
        )
    )
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        account = account_for(server)
        secrets = secrets_for(server, account)
        with open_store(server, tmp_path) as store:
            session = MailSession(account, store, secrets, retry=FAST)
            async with running(session) as events:
                await until(synced(events, 5), "the sync after two refusals")
            retrying = [e for e in events.of(StateChanged) if e.state is ConnectionState.RETRYING]
            assert [e.retry_in for e in retrying] == [FAST.first, FAST.first * 2]
            assert "temporary server failure" in retrying[0].detail
            assert len(server.sessions) == 3
            assert secrets.prompts == 1  # the password was never asked for again


async def test_mailbox_in_use_shows_busy_and_retries_without_asking_again(
    server: POP3TestServer, tmp_path: Path
) -> None:
    holder = await POP3Client.connect(server.host, server.port, tls="none", allow_plaintext=True)
    await holder.login(server.user, server.password)  # another client holds the lock
    account = account_for(server)
    secrets = secrets_for(server, account)
    with open_store(server, tmp_path) as store:
        session = MailSession(account, store, secrets, retry=FAST)
        async with running(session) as events:
            await until(lambda: ConnectionState.BUSY in events.states(), "mailbox busy")
            busy = next(e for e in events.of(StateChanged) if e.state is ConnectionState.BUSY)
            assert busy.retry_in is not None and busy.retry_in >= FAST.busy
            assert "mailbox busy" in busy.detail
            await until(lambda: len(server.sessions) >= 3, "a retry while still busy")
            await holder.abort()
            await until(synced(events, 5), "the sync once the lock is free")
        assert secrets.prompts == 1
        assert ConnectionState.OFFLINE not in events.states()
        assert events.of(Notice) == []


async def test_auth_failure_goes_offline_and_never_loops(tmp_path: Path) -> None:
    faults = Faults(errors=(ErrorFault("PASS", code="AUTH", session=0),))
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        account = account_for(server)
        secrets = secrets_for(server, account)
        with open_store(server, tmp_path) as store:
            session = MailSession(account, store, secrets, retry=FAST)
            async with running(session) as events:
                await until(lambda: ConnectionState.OFFLINE in events.states(), "offline")
                assert "login refused" in (events.state.detail if events.state else "")
                wanted = events.of(PasswordWanted)
                assert [w.prompt for w in wanted] == ["The server refused the password; try again"]
                await asyncio.sleep(FAST.first * 30)  # a retry loop would log in again by now
                assert len(server.sessions) == 1
                assert ConnectionState.RETRYING not in events.states()
                # "r" tries again, but the refused password is gone: the session asks the UI
                # for one (never a terminal prompt under the full-screen app), stays offline.
                session.request_refresh()
                await until(
                    lambda: events.states().count(ConnectionState.OFFLINE) == 2, "offline again"
                )
                assert len(events.of(PasswordWanted)) == 2
                assert events.of(PasswordWanted)[1].prompt.startswith("Password for ")
                session.provide_password(None)  # Esc in the dialog: stay offline, no login
                await until(lambda: events.states().count(ConnectionState.OFFLINE) == 3, "declined")
        assert secrets.prompts == 1
        assert len(server.sessions) == 1


async def test_keepalive_sends_noop_in_the_same_session(
    server: POP3TestServer, tmp_path: Path
) -> None:
    with open_store(server, tmp_path) as store:
        session = new_session(server, store, keepalive=0.02)
        async with running(session) as events:
            await until(synced(events, 5), "the sync")
            await until(lambda: server.sessions[0].verbs.count("NOOP") >= 2, "two NOOPs")
            assert len(server.sessions) == 1
            assert events.state is not None and events.state.state is ConnectionState.ONLINE


async def test_bodies_are_served_from_the_cache_while_offline(tmp_path: Path) -> None:
    server = await POP3TestServer(MESSAGES).start()
    try:
        with open_store(server, tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the sync")
                cached_uid, other_uid = server.uids()[:2]
                session.request_body(cached_uid)
                await until(lambda: len(events.of(BodyReady)) == 1, "the first body")
                await server.stop()  # the server goes away (e.g. the network does)
                session.request_body(other_uid)
                await until(lambda: events.of(BodyFailed), "the failed download")
                await until(
                    lambda: events.states().count(ConnectionState.RETRYING) >= 2,
                    "reconnects refused",
                )
                session.request_body(cached_uid)
                await until(lambda: len(events.of(BodyReady)) == 2, "the cached body")
            assert [e.uid for e in events.of(BodyReady)] == [cached_uid, cached_uid]
            assert events.of(BodyReady)[1].path.read_bytes().endswith(b"Body of message 1.\n")
            assert events.of(BodyFailed)[0].uid == other_uid
            assert len(store.summaries()) == 5  # the cached list stays
    finally:
        await server.stop()


async def test_cached_bodies_do_not_wait_for_a_slow_connect(
    server: POP3TestServer, tmp_path: Path
) -> None:
    with open_store(server, tmp_path) as store:
        session = new_session(server, store)
        async with running(session) as events:
            await until(synced(events, 5), "the sync")
            uid = server.uids()[0]
            session.request_body(uid)
            await until(lambda: events.of(BodyReady), "the body")
    server.faults = Faults(stalls=(At(CONNECT),))  # e.g. a host that no longer answers
    before = len(server.sessions)
    with open_store(server, tmp_path) as store:
        session = new_session(server, store)
        async with running(session) as events:
            await until(lambda: events.states() == [ConnectionState.CONNECTING], "connecting")
            await until(lambda: len(server.sessions) == 2, "the stalled connection")
            session.request_body(uid)
            await until(lambda: events.of(BodyReady), "the cached body while connecting")
            assert events.states() == [ConnectionState.CONNECTING]  # still stuck in there
            assert events.of(BodyReady)[0].path.read_bytes().endswith(b"message 1.\n")
        # Leaving ``running`` shut the session down: that has to cancel the stalled login
        # (its timeout is 30 s, more than ``running`` waits), which sent nothing at all. On a
        # busy machine the second session may not even have reached the server yet.
        assert all(record.commands == [] for record in server.sessions[before:])


# -- deleting ----------------------------------------------------------------------------------


async def test_apply_deletions_deletes_exactly_the_marked_uids(
    server: POP3TestServer, tmp_path: Path
) -> None:
    with open_store(server, tmp_path) as store:
        session = new_session(server, store)
        async with running(session) as events:
            await until(synced(events, 5), "the sync")
            uids = server.uids()
            marked = [uids[1], uids[3]]
            for uid in (uids[0], *marked):
                session.set_marked(uid, True)
            session.set_marked(uids[0], False)
            assert store.pending_deletions() == marked
            session.apply_deletions(then_quit=True)
            await until(lambda: events.of(DeletionsApplied), "the outcome")
        assert events.of(DeletionsApplied) == [DeletionsApplied(deleted=marked, not_found=[])]
        assert server.deleted_uids == marked
        assert server.uids() == [uids[0], uids[2], uids[4]]
        verbs = server.last_session.verbs
        # UIDL read again, the marked ones' headers checked (TOP n 0), then DELE
        assert verbs[-6:] == ["UIDL", "TOP", "TOP", "DELE", "DELE", "QUIT"]
        assert server.last_session.commands[-3:-1] == ["DELE 2", "DELE 4"]
        assert len(server.sessions) == 1
        assert store.pending_deletions() == []
        assert {row.uid for row in store.summaries()} == {uids[0], uids[2], uids[4]}


async def test_dollar_applies_deletions_and_reconnects(
    server: POP3TestServer, tmp_path: Path
) -> None:
    with open_store(server, tmp_path) as store:
        session = new_session(server, store)
        async with running(session) as events:
            await until(synced(events, 5), "the sync")
            doomed = server.uids()[0]
            session.set_marked(doomed, True)
            session.apply_deletions(then_quit=False)
            await until(
                lambda: (
                    events.of(DeletionsApplied)
                    and synced(events, 4)()
                    and len(server.sessions) == 2
                ),
                "the deletion and the new session",
            )
        assert events.of(DeletionsApplied) == [DeletionsApplied(deleted=[doomed])]
        assert server.deleted_uids == [doomed]
        assert server.sessions[0].committed and not server.sessions[1].committed


async def test_a_uid_deleted_by_another_client_is_not_found_and_not_replaced(
    tmp_path: Path,
) -> None:
    faults = Faults(drops=(DropFault("NOOP", session=1),))
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        uids = server.uids()
        with open_store(server, tmp_path / "ours") as ours:
            # Our reader lists the mailbox and the user marks messages 2 and 4 ...
            session = new_session(server, ours, keepalive=0.01, retry=PATIENT)
            async with running(session) as events:
                await until(synced(events, 5), "our sync")
                session.set_marked(uids[1], True)
                session.set_marked(uids[3], True)
                # ... the link drops (a reconnect is a minute away) ...
                await until(lambda: ConnectionState.RETRYING in events.states(), "the drop")
                # ... meanwhile another client deletes message 2 ...
                with open_store(server, tmp_path / "theirs") as theirs:
                    other = new_session(server, theirs)
                    async with running(other) as their_events:
                        await until(synced(their_events, 5), "their sync")
                        other.set_marked(uids[1], True)
                        other.apply_deletions(then_quit=True)
                        await until(lambda: their_events.of(DeletionsApplied), "their delete")
                assert server.deleted_uids == [uids[1]]
                # ... and now our user quits with y: message 4 is number 3 in the new session.
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "our outcome")
            assert events.of(DeletionsApplied) == [
                DeletionsApplied(deleted=[uids[3]], not_found=[uids[1]])
            ]
            assert server.deleted_uids == [uids[1], uids[3]]
            assert server.uids() == [uids[0], uids[2], uids[4]]
            assert server.last_session.commands[-2:] == ["DELE 3", "QUIT"]
            assert ours.pending_deletions() == []


@pytest.mark.parametrize(
    "drop",
    [DropFault("QUIT"), DropFault("DELE", occurrence=2), DropFault("UIDL", occurrence=2)],
    ids=["at QUIT", "at the second DELE", "at the UIDL before DELE"],
)
async def test_a_drop_before_quit_deletes_nothing_and_keeps_the_marks(
    tmp_path: Path, drop: DropFault
) -> None:
    async with POP3TestServer(MESSAGES, faults=Faults(drops=(drop,))) as server:
        uids = server.uids()
        marked = [uids[0], uids[2]]
        with open_store(server, tmp_path) as store:
            session = new_session(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the sync")
                for uid in marked:
                    session.set_marked(uid, True)
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "the outcome")
            outcome = events.of(DeletionsApplied)[0]
            assert outcome.error is not None and outcome.deleted == []
            assert server.deleted_uids == []
            assert server.uids() == uids
            assert not any(record.committed for record in server.sessions)
        with open_store(server, tmp_path) as reopened:  # the marks survive a restart
            assert reopened.pending_deletions() == marked
            assert {row.uid for row in reopened.summaries() if row.marked_delete} == set(marked)


async def test_read_state_and_marks_survive_a_restart(
    server: POP3TestServer, tmp_path: Path
) -> None:
    with open_store(server, tmp_path) as store:
        session = new_session(server, store)
        async with running(session) as events:
            await until(synced(events, 5), "the sync")
            uids = server.uids()
            session.set_read(uids[0], True)
            session.set_read(uids[4], True)
            session.set_read(uids[4], False)
            session.set_marked(uids[2], True)
    with open_store(server, tmp_path) as store:
        session = new_session(server, store)
        async with running(session) as events:
            await until(synced(events, 5), "the sync after the restart")
            cached = {row.uid: row for row in events.of(ListReplaced)[0].summaries}
            for rows in (cached, events.rows()):
                assert [uid for uid in uids if not rows[uid].unread] == [uids[0]]
                assert [uid for uid in uids if rows[uid].marked_delete] == [uids[2]]
        assert store.unread_count() == 4


async def test_notices_after_the_app_started_reach_the_ui(
    server: POP3TestServer, tmp_path: Path
) -> None:
    """A typed password is saved in the keyring only after the login: that notice comes while
    the full-screen app owns the terminal, so it must arrive as a Notice, not on stderr."""
    memory = MemoryKeyring()
    original = keyring.get_keyring()
    keyring.set_keyring(memory)
    try:
        account = account_for(server)
        printed: list[str] = []
        secrets = SecretProvider(
            prompt=lambda _text: server.password, confirm=lambda _q: True, notify=printed.append
        )
        secrets.secret(account)  # typed before the app starts, to be saved after the login
        with open_store(server, tmp_path) as store:
            session = MailSession(account, store, secrets, retry=FAST)
            async with running(session) as events:
                await until(synced(events, len(MESSAGES)), "synced")
                await until(lambda: events.of(Notice), "a notice")
    finally:
        keyring.set_keyring(original)
    assert any("saved in the system keyring" in notice.text for notice in events.of(Notice))
    assert not any("saved in the system keyring" in line for line in printed)
    assert list(memory.entries.values()) == [server.password]
