"""Sync and ``tui-mail check`` against a real Dovecot 2.3 (one private server per test run).

What the client sent is read from the protocol log open_session accepts, so "only the new
headers were fetched, newest first" is checked on the wire here too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.dovecot import MAIL_GROUP, MAIL_USER, Dovecot, DovecotAccount
from tui_mail.accounts import Account, SecretProvider, TlsMode
from tui_mail.pop3 import POP3Client
from tui_mail.session.connect import open_session
from tui_mail.session.sync import SyncResult, sync_mailbox
from tui_mail.store import Store

pytestmark = pytest.mark.dovecot


def message(index: int) -> bytes:
    return (
        f"From: Sender {index} <s{index}@example.org>\r\nSubject: dovecot {index}\r\n"
        f"Message-ID: <{index}@example.org>\r\n\r\nBody {index}.\r\n"
    ).encode()


def account_for(
    dovecot: Dovecot, mailbox: DovecotAccount, tmp_path: Path, tls: TlsMode = "implicit"
) -> Account:
    secret = tmp_path / f"secret-{mailbox.user}"
    secret.write_text(mailbox.password + "\n")
    secret.chmod(0o600)
    return Account(
        name="dove",
        host=dovecot.host,
        port=dovecot.pop3s_port if tls == "implicit" else dovecot.pop3_port,
        tls=tls,
        user=mailbox.user,
        password_command=f"cat {secret}",
        cafile=dovecot.cafile,
    )


class Wire:
    """The commands the client sent, from open_session's protocol log."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def log(self, direction: str, line: str) -> None:
        if direction == "C":
            self.sent.append(line)

    def tops(self) -> list[str]:
        return [line for line in self.sent if line.startswith("TOP ")]


async def sync(account: Account, store: Store, **options: Any) -> tuple[SyncResult, Wire]:
    wire = Wire()
    client: POP3Client = await open_session(
        account, SecretProvider(), timeout=10, protocol_log=wire.log
    )
    try:
        result = await sync_mailbox(client, store, **options)
        await client.quit()
    finally:
        await client.abort()
    return result, wire


@pytest.mark.parametrize("tls", ["implicit", "starttls"])
async def test_sync_fetches_new_headers_only_newest_first(
    dovecot: Dovecot, dovecot_account: DovecotAccount, tmp_path: Path, tls: TlsMode
) -> None:
    account = account_for(dovecot, dovecot_account, tmp_path, tls)
    dovecot_account.deliver([message(i) for i in range(1, 6)])
    with Store.for_account(account, data_dir=tmp_path / "data") as store:
        first, wire = await sync(account, store, batch_size=2)
        assert (first.new, first.unread, first.total, first.headers_fetched) == (5, 5, 5, 5)
        assert wire.tops() == [f"TOP {n} 0" for n in range(5, 0, -1)]
        assert [r.subject for r in store.summaries()] == [f"dovecot {i}" for i in range(1, 6)]
        # Dovecot's UIDL format is %08Xu%08Xv: 16 hex digits, a strong identity.
        assert all(len(r.uid) == 16 for r in store.summaries()) and store.identity == "strong"

        dovecot_account.deliver([message(6), message(7)])
        second, wire = await sync(account, store)
        assert (second.new, second.total, second.headers_fetched) == (2, 7, 2)
        assert wire.tops() == ["TOP 7 0", "TOP 6 0"]

        third, wire = await sync(account, store)
        assert (third.new, third.headers_fetched) == (0, 0) and wire.tops() == []
    assert len(dovecot_account.message_files()) == 7  # sync never deletes


async def test_messages_removed_on_the_server_leave_the_header_cache(
    dovecot: Dovecot, dovecot_account: DovecotAccount, tmp_path: Path
) -> None:
    account = account_for(dovecot, dovecot_account, tmp_path)
    dovecot_account.deliver([message(i) for i in range(1, 5)])
    with Store.for_account(account, data_dir=tmp_path / "data") as store:
        await sync(account, store)
        rows = store.summaries()
        removed = next(p for p in dovecot_account.message_files())  # the oldest message
        removed.unlink()  # another client deleted it
        result, wire = await sync(account, store)
        assert (result.new, result.total, result.headers_fetched) == (0, 3, 0)
        assert wire.tops() == []
        assert store.raw_headers(rows[0].uid) is None and store.summary(rows[0].uid) is None
        assert [r.uid for r in store.summaries()] == [r.uid for r in rows[1:]]
        # Renumbered at the server (this session's numbers), unchanged in the list's rows.
        listing = result.identity.listing
        assert [listing[r.uid][0] for r in store.summaries()] == [1, 2, 3]
        assert [r.arrival for r in store.summaries()] == [2, 3, 4]
        assert store.summaries() == rows[1:]


async def test_a_new_uidvalidity_is_a_mass_change(
    dovecot: Dovecot, dovecot_account: DovecotAccount, tmp_path: Path
) -> None:
    """Removing the mailbox gives every message a new UIDL, as a server migration does."""
    account = account_for(dovecot, dovecot_account, tmp_path)
    messages = [message(i) for i in range(1, 26)]
    dovecot_account.deliver(messages)
    with Store.for_account(account, data_dir=tmp_path / "data") as store:
        await sync(account, store)
        before = store.summaries()
        dovecot_account.reset_mailbox()
        dovecot_account.deliver(messages)
        # Dovecot takes UIDVALIDITY from the clock: a reset in the same second would reuse
        # it. Seed the new mailbox's uidlist with another UIDVALIDITY and next UID instead.
        uidlist = dovecot_account.maildir / "dovecot-uidlist"
        uidlist.write_text("3 V7 N1000\n")
        shutil.chown(uidlist, MAIL_USER, MAIL_GROUP)
        refused, wire = await sync(account, store)
        assert not refused.applied and refused.mass_change is not None
        assert wire.tops() == [] and store.summaries() == before
        accepted, wire = await sync(account, store, accept_mass_change=True)
        assert accepted.applied and (accepted.new, accepted.total) == (25, 25)
        assert len(wire.tops()) == 25
        assert not {r.uid for r in store.summaries()} & {r.uid for r in before}


def run_check(config: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        TUI_MAIL_CONFIG=str(config),
        TUI_MAIL_DATA_DIR=str(data),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return subprocess.run(
        [sys.executable, "-m", "tui_mail", "check", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
        check=False,
    )


def write_config(path: Path, dovecot: Dovecot, mailbox: DovecotAccount, secret: Path) -> None:
    path.write_text(
        f'[accounts.dove]\nhost = "127.0.0.1"\nport = {dovecot.pop3s_port}\n'
        f'tls = "implicit"\nuser = "{mailbox.user}"\ncafile = "{dovecot.cafile}"\n'
        f'password_command = "cat {secret}"\n'
    )
    path.chmod(0o600)


def test_check_command_against_dovecot(
    dovecot: Dovecot, dovecot_account: DovecotAccount, tmp_path: Path
) -> None:
    dovecot_account.deliver([message(i) for i in range(1, 4)])
    secret = tmp_path / "secret"
    secret.write_text(dovecot_account.password)
    secret.chmod(0o600)
    config = tmp_path / "config.toml"
    write_config(config, dovecot, dovecot_account, secret)
    data = tmp_path / "data"
    first = run_check(config, data, "--json")
    assert (first.returncode, first.stderr) == (0, "")
    assert json.loads(first.stdout) == {
        "account": "dove",
        "new": 3,
        "unread": 3,
        "messages": 3,
        "weak_identity": False,
        "degraded": 0,
        "local_only": 0,
    }
    second = run_check(config, data)
    assert (second.returncode, second.stdout) == (0, "dove: 0 new, 3 unread, 3 messages\n")
    assert len(dovecot_account.message_files()) == 3

    secret.write_text("not-the-password-xyz")
    refused = run_check(config, data)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("tui-mail: dove: login refused: ")
    assert refused.stderr.count("\n") == 1
    assert "not-the-password-xyz" not in refused.stderr
    assert dovecot_account.password not in refused.stderr
