"""The whole reader, driven by Pilot at 80x24, with the REAL MailSession and a real server.

Every test runs twice: against the package's POP3 test server and against a private Dovecot
(``dovecot`` marker). What the user sees is read from the screen; what really happened is read
from the server (its UIDs after the app quit) and from a store reopened as after a restart.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.dovecot import Dovecot
from tests.other_servers import Mailutils, Popa3d
from tests.pop3server import DropFault, Faults, POP3TestServer
from tests.tcp_relay import LoopbackRelay
from tests.waiting import until
from tui_mail.accounts import Account, SecretProvider
from tui_mail.pop3 import POP3Client
from tui_mail.session.mail_session import MailSession, RetryPolicy
from tui_mail.session.threaded import SessionThread
from tui_mail.store import Store
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.confirm_quit import ConfirmQuit
from tui_mail.ui.widgets.preview import Preview

NOW = datetime(2025, 6, 20, 12, 0, tzinfo=UTC)
RETRY = RetryPolicy(first=0.05, maximum=0.2, busy=0.2, login_delay=0.2)
SUBJECTS = [
    "Quarterly report",
    "Lunch on Friday?",
    "Build failed on main",
    "Invoice [/] due",
    "Welcome aboard",
]


def make_message(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Sender {number} <s{number}@example.org>"
    message["To"] = "me@example.org"
    message["Subject"] = SUBJECTS[number - 1]
    message["Date"] = f"Sun, {number:02d} Jun 2025 10:00:00 +0000"
    message["Message-ID"] = f"<flow{number}@example.org>"
    message.set_content(f"This is the body of message {number}.\n")
    return bytes(message)


MESSAGES = [make_message(n) for n in range(1, len(SUBJECTS) + 1)]
NEWEST_FIRST = list(reversed(SUBJECTS))


# -- servers -------------------------------------------------------------------------------------


@dataclass
class Backend:
    """One server holding MESSAGES, seen the way the tests need it."""

    name: str
    account: Account
    password: str
    uids_now: Callable[[], Awaitable[list[str]]]  # what the next session will see
    dropping_at: Callable[[str], Awaitable[Account]]  # an account whose link dies at a verb


class CuttingProxy(LoopbackRelay):
    """Forwards a plain POP3 connection and hangs up both ends when the client sends ``verb``.

    The verb never reaches the server, as when the link dies just before it: against Dovecot
    this proves that a session ending without QUIT commits nothing.
    """

    def __init__(self, target_port: int, verb: str) -> None:
        super().__init__(target_port)
        self.pattern = re.compile(rb"(?:^|\r\n)" + verb.encode() + rb"[ \r]")
        self.cuts = 0

    def client_sent(self, data: bytes) -> bool:
        if self.pattern.search(data):
            self.cuts += 1
            return False
        return True


@pytest.fixture(
    params=[
        "testserver",
        pytest.param("dovecot", marks=pytest.mark.dovecot),
        pytest.param("mailutils", marks=pytest.mark.mailutils),
        pytest.param("popa3d", marks=pytest.mark.popa3d),
    ]
)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param in ("mailutils", "popa3d"):
        async for found in _plain_backend(request):
            yield found
        return
    if request.param == "testserver":
        async with POP3TestServer(MESSAGES) as server:
            account = Account(
                name="flow",
                host=server.host,
                port=server.port,
                tls="none",
                user=server.user,
                allow_plaintext=True,
            )

            async def uids() -> list[str]:
                return server.uids()

            async def dropping(verb: str) -> Account:
                server.faults = Faults(drops=(DropFault(verb),))
                return account

            yield Backend("testserver", account, server.password, uids, dropping)
        return
    dovecot: Dovecot = request.getfixturevalue("dovecot")
    user = request.getfixturevalue("dovecot_account")
    user.deliver(MESSAGES)
    account = Account(
        name="flow",
        host=dovecot.host,
        port=dovecot.pop3s_port,
        tls="implicit",
        user=user.user,
        cafile=dovecot.cafile,
    )
    proxies: list[CuttingProxy] = []

    async def dovecot_uids() -> list[str]:
        client = await POP3Client.connect(
            dovecot.host, dovecot.pop3s_port, tls="implicit", cafile=dovecot.cafile, timeout=10
        )
        try:
            await client.login(user.user, user.password)
            by_number = await client.uidl()
        finally:
            await client.abort()
        return [by_number[number] for number in sorted(by_number)]

    async def dovecot_dropping(verb: str) -> Account:
        proxy = CuttingProxy(dovecot.pop3_port, verb)
        proxies.append(proxy)
        port = await proxy.start()
        # Plain text only so the proxy can see the verb; Dovecot trusts loopback logins.
        return Account(
            name="flow",
            host="127.0.0.1",
            port=port,
            tls="none",
            user=user.user,
            allow_plaintext=True,
        )

    try:
        yield Backend("dovecot", account, user.password, dovecot_uids, dovecot_dropping)
    finally:
        for proxy in proxies:
            await proxy.stop()
        assert all(proxy.cuts for proxy in proxies), "a proxy never saw its verb"


async def _plain_backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """GNU Mailutils or popa3d: plaintext on loopback, one account emptied for each test."""
    server: Mailutils | Popa3d = request.getfixturevalue(request.param)
    server.reset_mailbox()
    server.deliver(MESSAGES)
    account = Account(
        name="flow",
        host=server.host,
        port=server.port,
        tls="none",
        user=server.user,
        allow_plaintext=True,
    )
    proxies: list[CuttingProxy] = []

    async def uids() -> list[str]:
        client = await POP3Client.connect(
            server.host, server.port, tls="none", allow_plaintext=True, timeout=10
        )
        try:
            await client.login(server.user, server.password)
            by_number = await client.uidl()
        finally:
            await client.abort()
        return [by_number[number] for number in sorted(by_number)]

    async def dropping(verb: str) -> Account:
        proxy = CuttingProxy(server.port, verb)
        proxies.append(proxy)
        port = await proxy.start()
        return Account(
            name="flow",
            host="127.0.0.1",
            port=port,
            tls="none",
            user=server.user,
            allow_plaintext=True,
        )

    try:
        yield Backend(request.param, account, server.password, uids, dropping)
    finally:
        for proxy in proxies:
            await proxy.stop()


# -- the app -------------------------------------------------------------------------------------


def make_app(backend: Backend, store: Store, account: Account | None = None) -> TuiMailApp:
    account = account or backend.account
    secrets = SecretProvider()
    secrets.accept_typed_password(account, backend.password, remember=False)
    session = MailSession(account, store, secrets, retry=RETRY)
    return TuiMailApp(
        SessionThread(session),
        account_name=account.name,
        clock=lambda: NOW,
        download_dir=store.directory / "downloads",
        outcome_delay=0,
    )


def screen_lines(app: TuiMailApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def row_of(app: TuiMailApp, subject: str) -> str:
    rows = [line for line in screen_lines(app) if subject in line]
    assert rows, f"{subject!r} not on screen:\n" + "\n".join(screen_lines(app))
    return rows[0]


def status(app: TuiMailApp) -> str:
    return app.mail_screen.status_bar.text


async def online_with_list(pilot: Pilot[None], app: TuiMailApp, count: int = 5) -> None:
    try:
        await until(
            lambda: (
                "online" in status(app)
                and f"{count} messages" in status(app)
                and app.mail_screen.message_list.size.height
            ),
            "the list from the server",
            pilot=pilot,
        )
    except AssertionError as error:
        raise AssertionError(f"{error}; the status bar says: {status(app)!r}") from None
    await pilot.pause()


async def quit_and_wait(pilot: Pilot[None], app: TuiMailApp, *keys: str) -> None:
    await pilot.press(*keys)
    await until(lambda: app.return_code is not None, "the app to exit", pilot=pilot)


def marked_uids(app: TuiMailApp) -> set[str]:
    return {
        row.uid for row in (app.model.row_at(i) for i in range(len(app.model))) if row.marked_delete
    }


async def mark_top_two(pilot: Pilot[None], app: TuiMailApp) -> set[str]:
    """d, d, d, then k and u: the two newest stay marked (d and u both move down)."""
    await pilot.press("d", "d", "d")
    assert "3 to delete" in status(app)
    await pilot.press("k", "u")
    assert "2 to delete" in status(app)
    marked = marked_uids(app)
    assert {app.model.get(uid).subject for uid in marked} == set(NEWEST_FIRST[:2])  # type: ignore[union-attr]
    assert row_of(app, NEWEST_FIRST[0])[2] == "D" and row_of(app, NEWEST_FIRST[2])[2] != "D"
    return marked


# -- the flow ------------------------------------------------------------------------------------


async def test_list_enter_and_quit_with_y_deletes_exactly_the_marked(
    backend: Backend, tmp_path: Path
) -> None:
    before = await backend.uids_now()
    with Store.for_account(backend.account, data_dir=tmp_path) as store:
        app = make_app(backend, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await online_with_list(pilot, app)
            lines = screen_lines(app)
            assert [
                subject for line in lines[1:6] for subject in SUBJECTS if subject in line
            ] == NEWEST_FIRST
            assert all(line.startswith("●") for line in lines[1:6])  # all unread
            assert "5 unread" in status(app) and "0 to delete" in status(app)
            if backend.name == "dovecot":
                assert re.search(r"online TLSv1\.[23]", status(app))

            await pilot.press("j", "enter")  # the second newest
            preview = app.query_one(Preview)
            await until(
                lambda: any("body of message 4" in line for line in preview.plain_lines),
                "the body",
                pilot=pilot,
            )
            await pilot.pause()
            assert not row_of(app, NEWEST_FIRST[1]).startswith("●")
            assert row_of(app, NEWEST_FIRST[0]).startswith("●")
            assert "4 unread" in status(app)

            await pilot.press("k")
            marked = await mark_top_two(pilot, app)
            await pilot.press("q")
            await until(lambda: isinstance(app.screen, ConfirmQuit), "the question", pilot=pilot)
            await pilot.pause()
            assert any(
                "Delete 2 messages from the server and quit?" in line for line in screen_lines(app)
            )
            await quit_and_wait(pilot, app, "y")
        assert app.outcome == "Deleted 2 messages from the server."
        assert store.pending_deletions() == []
    after = await backend.uids_now()
    assert set(before) - set(after) == marked and len(after) == 3


@pytest.mark.parametrize("keys", [("q", "n"), ("x",)], ids=["q then n", "x"])
async def test_n_and_x_delete_nothing_and_keep_the_marks(
    backend: Backend, tmp_path: Path, keys: tuple[str, ...]
) -> None:
    before = await backend.uids_now()
    with Store.for_account(backend.account, data_dir=tmp_path) as store:
        app = make_app(backend, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await online_with_list(pilot, app)
            marked = await mark_top_two(pilot, app)
            await quit_and_wait(pilot, app, *keys)
        assert app.outcome is None
    assert await backend.uids_now() == before
    with Store.for_account(backend.account, data_dir=tmp_path) as reopened:
        assert set(reopened.pending_deletions()) == marked


@pytest.mark.parametrize("verb", ["QUIT", "DELE"])
async def test_a_drop_before_quit_deletes_nothing_and_the_marks_survive(
    backend: Backend, tmp_path: Path, verb: str
) -> None:
    before = await backend.uids_now()
    account = await backend.dropping_at(verb)
    with Store.for_account(account, data_dir=tmp_path) as store:
        app = make_app(backend, store, account)
        async with app.run_test(size=(80, 24)) as pilot:
            await online_with_list(pilot, app)
            marked = await mark_top_two(pilot, app)
            await quit_and_wait(pilot, app, "q", "y")
        assert app.outcome is not None
        if verb == "QUIT":  # QUIT was sent: only the next session can tell (RFC 1939)
            assert "may or may not have been deleted" in app.outcome
            assert "marks are kept" in app.outcome
        else:
            assert app.outcome.startswith("Nothing was deleted")
            assert "marks are kept" in app.outcome
    assert await backend.uids_now() == before
    with Store.for_account(account, data_dir=tmp_path) as reopened:
        assert set(reopened.pending_deletions()) == marked
        app = make_app(backend, reopened, account)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(lambda: len(app.model) == 5, "the cached list", pilot=pilot)
            await pilot.pause()
            assert marked_uids(app) == marked  # shown as marked again after the restart
            assert row_of(app, NEWEST_FIRST[0])[2] == "D"
            await quit_and_wait(pilot, app, "x")


async def test_read_state_survives_a_restart(backend: Backend, tmp_path: Path) -> None:
    with Store.for_account(backend.account, data_dir=tmp_path) as store:
        app = make_app(backend, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await online_with_list(pilot, app)
            await pilot.press("enter")
            await until(lambda: app.model.unread == 4, "the message marked read", pilot=pilot)
            read_uid = app.mail_screen.message_list.highlighted.uid  # type: ignore[union-attr]
            await quit_and_wait(pilot, app, "x")
    with Store.for_account(backend.account, data_dir=tmp_path) as store:
        app = make_app(backend, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(lambda: len(app.model) == 5, "the cached list", pilot=pilot)
            assert app.model.get(read_uid).unread is False  # type: ignore[union-attr]
            await online_with_list(pilot, app)
            assert not row_of(app, NEWEST_FIRST[0]).startswith("●")
            assert row_of(app, NEWEST_FIRST[1]).startswith("●")
            assert "4 unread" in status(app)
            await quit_and_wait(pilot, app, "x")


async def test_the_question_counts_exactly_what_y_deletes(backend: Backend, tmp_path: Path) -> None:
    """Marks the user did not make in this reader (another reader's, in the shared store before
    the account lock existed) are neither counted nor deleted: "Delete 1 message" deletes 1."""
    before = await backend.uids_now()
    with Store.for_account(backend.account, data_dir=tmp_path) as store:
        app = make_app(backend, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await online_with_list(pilot, app)
            store.mark_for_deletion(before[:2])  # the oldest two, behind this reader's back
            await pilot.press("d")  # the newest, the only one this user marked
            await pilot.press("q")
            await until(lambda: isinstance(app.screen, ConfirmQuit), "the question", pilot=pilot)
            assert "Delete 1 message from the server" in "\n".join(screen_lines(app))
            await quit_and_wait(pilot, app, "y")
        assert app.outcome is not None and app.outcome.startswith("Deleted 1 message")
    after = await backend.uids_now()
    assert set(before) - set(after) == {before[-1]}
