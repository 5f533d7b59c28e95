"""Marks mean what the user saw: UID + size + header fingerprint, checked before DELE.

Each scenario is one the issue 11 fault harness met, where a message nobody marked used to be
deleted: UIDs reused by a renumbering server or by Dovecot's ``%u`` after an index loss, new
mail under the UID of deleted mail, identical copies sharing a UID, a UID holding " #2".
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.dovecot import Dovecot
from tests.pop3server import POP3TestServer
from tests.test_session import (
    FAST,
    account_for,
    open_store,
    running,
    secrets_for,
    synced,
)
from tests.waiting import until
from tui_mail.accounts import Account, SecretProvider
from tui_mail.session.events import DeletionsApplied, Notice
from tui_mail.session.mail_session import MailSession
from tui_mail.store import Store


def mail(number: int, padding: int = 0) -> bytes:
    message = EmailMessage()
    message["From"] = f"Sender {number} <s{number}@example.org>"
    message["Subject"] = f"Message {number}"
    message["Message-ID"] = f"<marks{number}@example.org>"
    message.set_content(f"Body {number}.\n" + "x" * padding + "\n")
    return bytes(message)


def session_for(server: POP3TestServer, store: Store) -> MailSession:
    account = account_for(server)
    return MailSession(account, store, secrets_for(server, account), retry=FAST)


async def delete_confirmed(session: MailSession, keys: list[str], events: object) -> None:
    for key in keys:
        session.set_marked(key, True)
    session.apply_deletions(then_quit=True, uids=keys)


async def test_only_the_confirmed_marks_are_applied(tmp_path: Path) -> None:
    async with POP3TestServer([mail(n) for n in range(1, 6)]) as server:
        with open_store(server, tmp_path) as store:
            session = session_for(server, store)
            async with running(session) as events:
                await until(synced(events, 5), "the sync")
                uids = server.uids()
                store.mark_for_deletion(uids[:2])  # marks this user did not confirm
                session.set_marked(uids[4], True)
                session.apply_deletions(then_quit=True, uids=[uids[4]])
                await until(lambda: events.of(DeletionsApplied), "the outcome")
            assert events.of(DeletionsApplied)[0].deleted == [uids[4]]
            assert server.deleted_uids == [uids[4]]
            assert set(store.pending_deletions()) == set(uids[:2])  # the others stay marks


async def test_a_renumbering_server_reusing_a_marked_uid_deletes_nothing_unmarked(
    tmp_path: Path,
) -> None:
    messages = [mail(n, padding=n * 10) for n in range(1, 5)]  # sizes all differ
    async with POP3TestServer() as server:
        for number, data in enumerate(messages, 1):
            server.add_message(data, uid=str(number))
        with open_store(server, tmp_path) as store:
            session = session_for(server, store)
            async with running(session) as events:
                await until(synced(events, 4), "the first sync")
                session.set_marked("2", True)  # the user marks "Message 2"
                # Another client deletes message 1 and the server renumbers its integer UIDs:
                # "2" is now Message 3, "3" is Message 4.
                server.mailbox.replace_all(
                    [(str(n), data) for n, data in enumerate(messages[1:], 1)]
                )
                session.request_refresh()
                await until(
                    lambda: any("reused the IDs" in n.text for n in events.of(Notice)),
                    "the reuse notice",
                )
                notice = next(n for n in events.of(Notice) if "reused the IDs" in n.text)
                assert "deletion mark" in notice.text
                rows = {row.subject: row for row in store.summaries()}
                assert rows["Message 3"].unread and not rows["Message 3"].marked_delete
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "the outcome")
            assert events.of(DeletionsApplied)[0].deleted == []
            assert server.deleted_uids == []  # Message 3 (now "2") was never marked
            notices = [n.text for n in events.of(Notice) if "reused the IDs" in n.text]
            assert len(notices) == 1  # told once


async def test_new_mail_under_a_deleted_uid_with_the_same_size_is_new(tmp_path: Path) -> None:
    first, second = mail(1), mail(2)
    assert len(first) == len(second)
    async with POP3TestServer() as server:
        server.add_message(first, uid="7")
        with open_store(server, tmp_path) as store:
            session = session_for(server, store)
            async with running(session) as events:
                await until(synced(events, 1), "the first sync")
                session.set_read("7", True)
                server.mailbox.replace_all([])  # deleted elsewhere
                session.request_refresh()
                await until(synced(events, 0), "the empty mailbox")
                server.mailbox.replace_all([("7", second)])  # new mail, the old UID
                session.request_refresh()
                await until(synced(events, 1), "the new mail")
                await until(
                    lambda: any("reused the IDs" in n.text for n in events.of(Notice)),
                    "the reuse notice",
                )
            (row,) = store.summaries()
            assert row.subject == "Message 2" and row.unread


async def test_a_uid_whose_headers_changed_after_marking_is_left_alone(tmp_path: Path) -> None:
    first, second = mail(1), mail(2)
    async with POP3TestServer() as server:
        server.add_message(first, uid="5")
        server.add_message(mail(3), uid="6")
        with open_store(server, tmp_path) as store:
            session = session_for(server, store)
            async with running(session) as events:
                await until(synced(events, 2), "the sync")
                session.set_marked("5", True)
                # Same UID, same size, other mail: a new session lists it like the old one
                # (and its headers are cached), so only the header fingerprint (TOP n 0 before
                # DELE) can tell.
                server.mailbox.replace_all([("5", second), ("6", mail(3))])
                session.request_refresh()
                await until(lambda: len(server.sessions) == 2, "a new session")
                await until(synced(events, 2), "the sync")
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "the outcome")
            outcome = events.of(DeletionsApplied)[0]
            assert outcome.deleted == [] and outcome.skipped == ["5"]
            assert "no longer matches" in outcome.skipped_why
            assert server.deleted_uids == []
            assert store.pending_deletions() == []  # that mark meant other mail: dropped


async def test_identical_copies_are_deleted_only_when_every_copy_is_marked(
    tmp_path: Path,
) -> None:
    async with POP3TestServer() as server:
        server.add_message(mail(1), uid="dup")
        server.add_message(mail(2), uid="other")
        server.add_message(mail(1), uid="dup")
        with open_store(server, tmp_path) as store:
            session = session_for(server, store)
            async with running(session) as events:
                await until(synced(events, 3), "the sync")
                keys = [row.uid for row in store.summaries()]
                assert keys[0] == "dup" and keys[2].startswith("dup\0")
                session.set_marked(keys[0], True)  # one copy only
                session.apply_deletions(then_quit=False)
                await until(lambda: events.of(DeletionsApplied), "the first outcome")
                first = events.of(DeletionsApplied)[0]
                assert first.deleted == [] and first.skipped == [keys[0]]
                assert "identical copy" in first.skipped_why
                assert server.deleted_uids == []
                await until(synced(events, 3), "the reconnect")
                session.set_marked(keys[2], True)  # now both copies
                session.apply_deletions(then_quit=True)
                await until(lambda: len(events.of(DeletionsApplied)) == 2, "the second outcome")
            assert sorted(events.of(DeletionsApplied)[1].deleted) == sorted([keys[0], keys[2]])
            assert server.deleted_uids == ["dup", "dup"]
            assert server.uids() == ["other"]


async def test_a_mark_does_not_move_to_the_other_copy(tmp_path: Path) -> None:
    async with POP3TestServer() as server:
        server.add_message(mail(1), uid="dup")
        server.add_message(mail(1), uid="dup")
        server.add_message(mail(2), uid="other")
        with open_store(server, tmp_path) as store:
            session = session_for(server, store)
            async with running(session) as events:
                await until(synced(events, 3), "the sync")
                session.set_marked("dup", True)  # the first copy
                server.mailbox.remove_at(0)  # another client deletes the first copy
                session.request_refresh()
                await until(synced(events, 2), "the sync after")
                await until(lambda: events.of(Notice), "the notice")
                assert any("cannot tell which one you marked" in n.text for n in events.of(Notice))
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "the outcome")
            assert events.of(DeletionsApplied)[0].deleted == []
            assert server.deleted_uids == []  # the copy nobody marked is still there
            assert server.uids() == ["dup", "other"]


async def test_a_uid_holding_a_space_and_hash_is_its_own_message(tmp_path: Path) -> None:
    async with POP3TestServer() as server:
        server.add_message(mail(1), uid="abc")
        server.add_message(mail(1), uid="abc")
        server.add_message(mail(3), uid="abc #2")  # a real UID; used to collide and hide
        with open_store(server, tmp_path) as store:
            session = session_for(server, store)
            async with running(session) as events:
                await until(synced(events, 3), "all three listed")
                assert {row.subject for row in store.summaries()} == {"Message 1", "Message 3"}
                session.set_marked("abc #2", True)
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "the outcome")
            assert events.of(DeletionsApplied)[0].deleted == ["abc #2"]
            assert server.deleted_uids == ["abc #2"]
            assert server.uids() == ["abc", "abc"]


@pytest.mark.dovecot
async def test_dovecot_plain_uids_after_an_index_loss_delete_nothing_unmarked(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = dovecot.plain_uid_account
    user.reset_mailbox()
    user.deliver([mail(n, padding=n * 10) for n in range(1, 5)])
    account = Account(
        name="plain-uids",
        host=dovecot.host,
        port=dovecot.pop3s_port,
        tls="implicit",
        user=user.user,
        cafile=dovecot.cafile,
    )
    secrets = SecretProvider()
    secrets.accept_typed_password(account, user.password, remember=False)
    with Store.for_account(account, data_dir=tmp_path) as store:
        session = MailSession(account, store, secrets, retry=FAST)
        async with running(session) as events:
            await until(synced(events, 4), "the first sync", limit=30)
            by_subject = {row.subject: row.uid for row in store.summaries()}
            assert sorted(by_subject.values()) == ["1", "2", "3", "4"]  # %u: bare numbers
            marked = by_subject["Message 2"]
            session.set_marked(marked, True)
            # Another client deletes Message 1, then Dovecot loses its index: the three left
            # are numbered 1, 2, 3 again, so the marked UID now means another message.
            files = user.message_files()
            next(f for f in files if b"Message 1" in f.read_bytes()).unlink()
            user.lose_index()
            session.request_refresh()
            await until(
                lambda: any("reused the IDs" in n.text for n in events.of(Notice)),
                "the reuse notice",
            )
            session.apply_deletions(then_quit=True)
            await until(lambda: events.of(DeletionsApplied), "the outcome")
        assert events.of(DeletionsApplied)[0].deleted == []
    left = sorted(
        f.read_bytes().split(b"Subject: ")[1].split(b"\n")[0] for f in user.message_files()
    )
    assert left == [b"Message 2", b"Message 3", b"Message 4"]


async def test_a_message_the_server_rewrote_is_still_the_same_message(tmp_path: Path) -> None:
    """GNU Mailutils adds X-UIDL and Status headers after a session: the size grows, the
    identifying headers stay. Not reuse: the read flag and the mark stay, and y deletes it."""
    original = mail(1)
    rewritten = b"X-UIDL: 5\r\nStatus: RO\r\n" + original
    async with POP3TestServer() as server:
        server.add_message(original, uid="5")
        server.add_message(mail(2), uid="6")
        with open_store(server, tmp_path) as store:
            session = session_for(server, store)
            async with running(session) as events:
                await until(synced(events, 2), "the first sync")
                session.set_read("5", True)
                session.set_marked("5", True)
                server.mailbox.replace_all([("5", rewritten), ("6", mail(2))])
                session.request_refresh()
                await until(lambda: len(server.sessions) == 2, "a new session")
                await until(lambda: events.syncs() == 2 and synced(events, 2)(), "the sync")
                row = store.summary("5")
                assert row is not None and not row.unread and row.marked_delete
                assert row.size == len(rewritten.replace(b"\n", b"\r\n").replace(b"\r\r", b"\r"))
                session.apply_deletions(then_quit=True)
                await until(lambda: events.of(DeletionsApplied), "the outcome")
            assert not any("reused" in n.text for n in events.of(Notice))
            assert events.of(DeletionsApplied)[0].deleted == ["5"]
            assert server.deleted_uids == ["5"]
