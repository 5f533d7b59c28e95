"""Local faults that used to leave the user stuck: a second reader, a damaged or read-only store.

The reader holds an OS lock per account; a damaged store is set aside and rebuilt, keeping read
flags and marks SQLite can still read; a read-only data directory opens a read-only reader. In
no case a traceback.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pop3server import POP3TestServer
from tests.test_session import MESSAGES, account_for, running, secrets_for, synced
from tests.waiting import until
from tui_mail.accounts import Account, SecretProvider
from tui_mail.commands import reader
from tui_mail.session.events import Notice
from tui_mail.session.mail_session import MailSession
from tui_mail.session.protocol_log import protocol_log_for
from tui_mail.store import Store
from tui_mail.store.lock import AccountInUse, AccountLock
from tui_mail.store.read_only import ReadOnlyCache
from tui_mail.store.repair import account_directory, open_repairing

ROOT = Path(__file__).resolve().parent.parent


def account() -> Account:
    return Account(
        name="work", host="127.0.0.1", port=1110, tls="none", user="u", allow_plaintext=True
    )


def hold_lock_in_another_process(directory: Path) -> subprocess.Popen[str]:
    code = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from tui_mail.store.lock import AccountLock
        lock = AccountLock.acquire(Path({str(directory)!r}))
        print("locked", flush=True)
        sys.stdin.read()
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


# -- one reader per account ----------------------------------------------------------------------


def test_a_second_reader_says_who_has_the_account_and_exits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = account_directory(account(), tmp_path)
    directory.mkdir(parents=True)
    holder = hold_lock_in_another_process(directory)
    try:
        with pytest.raises(AccountInUse) as busy:
            AccountLock.acquire(directory)
        assert busy.value.pid == holder.pid
        log = protocol_log_for(None)
        status = reader._open_reader(account(), SecretProvider(), tmp_path, log, mouse=False)
        err = capsys.readouterr().err
        assert status == 1
        assert f"open in another tui-mail (PID {holder.pid})" in err
        assert err.count("\n") == 1 and "Traceback" not in err
        # check never takes marks or this lock: the store stays usable alongside
        with Store.for_account(account(), data_dir=tmp_path) as store:
            store.reconcile({"a": (1, 10)})
    finally:
        holder.communicate("")
    with AccountLock.acquire(directory):  # the holder ended: the lock went with it
        pass


# -- a damaged store -----------------------------------------------------------------------------


def prepared_store(tmp_path: Path) -> Path:
    with Store.for_account(account(), data_dir=tmp_path) as store:
        store.reconcile({f"u{n}": (n, 1000 + n) for n in range(1, 6)})
        store.mark_read(["u1", "u2"])
        store.mark_for_deletion(["u3"])
        # Big header blocks fill the pages after the small ledger and marks tables, so damage
        # to the end of the file leaves those readable (as it often does for real).
        filler = b"X-Filler: " + b"y" * 60_000 + b"\r\n"
        store.add_headers([(f"u{n}", b"Subject: s\r\n" + filler + b"\r\n") for n in range(1, 6)])
        return store.directory / "store.sqlite3"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zeroed pages"])
def test_a_damaged_store_is_set_aside_and_rebuilt(tmp_path: Path, damage: str) -> None:
    path = prepared_store(tmp_path)
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"this is not a database" * 100)
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2 + 100])
    else:
        cut = len(data) // 2
        path.write_bytes(data[:cut] + b"\0" * (len(data) - cut))
    store, line = open_repairing(account(), tmp_path)
    with store:
        assert (
            line is not None and "damaged" in line and "set aside as store.sqlite3.damaged-" in line
        )
        asides = [p.name for p in path.parent.iterdir() if ".damaged-" in p.name]
        assert asides  # the damaged file is kept, never deleted
        store.check_integrity()
        recovered = store.reconcile({f"u{n}": (n, 1000 + n) for n in range(1, 6)})
        assert recovered.total == 5
        rows = {row.uid: row for row in store.summaries()}
        assert set(rows) == {f"u{n}" for n in range(1, 6)}
        if damage == "garbage":
            assert "0 read flags" in line
        else:  # what SQLite could still read came back
            assert not rows["u1"].unread and rows["u3"].marked_delete, line


async def test_the_reader_says_in_one_line_that_the_store_was_rebuilt(tmp_path: Path) -> None:
    async with POP3TestServer(MESSAGES) as server:
        acct = account_for(server)
        with Store.for_account(acct, data_dir=tmp_path) as store:
            directory = store.directory
        (directory / "store.sqlite3").write_bytes(b"garbage" * 500)
        store, line = open_repairing(acct, tmp_path)
        assert line is not None
        with store:
            session = MailSession(acct, store, secrets_for(server, acct), notices=[line])
            async with running(session) as events:
                await until(synced(events, 5), "the re-sync")
            assert any("set aside" in n.text for n in events.of(Notice))


def test_a_corrupt_store_never_gives_a_traceback_on_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.work]\nhost = "127.0.0.1"\nport = 9\nuser = "u"\n'
        'tls = "none"\nallow_plaintext = true\npassword_command = "echo pw"\n'
    )
    directory = account_directory(
        Account(name="work", host="127.0.0.1", port=9, tls="none", user="u"), tmp_path / "data"
    )
    directory.mkdir(parents=True)
    (directory / "store.sqlite3").write_bytes(b"garbage" * 500)
    env = {
        **os.environ,
        "TUI_MAIL_CONFIG": str(config),
        "TUI_MAIL_DATA_DIR": str(tmp_path / "data"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "tui_mail", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


# -- a read-only data directory ------------------------------------------------------------------


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """Make ``directory`` unwritable for real: a read-only bind mount as root (root ignores
    permission bits), else permission bits."""
    if os.geteuid() != 0:
        paths = [directory, *directory.rglob("*")]
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            for path in paths:
                path.chmod(0o700 if path.is_dir() else 0o600)
        return
    target = str(directory)
    subprocess.run(["mount", "--bind", target, target], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", target], check=True)
        yield
    finally:
        subprocess.run(["umount", target], check=True)


def test_a_read_only_data_dir_opens_a_read_only_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    with Store.for_account(account(), data_dir=data) as store:
        store.reconcile({"a": (1, 10), "b": (2, 20)})
    opened: list[tuple[int, str]] = []

    def shown(
        acct: Account,
        directory: Path,
        reason: str,
        renderer: object,
        *,
        mouse: bool,
        keymap: object = None,
    ) -> int:
        cache = ReadOnlyCache(directory)
        opened.append((len(cache.summaries()), reason))
        cache.close()
        return 0

    monkeypatch.setattr(reader, "_run_read_only", shown)
    with read_only(data):
        log = protocol_log_for(None)
        status = reader._open_reader(account(), SecretProvider(), data, log, mouse=False)
    assert status == 0
    assert len(opened) == 1 and opened[0][0] == 2  # the cached list, read without writing
    assert "cannot write" in opened[0][1]
    err = capsys.readouterr().err
    assert "read-only" in err and "Traceback" not in err


async def test_the_read_only_reader_shows_the_cache_and_marks_nothing(tmp_path: Path) -> None:
    from tui_mail.session.read_only import ReadOnlySession
    from tui_mail.ui.app import TuiMailApp
    from tui_mail.ui.screens.confirm_quit import ConfirmQuit

    with Store.for_account(account(), data_dir=tmp_path) as store:
        store.reconcile({"a": (1, 10), "b": (2, 20)})
        store.add_headers([("a", b"Subject: first\r\n\r\n"), ("b", b"Subject: second\r\n\r\n")])
        directory = store.directory
    cache = ReadOnlyCache(directory)
    session = ReadOnlySession("work", cache, "cannot write to DIR: Read-only file system")
    app = TuiMailApp(session, account_name="work", outcome_delay=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: app.model.total == 2, "the cached list", pilot=pilot)
        await until(lambda: "read-only" in app.mail_screen.status_bar.text, pilot=pilot)
        await pilot.press("d")
        await until(lambda: app.model.marked == 0, "the mark refused", pilot=pilot)
        await pilot.press("q")
        await until(lambda: app.return_code is not None, "the app to exit", pilot=pilot)
        assert not isinstance(app.screen, ConfirmQuit)
    cache.close()
    with Store.for_account(account(), data_dir=tmp_path) as store:
        assert store.pending_deletions() == []


def test_the_read_only_session_shows_full_headers_from_the_cache(tmp_path: Path) -> None:
    from tui_mail.session.read_only import ReadOnlySession

    with Store.for_account(account(), data_dir=tmp_path) as store:
        store.reconcile({"a": (1, 10)})
        store.add_headers([("a", b"Subject: first\r\nX-Spam: no\r\n\r\n")])
        directory = store.directory
    cache = ReadOnlyCache(directory)
    session = ReadOnlySession("work", cache, "read-only")
    assert session.full_headers("a") == ["Subject: first", "X-Spam: no"]
    assert session.full_headers("zz") is None
    cache.close()
