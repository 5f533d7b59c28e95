"""Idle connections are closed so locking servers let others in (issue 13, item 14).

GNU Mailutils and Dovecot with ``pop3_lock_session`` lock the mailbox for the whole session:
a reader that idles on NOOPs shuts every other client out. Real MailSession, real servers
(the test server's lock and Dovecot's ``lockuser``), Pilot at 80x24: after the idle time the
connection closes without QUIT, the cached list stays on screen, another client gets in at
once, and opening a message reconnects on demand. While another client holds the lock, the
status counts down to the next try.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dovecot import Dovecot
from tests.pop3server import POP3TestServer
from tests.test_app_flow import MESSAGES, NOW, RETRY, online_with_list, quit_and_wait, status
from tests.waiting import until
from tui_mail.accounts import Account, SecretProvider
from tui_mail.pop3 import POP3Client
from tui_mail.session.events import ConnectionState, StateChanged
from tui_mail.session.mail_session import MailSession, RetryPolicy
from tui_mail.session.threaded import SessionThread
from tui_mail.store import Store
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.widgets.status_bar import describe_state

IDLE = 0.6  # seconds, instead of minutes


@dataclass
class Locking:
    """A server that locks the mailbox per session, and how to log in to it from outside."""

    account: Account
    password: str
    server: POP3TestServer | None  # None for Dovecot

    async def other_client_logs_in(self, timeout: float) -> bool:
        """Another program (a phone...) logs in; True if it got the mailbox."""
        client = await POP3Client.connect(
            self.account.host,
            self.account.port,
            tls=self.account.tls,
            cafile=self.account.cafile,
            allow_plaintext=self.account.allow_plaintext,
            timeout=timeout,
        )
        try:
            await client.login(self.account.user, self.password)
            await client.stat()
            return True
        finally:
            await client.abort()

    def sessions_quit(self) -> bool:
        return self.server is not None and any("QUIT" in s.verbs for s in self.server.sessions)


@pytest.fixture(params=["testserver", pytest.param("dovecot", marks=pytest.mark.dovecot)])
async def locking(request: pytest.FixtureRequest) -> AsyncIterator[Locking]:
    if request.param == "testserver":
        async with POP3TestServer(MESSAGES, lock_wait=0.2) as server:
            account = Account(
                name="lock",
                host=server.host,
                port=server.port,
                tls="none",
                user=server.user,
                allow_plaintext=True,
            )
            yield Locking(account, server.password, server)
        return
    dovecot: Dovecot = request.getfixturevalue("dovecot")
    user = dovecot.locked_account
    user.reset_mailbox()
    user.deliver(MESSAGES)
    account = Account(
        name="lock",
        host=dovecot.host,
        port=dovecot.pop3s_port,
        tls="implicit",
        user=user.user,
        cafile=dovecot.cafile,
    )
    yield Locking(account, user.password, None)


def reader(locking: Locking, store: Store, *, idle: float | None, retry: RetryPolicy) -> TuiMailApp:
    secrets = SecretProvider()
    secrets.accept_typed_password(locking.account, locking.password, remember=False)
    session = MailSession(locking.account, store, secrets, retry=retry, idle_close=idle)
    return TuiMailApp(
        SessionThread(session), account_name="lock", clock=lambda: NOW, outcome_delay=0
    )


async def test_an_idle_reader_lets_other_clients_in(locking: Locking, tmp_path: Path) -> None:
    with Store.for_account(locking.account, data_dir=tmp_path) as store:
        app = reader(locking, store, idle=IDLE, retry=RETRY)
        async with app.run_test(size=(80, 24)) as pilot:
            # the list from the server, then idle (on a slow machine the online phase may
            # pass between two looks at the screen, so wait for the outcome itself)
            await until(lambda: "idle, disconnected" in status(app), "idle", pilot=pilot, limit=30)
            assert app.model.total == 5  # the list stays
            # Dovecot would make a locked-out client wait ~10 s and then say [IN-USE]
            assert await locking.other_client_logs_in(timeout=5)
            await pilot.press("enter")  # on demand: log in again for the message
            wanted = app.mail_screen.message_list.highlighted
            assert wanted is not None
            await until(
                lambda: app.mail_screen.preview.uid == wanted.uid, "the message", pilot=pilot
            )
            await until(
                lambda: "idle, disconnected" in status(app), "idle again", pilot=pilot, limit=30
            )
            await quit_and_wait(pilot, app, "q")
    assert not locking.sessions_quit()  # closed without QUIT: nothing committed


async def test_a_busy_mailbox_counts_down_to_the_next_try(tmp_path: Path) -> None:
    # The test server answers [IN-USE] at once (Dovecot waits 10 s per try first).
    async with POP3TestServer(MESSAGES, lock_wait=0.2) as server:
        account = Account(
            name="lock",
            host=server.host,
            port=server.port,
            tls="none",
            user=server.user,
            allow_plaintext=True,
        )
        await _busy_countdown(Locking(account, server.password, server), tmp_path)


async def _busy_countdown(locking: Locking, tmp_path: Path) -> None:
    holder = await POP3Client.connect(
        locking.account.host, locking.account.port, tls="none", allow_plaintext=True, timeout=5
    )
    await holder.login(locking.account.user, locking.password)  # another client holds the lock
    try:
        with Store.for_account(locking.account, data_dir=tmp_path) as store:
            slow = RetryPolicy(first=0.05, maximum=30, busy=30, login_delay=30)
            app = reader(locking, store, idle=None, retry=slow)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(lambda: "mailbox busy" in status(app), "busy", pilot=pilot, limit=20)
                assert "mailbox busy, next try in 30 s" in status(app) or (
                    "mailbox busy, next try in 29 s" in status(app)
                )
                await holder.abort()  # the other client leaves; "c" tries at once
                await pilot.press("c")
                await online_with_list(pilot, app)
                await quit_and_wait(pilot, app, "q")
    finally:
        await holder.abort()


def test_busy_and_idle_words_in_the_status_bar() -> None:
    busy = StateChanged(ConnectionState.BUSY, "mailbox busy: locked", retry_in=30)
    assert describe_state(busy) == "mailbox busy, next try in 30 s"
    assert describe_state(busy, elapsed=12.2) == "mailbox busy, next try in 18 s"
    assert describe_state(StateChanged(ConnectionState.BUSY)) == "mailbox busy"
    idle = StateChanged(ConnectionState.IDLE, "reconnects when needed", retry_in=240)
    assert describe_state(idle) == "idle, disconnected"
