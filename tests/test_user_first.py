"""The user's request goes ahead of background work (issue 13, item 4).

Real MailSession and the test server behind a slowed-down loopback relay (the server's answers
trickle at a fixed rate, as over a slow line), driven with Pilot at 80x24. What happened is
read from the server's own command log, never from timings: the RETR of the opened message
reached the server while TOPs were still to come, and a cancelled download ended its session
without QUIT, left nothing in the cache, and a new session took over.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

from tests.pop3server import POP3TestServer
from tests.tcp_relay import LoopbackRelay
from tests.test_app_flow import NOW, RETRY, quit_and_wait, status
from tests.waiting import until
from tui_mail.accounts import Account, SecretProvider
from tui_mail.session.mail_session import MailSession
from tui_mail.session.threaded import SessionThread
from tui_mail.store import Store
from tui_mail.ui.app import TuiMailApp

MANY = 1500


def message(number: int, body: str = "") -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Sender {number} <s{number}@example.org>"
    mail["Subject"] = f"Message number {number}"
    mail["Date"] = "Sun, 01 Jun 2025 10:00:00 +0000"
    mail.set_content(body or f"Body of message {number}.\n")
    return bytes(mail)


def reader(port: int, server: POP3TestServer, store: Store, account: Account) -> TuiMailApp:
    secrets = SecretProvider()
    secrets.accept_typed_password(account, server.password, remember=False)
    session = MailSession(account, store, secrets, retry=RETRY)
    return TuiMailApp(
        SessionThread(session), account_name="slow", clock=lambda: NOW, outcome_delay=0
    )


def account_at(server: POP3TestServer, port: int) -> Account:
    return Account(
        name="slow",
        host=server.host,
        port=port,
        tls="none",
        user=server.user,
        allow_plaintext=True,
    )


def downloading(app: TuiMailApp) -> bool:
    """The status bar shows a message download in progress (``message 40% of 2.9 MiB``)."""
    return re.search(r"message \d+% of", status(app)) is not None


def commands(server: POP3TestServer, session: int = 0) -> list[str]:
    return [c.split()[0].upper() for c in server.sessions[session].commands]


async def test_a_message_opened_while_headers_load_goes_first(tmp_path: Path) -> None:
    async with POP3TestServer([message(n) for n in range(1, MANY + 1)]) as server:
        async with LoopbackRelay(server.port, downstream_rate=60_000) as relay:
            account = account_at(server, relay.port)
            with Store.for_account(account, data_dir=tmp_path) as store:
                app = reader(relay.port, server, store, account)
                async with app.run_test(size=(80, 24)) as pilot:
                    await until(lambda: app.model.total >= 100, "the first headers", pilot=pilot)
                    await pilot.press("enter")  # the newest message, at the top
                    wanted = app.mail_screen.message_list.highlighted
                    assert wanted is not None
                    await until(
                        lambda: app.mail_screen.preview.uid == wanted.uid,
                        "the message on screen",
                        pilot=pilot,
                    )
                    assert "headers" in status(app)  # the list is still loading
                    await until(
                        lambda: app.model.total == MANY, "the whole list", pilot=pilot, limit=120
                    )
                    await quit_and_wait(pilot, app, "q")
    sent = commands(server)
    retr = sent.index("RETR")
    tops_before = sent[:retr].count("TOP")
    assert 0 < tops_before < MANY and sent.count("TOP") == MANY  # none lost, none twice
    assert "QUIT" not in sent


async def test_opening_another_message_cancels_a_large_download(tmp_path: Path) -> None:
    """Moving on from a large download cancels it and shows the new message.

    (It failed about one full-suite run in eight: the test relay, hung up on by a reset,
    left the server's side open, so the server blocked writing the cancelled RETR and kept
    the mailbox locked; tests/tcp_relay.py now hangs up both ends.)
    """
    await _cancel_by_opening_another(tmp_path)


async def _cancel_by_opening_another(tmp_path: Path) -> None:
    big = message(2, ("y" * 75 + "\n") * 40_000)  # 3 MB: 8 s at this rate
    async with POP3TestServer([message(1), big, message(3)]) as server:
        async with LoopbackRelay(server.port, downstream_rate=400_000) as relay:
            account = account_at(server, relay.port)
            with Store.for_account(account, data_dir=tmp_path) as store:
                app = reader(relay.port, server, store, account)
                async with app.run_test(size=(80, 24)) as pilot:
                    await until(lambda: app.model.total == 3, "the list", pilot=pilot)
                    app.mail_screen.message_list.select_uid(server.uids()[1])
                    await pilot.press("enter")
                    await until(lambda: downloading(app), "the download", pilot=pilot)
                    await pilot.press("j", "enter")  # move on to the small one
                    small = app.mail_screen.message_list.highlighted
                    assert small is not None and small.uid == server.uids()[0]
                    await until(
                        lambda: app.mail_screen.preview.uid == small.uid,
                        "the small one",
                        pilot=pilot,
                    )
                    assert store.bodies.path(server.uids()[1]) is None  # nothing half-kept
                    assert not downloading(app)
                    await quit_and_wait(pilot, app, "q")
    assert len(server.sessions) >= 2  # dropped, then a new session served the small one
    first = commands(server, 0)
    assert "RETR" in first and "QUIT" not in first and "DELE" not in first
    assert len(server.uids()) == 3  # nothing was committed


async def test_esc_cancels_a_download(tmp_path: Path) -> None:
    big = message(1, ("z" * 75 + "\n") * 40_000)
    async with POP3TestServer([big, message(2)]) as server:
        async with LoopbackRelay(server.port, downstream_rate=400_000) as relay:
            account = account_at(server, relay.port)
            with Store.for_account(account, data_dir=tmp_path) as store:
                app = reader(relay.port, server, store, account)
                async with app.run_test(size=(80, 24)) as pilot:
                    await until(lambda: app.model.total == 2, "the list", pilot=pilot)
                    app.mail_screen.message_list.select_uid(server.uids()[0])
                    await pilot.press("enter")
                    await until(lambda: downloading(app), "the download", pilot=pilot)
                    await pilot.press("escape")
                    await until(
                        lambda: "Download cancelled." in app.mail_screen.preview.plain_lines,
                        "cancelled",
                        pilot=pilot,
                    )
                    await until(lambda: len(server.sessions) >= 2, "a new session", pilot=pilot)
                    await until(lambda: "online" in status(app), "online again", pilot=pilot)
                    assert store.bodies.path(server.uids()[0]) is None
                    assert app.model.total == 2  # the list stayed
                    await quit_and_wait(pilot, app, "q")
    assert "QUIT" not in commands(server, 0)
    assert len(server.uids()) == 2


async def test_a_message_waits_for_the_lock_its_cancelled_download_left(tmp_path: Path) -> None:
    """The reconnect after a cancel may find the server still holding the dropped session's
    lock ([IN-USE]: it notices the drop only when its RETR writes fail). The message the user
    moved on to is not failed as "offline": it waits, and the reconnect soon serves it."""
    from tests.test_session import Events, running, synced
    from tui_mail.pop3 import POP3Client
    from tui_mail.pop3.errors import MailboxInUse
    from tui_mail.session.events import BodyFailed, BodyReady, Progress

    big = message(2, ("y" * 75 + "\n") * 40_000)  # 3 MB: 8 s at this rate
    async with POP3TestServer([message(1), big, message(3)]) as server:
        async with LoopbackRelay(server.port, downstream_rate=400_000) as relay:
            account = account_at(server, relay.port)
            secrets = SecretProvider()
            secrets.accept_typed_password(account, server.password, remember=False)
            with Store.for_account(account, data_dir=tmp_path) as store:
                opens = 0

                async def opener() -> POP3Client:
                    nonlocal opens
                    opens += 1
                    if opens in (2, 3):  # the reconnects right after the cancel
                        raise MailboxInUse("Mailbox is locked by another POP3 session.")
                    return await session._open_without_prompting()

                session = MailSession(account, store, secrets, retry=RETRY, opener=opener)
                small, large = server.uids()[0], server.uids()[1]
                events: Events
                async with running(session) as events:
                    await until(synced(events, 3), "the list")
                    session.request_body(large)
                    await until(
                        lambda: any(
                            isinstance(e, Progress) and e.task == "message bytes" and e.done > 0
                            for e in events.items
                        ),
                        "the large download under way",
                    )
                    session.request_body(small)  # moving on cancels the large one
                    await until(
                        lambda: any(
                            isinstance(e, BodyReady) and e.uid == small for e in events.items
                        ),
                        "the small message served after the lock was let go",
                    )
                failed = [e for e in events.of(BodyFailed) if e.uid == small]
                assert failed == []
                assert opens >= 4  # two refused reconnects, then the one that served it
                assert store.bodies.path(large) is None  # nothing half-kept
