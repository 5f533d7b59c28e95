"""kill -9 during ``tui-mail fetch`` at every step, then a normal run: no loss, no duplicate.

The steps, in the order a message goes through them: its RETR data arrived, its file is
written and fsynced in ``tmp/``, renamed into ``new/``, recorded in the ledger; then the DELEs
were answered, then QUIT was sent. After each kill the store is checked as it is, then a new
run must finish the job: every message exactly once in the Maildir (read back by Python's
:class:`mailbox.Maildir`), and with ``leave_on_server = false`` the server emptied only of
messages stored.
"""

from __future__ import annotations

import mailbox
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pop3server import POP3TestServer
from tests.test_check_command import PASSWORD, Setup, message

MESSAGES = [message(i) for i in range(1, 13)]
EXPECTED = sorted(m.replace(b"\r\n", b"\n") for m in MESSAGES)
STEPS = ["retrieved", "file-written", "renamed", "recorded", "deleted", "quit-sent"]


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


@pytest.fixture
def server() -> Iterator[POP3TestServer]:
    with POP3TestServer(list(MESSAGES), password=PASSWORD).background() as running:
        yield running


def stored(setup: Setup) -> list[bytes]:
    box = mailbox.Maildir(setup.data / "mail" / "work", factory=None, create=False)
    return sorted(box.get_bytes(key) for key in box.keys())


def killed_run(setup: Setup, step: str, nth: int) -> int:
    env = dict(
        os.environ,
        TUI_MAIL_CONFIG=str(setup.config),
        TUI_MAIL_DATA_DIR=str(setup.data),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.fetch_crash_driver", step, str(nth)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        start_new_session=True,
        check=False,
    )
    return done.returncode


@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_any_step_loses_nothing_and_duplicates_nothing(
    setup: Setup, server: POP3TestServer, step: str
) -> None:
    setup.write(server, extra="leave_on_server = false\n")
    # Per message: retrieved, file-written; per batch of up to 64 (one here): renamed, recorded.
    nth = 5 if step in ("retrieved", "file-written") else 1
    assert killed_run(setup, step, nth) == -signal.SIGKILL
    after_kill = stored(setup)
    assert len(after_kill) == len(set(after_kill))  # never two copies
    on_server = len(server.uids())
    # Nothing is lost: every message is on the server or stored (or both).
    assert len(after_kill) + on_server >= len(MESSAGES)
    if step != "quit-sent":
        assert server.deleted_uids == []  # no QUIT, no deletion
    done = setup.run(command="fetch")
    assert done.status == 0, done.err
    assert stored(setup) == EXPECTED
    assert server.uids() == []
    again = setup.run(command="fetch")
    assert again.out == "work: 0 new, 12 stored, 0 on server\n"
