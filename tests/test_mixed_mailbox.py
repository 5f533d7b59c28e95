"""A mailbox mixing the attack mails of issue 10 with normal ones, in Tokyo and in Los Angeles.

The reader (real MailSession, real app at 80x24) and ``tui-mail check`` both list and sync it,
open the normal messages, and show the bad ones degraded: the row marked ``!``, the preview
saying what failed. Before, any one of these mails stopped every start or every sync.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pop3server import POP3TestServer
from tests.waiting import until
from tui_mail.accounts import Account, SecretProvider
from tui_mail.session.mail_session import MailSession, RetryPolicy
from tui_mail.session.threaded import SessionThread
from tui_mail.store import Store
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.widgets.preview import Preview

PASSWORD = "Mixed-Mailbox-Passw0rd"


def mail(subject: str, headers: bytes = b"", body: bytes = b"body\r\n") -> bytes:
    """A message with ``headers`` (a From of Alice's unless they bring their own)."""
    if b"From:" not in headers:
        headers = b"From: Alice <alice@example.org>\r\n" + headers
    return headers + b"Subject: " + subject.encode() + b"\r\n\r\n" + body


NORMAL = [
    mail("normal one", b"Date: Wed, 01 May 2024 12:00:00 +0000\r\n", b"first normal body\r\n"),
    mail("normal two", b"Date: Thu, 02 May 2024 12:00:00 +0900\r\n", b"second normal body\r\n"),
]
FOLDED = b"X-Junk: start\r\n" + b"\tfold fold fold fold fold fold fold\r\n" * 350_000
BAD = [
    mail("zone -3000", b"Date: Fri, 31 Dec 2010 12:00:00 -3000\r\n"),
    mail("year 9999", b"Date: Fri, 31 Dec 9999 23:00:00 +0000\r\n"),
    mail("year 1", b"Date: Mon, 01 Jan 0001 00:00:00 +0000\r\n"),
    mail("nested from", b"From: " + b"(" * 500 + b"x@example.org\r\n"),
    b"Subject: huge header\r\n" + FOLDED + b"\r\nbody\r\n",  # what follows 256 KiB is lost
]
MAILBOX = NORMAL + BAD


@pytest.fixture(params=["Asia/Tokyo", "America/Los_Angeles"])
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def screen_lines(app: TuiMailApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def row_of(app: TuiMailApp, subject: str) -> str:
    rows = [line for line in screen_lines(app) if subject in line]
    assert rows, f"{subject!r} not on screen:\n" + "\n".join(screen_lines(app))
    return rows[0]


async def test_the_reader_lists_and_opens_the_normal_mail_and_degrades_the_bad(
    tmp_path: Path, zone: str
) -> None:
    async with POP3TestServer(MAILBOX, password=PASSWORD) as server:
        account = Account(
            name="mixed",
            host=server.host,
            port=server.port,
            tls="none",
            user=server.user,
            allow_plaintext=True,
        )
        secrets = SecretProvider()
        secrets.accept_typed_password(account, PASSWORD, remember=False)
        with Store.for_account(account, data_dir=tmp_path) as store:
            session = MailSession(account, store, secrets, retry=RetryPolicy(first=0.05))
            app = TuiMailApp(SessionThread(session), account_name="mixed", outcome_delay=0)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(
                    lambda: (
                        "online" in app.mail_screen.status_bar.text
                        and app.model.total == len(MAILBOX)
                        and all(row.headers_loaded for row in store.summaries())
                    ),
                    "the synced list",
                    pilot=pilot,
                )
                await pilot.pause()
                for subject in ("normal one", "normal two", "zone -3000", "year 9999", "year 1"):
                    assert row_of(app, subject)[2] == " ", subject  # not marked
                assert row_of(app, "nested from")[2] == "!"
                assert row_of(app, "huge header")[2] == "!"
                preview = app.query_one(Preview)
                for subject, expected in [
                    ("normal one", "first normal body"),
                    ("normal two", "second normal body"),
                    ("nested from", "could not be shown normally"),
                    ("nested from", "[In the message list: From: nested too deeply to parse"),
                    ("huge header", "[In the message list: header block longer than 256 KiB"),
                ]:
                    uid = next(row.uid for row in store.summaries() if row.subject == subject)
                    assert app.mail_screen.message_list.select_uid(uid)
                    await pilot.press("enter")
                    await until(
                        lambda expected=expected: any(  # type: ignore[misc]
                            expected in line for line in preview.plain_lines
                        ),
                        f"the preview of {subject!r}",
                        pilot=pilot,
                    )
                await pilot.press("x")
            # A later start from the cache, offline, in this zone: nothing to crash on.
            rows = store.summaries()
    assert len(rows) == len(MAILBOX)
    assert {row.subject for row in rows if row.problem} == {"nested from", "huge header"}


def test_check_syncs_the_mixed_mailbox_in_both_zones(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    config = tmp_path / "config.toml"
    with POP3TestServer(MAILBOX, password=PASSWORD).background() as server:
        config.write_text(
            f'[accounts.work]\nhost = "127.0.0.1"\nport = {server.port}\ntls = "none"\n'
            f'user = "user"\nallow_plaintext = true\npassword_command = "cat {secret}"\n'
        )
        config.chmod(0o600)
        outputs = []
        for zone in ("Asia/Tokyo", "America/Los_Angeles"):
            env = dict(
                os.environ,
                TZ=zone,
                TUI_MAIL_CONFIG=str(config),
                TUI_MAIL_DATA_DIR=str(tmp_path / "data"),
                PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            )
            done = subprocess.run(
                [sys.executable, "-m", "tui_mail", "check"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert (done.returncode, done.stderr) == (0, ""), done.stderr
            outputs.append(done.stdout)
    assert outputs == [
        "work: 7 new, 7 unread, 7 messages (2 could not be read fully)\n",
        "work: 0 new, 7 unread, 7 messages (2 could not be read fully)\n",
    ]
