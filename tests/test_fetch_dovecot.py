"""``tui-mail fetch`` against a real Dovecot: 500 messages, kill -9 midway, retention.

Run as cron runs it (a subprocess), over implicit TLS verified against the test CA. The
Maildir is read back with Python's :class:`mailbox.Maildir`.
"""

from __future__ import annotations

import mailbox
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dovecot import Dovecot, DovecotAccount
from tui_mail.session.fetcher import STORE_BATCH

pytestmark = pytest.mark.dovecot

COUNT = 500


def message(index: int) -> bytes:
    return (
        f"From: Sender {index} <s{index}@example.org>\nTo: me@example.org\n"
        f"Subject: fetch {index}\nMessage-ID: <f{index}@example.org>\n\nbody {index}\n"
    ).encode()


class FetchRun:
    """A config for one Dovecot user, and ``tui-mail fetch`` (or the crashing driver) on it."""

    def __init__(
        self, dovecot: Dovecot, mailbox_: DovecotAccount, tmp_path: Path, extra: str = ""
    ) -> None:
        secret = tmp_path / "secret"
        secret.write_text(mailbox_.password + "\n")
        secret.chmod(0o600)
        self.config = tmp_path / "config.toml"
        self.config.write_text(
            "[accounts.dove]\n"
            f'host = "{dovecot.host}"\nport = {dovecot.pop3s_port}\ntls = "implicit"\n'
            f'user = "{mailbox_.user}"\npassword_command = "cat {secret}"\n'
            f'cafile = "{dovecot.cafile}"\n{extra}'
        )
        self.config.chmod(0o600)
        self.data = tmp_path / "data"
        self.maildir = self.data / "mail" / "dove"

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        env = dict(
            os.environ,
            TUI_MAIL_CONFIG=str(self.config),
            TUI_MAIL_DATA_DIR=str(self.data),
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        )
        return subprocess.run(
            [sys.executable, "-m", *argv],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=240,
            start_new_session=True,
            check=False,
        )

    def fetch(self) -> subprocess.CompletedProcess[str]:
        return self.run("tui_mail", "fetch")

    def killed_at(self, step: str, nth: int) -> int:
        return self.run("tests.fetch_crash_driver", step, str(nth)).returncode

    def stored(self) -> list[bytes]:
        box = mailbox.Maildir(self.maildir, factory=None, create=False)
        return [box.get_bytes(key) for key in box.keys()]


EXPECTED = sorted(message(i) for i in range(1, COUNT + 1))


def test_fetch_stores_500_once_and_a_kill_midway_loses_and_repeats_nothing(
    dovecot: Dovecot, dovecot_account: DovecotAccount, tmp_path: Path
) -> None:
    dovecot_account.deliver([message(i) for i in range(1, COUNT + 1)])
    runner = FetchRun(dovecot, dovecot_account, tmp_path)
    batches = 4  # of STORE_BATCH messages, recorded before the kill
    assert runner.killed_at("recorded", batches) == -signal.SIGKILL
    assert len(runner.stored()) == batches * STORE_BATCH
    done = runner.fetch()
    assert done.returncode == 0, done.stderr
    left = COUNT - batches * STORE_BATCH
    assert done.stdout == f"dove: {left} new, {COUNT} stored, {COUNT} on server\n"
    assert sorted(runner.stored()) == EXPECTED
    again = runner.fetch()
    assert again.stdout == f"dove: 0 new, {COUNT} stored, {COUNT} on server\n"
    assert len(dovecot_account.message_files()) == COUNT  # leave_on_server = true


def test_leave_on_server_false_empties_the_server_only_after_all_500_are_stored(
    dovecot: Dovecot, dovecot_account: DovecotAccount, tmp_path: Path
) -> None:
    dovecot_account.deliver([message(i) for i in range(1, COUNT + 1)])
    runner = FetchRun(dovecot, dovecot_account, tmp_path, "leave_on_server = false\n")
    # Killed once every DELE is answered, before QUIT: all 500 are stored by then, and the
    # server, which only deletes at QUIT, still has every one.
    assert runner.killed_at("deleted", 1) == -signal.SIGKILL
    assert sorted(runner.stored()) == EXPECTED
    assert len(dovecot_account.message_files()) == COUNT
    done = runner.fetch()
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout
        == f"dove: 0 new, {COUNT} stored, 0 on server ({COUNT} deleted from the server)\n"
    )
    assert dovecot_account.message_files() == []
    assert sorted(runner.stored()) == EXPECTED
