"""``tui-mail check`` as a cron job or status bar runs it: a subprocess, no terminal, no stdin.

The POP3 test server runs in a thread of this process; the command runs as
``python -m tui_mail check`` with ``$TUI_MAIL_CONFIG`` and ``$TUI_MAIL_DATA_DIR`` pointing into
the test's directory. Each test checks the exit status, stdout and stderr exactly, and that
the server saw no DELE and the store no read flag.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.certs import CertFiles
from tests.pop3server import DropFault, ErrorFault, Faults, POP3TestServer
from tui_mail.mail.sanitize import unsafe_characters
from tui_mail.store import Store

PASSWORD = "Sup3r-Secret-Passw0rd"  # the test server's; unique so leaks show
TOKEN = "ya29.very-secret-oauth-token"


def message(index: int) -> bytes:
    return f"From: s{index}@example.org\r\nSubject: m{index}\r\n\r\nbody {index}\r\n".encode()


@dataclass
class Run:
    status: int
    out: str
    err: str


class Setup:
    """One account's config file, secret file and data directory under ``tmp_path``."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.config = tmp_path / "config.toml"
        self.data = tmp_path / "data"
        self.secret_file = tmp_path / "secret"

    def write(
        self,
        server: POP3TestServer | None = None,
        *,
        port: int | None = None,
        name: str = "work",
        password: str = PASSWORD,
        extra: str = "",
        password_command: bool = True,
    ) -> None:
        self.secret_file.write_text(password + "\n")
        self.secret_file.chmod(0o600)
        port = port if port is not None else (server.port if server else 1)
        lines = [
            f"[accounts.{name}]",
            'host = "127.0.0.1"',
            f"port = {port}",
            'tls = "none"',
            'user = "user"',
            "allow_plaintext = true",
        ]
        if password_command:
            lines.append(f'password_command = "cat {self.secret_file}"')
        self.config.write_text("\n".join(lines) + "\n" + extra)
        self.config.chmod(0o600)

    def run(self, *args: str, command: str = "check") -> Run:
        env = dict(
            os.environ,
            TUI_MAIL_CONFIG=str(self.config),
            TUI_MAIL_DATA_DIR=str(self.data),
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        )
        done = subprocess.run(
            [sys.executable, "-m", "tui_mail", command, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            start_new_session=True,  # no controlling terminal: getpass could not ask either
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def store(self, port: int) -> Store:
        return Store.open("127.0.0.1", port, "user", data_dir=self.data)


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


@pytest.fixture
def server() -> Iterator[POP3TestServer]:
    with POP3TestServer(
        [message(i) for i in range(1, 6)], password=PASSWORD
    ).background() as running:
        yield running


def no_secret_in(run: Run, *secrets: str) -> None:
    for secret in (PASSWORD, TOKEN, *secrets):
        assert secret not in run.out and secret not in run.err


def never_deleted(server: POP3TestServer) -> None:
    assert server.deleted_uids == []
    assert all("DELE" not in session.verbs for session in server.sessions)


def one_line(text: str) -> str:
    assert text.endswith("\n") and text.count("\n") == 1, repr(text)
    return text.rstrip("\n")


# -- success ---------------------------------------------------------------------------------


def test_check_prints_one_line_and_a_second_run_says_nothing_new(
    setup: Setup, server: POP3TestServer
) -> None:
    setup.write(server)
    first = setup.run()
    assert (first.status, first.err) == (0, "")
    assert one_line(first.out) == "work: 5 new, 5 unread, 5 messages"
    second = setup.run()
    assert (second.status, second.out, second.err) == (0, "work: 0 new, 5 unread, 5 messages\n", "")
    server.add_message(message(6))
    third = setup.run()
    assert third.out == "work: 1 new, 6 unread, 6 messages\n"
    never_deleted(server)
    # Headers only: never RETR (Gmail hides RETR'd mail), and every session ended by QUIT.
    assert all("RETR" not in s.verbs and s.verbs[-1] == "QUIT" for s in server.sessions)
    with setup.store(server.port) as store:
        assert store.unread_count() == 6 and all(r.headers_loaded for r in store.summaries())


def test_json_has_the_documented_fields(setup: Setup, server: POP3TestServer) -> None:
    setup.write(server)
    run = setup.run("--json")
    assert (run.status, run.err) == (0, "")
    assert json.loads(one_line(run.out)) == {
        "account": "work",
        "new": 5,
        "unread": 5,
        "messages": 5,
        "weak_identity": False,
        "degraded": 0,
        "local_only": 0,
    }


def test_check_never_marks_anything_read(setup: Setup, server: POP3TestServer) -> None:
    setup.write(server)
    setup.run()
    with setup.store(server.port) as store:
        store.mark_read(server.uids()[:2])
    for _ in range(2):
        run = setup.run("--json")
        assert json.loads(run.out)["unread"] == 3
    with setup.store(server.port) as store:
        assert [row.unread for row in store.summaries()] == [False, False, True, True, True]
    never_deleted(server)


def test_account_is_chosen_by_name(setup: Setup, server: POP3TestServer) -> None:
    other = (
        f'\n[accounts.home]\nhost = "127.0.0.1"\nport = {server.port}\ntls = "none"\n'
        'user = "nobody"\nallow_plaintext = true\npassword_command = "echo x"\n'
        "default = true\n"
    )
    setup.write(server, extra=other)
    run = setup.run("--account", "work")
    assert (run.status, run.out) == (0, "work: 5 new, 5 unread, 5 messages\n")
    missing = setup.run("--account", "nope")
    assert missing.status == 2 and missing.out == ""
    assert one_line(missing.err) == (
        f"tui-mail: {setup.config}: no account named 'nope' (accounts: work, home)"
    )


def test_a_server_without_uidl_is_reported_as_weak(setup: Setup) -> None:
    with POP3TestServer(
        [message(i) for i in range(1, 4)], password=PASSWORD, faults=Faults(no_uidl=True)
    ).background() as server:
        setup.write(server)
        run = setup.run("--json")
        line = setup.run()
    assert run.status == 0 and json.loads(run.out)["weak_identity"] is True
    assert line.out == (
        "work: 0 new, 3 unread, 3 messages (server has no UIDL: messages "
        "identified by their headers)\n"
    )


def test_a_server_without_top_is_checked_by_retr_and_never_left_by_quit(setup: Setup) -> None:
    """Gmail hides messages RETR'd in a session ended by QUIT: the RETR fallback aborts."""
    with POP3TestServer(
        [message(i) for i in range(1, 4)], password=PASSWORD, faults=Faults(no_top=True)
    ).background() as server:
        setup.write(server)
        run = setup.run()
        again = setup.run()
    assert (run.status, run.out) == (0, "work: 3 new, 3 unread, 3 messages\n")
    assert "QUIT" not in server.sessions[0].verbs and "RETR" in server.sessions[0].verbs
    assert again.out == "work: 0 new, 3 unread, 3 messages\n"
    assert server.sessions[1].verbs[-1] == "QUIT"  # nothing RETR'd: a clean QUIT
    never_deleted(server)


def test_check_over_implicit_tls_with_an_oauth_token_refreshed_once(
    setup: Setup, certs: CertFiles, tmp_path: Path
) -> None:
    """The first token is stale; check runs the token command again once, then logs in."""
    counter = tmp_path / "runs"
    script = tmp_path / "token.sh"
    script.write_text(
        f"echo run >> {counter}\n"
        f"if [ $(wc -l < {counter}) -ge 2 ]; then echo {TOKEN}; "
        "else echo stale-token; fi\n"
    )
    with POP3TestServer(
        [message(1)],
        token=TOKEN,
        tls="implicit",
        ssl_context=certs.server_context(),
        sasl=["XOAUTH2"],
        apop=False,
    ).background() as server:
        setup.config.write_text(
            f'[accounts.work]\nhost = "127.0.0.1"\nport = {server.port}\ntls = "implicit"\n'
            f'user = "user"\nauth = "xoauth2"\ncafile = "{certs.cafile}"\n'
            f'oauth_token_command = "sh {script}"\n'
        )
        run = setup.run()
    assert (run.status, run.out, run.err) == (0, "work: 1 new, 1 unread, 1 messages\n", "")
    assert counter.read_text() == "run\nrun\n"
    assert [s.mechanism for s in server.sessions] == [None, "xoauth2"]
    assert not any(s.secrets_in_clear for s in server.sessions)


# -- failures: exit status, one line on stderr, no secret ----------------------------------


def test_a_refused_password_is_one_line_without_the_secret(
    setup: Setup, server: POP3TestServer
) -> None:
    wrong = "Wr0ng-Passw0rd-Value"
    setup.write(server, password=wrong)
    run = setup.run()
    assert run.status == 1 and run.out == ""
    assert one_line(run.err).startswith("tui-mail: work: login refused: ")
    assert "Traceback" not in run.err
    no_secret_in(run, wrong)
    assert not setup.data.exists() or not any(setup.data.rglob("*.sqlite3"))
    never_deleted(server)


def test_terminal_controls_in_the_server_text_are_defused(setup: Setup) -> None:
    """The server's words reach the terminal (or a status bar): no escape sequence may pass."""
    hostile = "no \x1b]0;pwned\x07 \x1b[31mred\x1b[0m \u202eevil \x9bK"
    refusals = tuple(
        ErrorFault(verb, code="AUTH", text=hostile) for verb in ("AUTH", "PASS", "APOP")
    )
    with POP3TestServer(
        [message(1)], password=PASSWORD, faults=Faults(errors=refusals)
    ).background() as server:
        setup.write(server)
        run = setup.run()
    assert run.status == 1 and run.out == ""
    line = one_line(run.err)
    assert line.startswith("tui-mail: work: login refused: no ")
    assert not unsafe_characters(line, single_line=True), repr(line)
    assert "pwned" in line  # shown, but inert


def test_an_always_refused_token_is_tried_twice_then_reported(
    setup: Setup, certs: CertFiles, tmp_path: Path
) -> None:
    counter = tmp_path / "runs"
    with POP3TestServer(
        [message(1)],
        token=TOKEN,
        tls="implicit",
        ssl_context=certs.server_context(),
        sasl=["OAUTHBEARER"],
        apop=False,
    ).background() as server:
        setup.config.write_text(
            f'[accounts.work]\nhost = "127.0.0.1"\nport = {server.port}\ntls = "implicit"\n'
            f'user = "user"\nauth = "oauthbearer"\ncafile = "{certs.cafile}"\n'
            f'oauth_token_command = "echo run >> {counter}; echo bad-token-{TOKEN}"\n'
        )
        run = setup.run("--json")
    assert run.status == 1
    failure = json.loads(run.out)  # --json: a failure is JSON on stdout too
    assert failure["account"] == "work" and failure["error"].startswith("login refused")
    assert one_line(run.err).startswith("tui-mail: work: login refused")
    assert counter.read_text() == "run\nrun\n"  # refreshed once, not in a loop
    assert len(server.sessions) == 2
    no_secret_in(run, f"bad-token-{TOKEN}")


def test_connection_refused(setup: Setup) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    setup.write(port=port)
    run = setup.run("--json")
    assert run.status == 1
    assert json.loads(run.out) == {
        "account": "work",
        "error": f"connection to 127.0.0.1:{port} refused",
    }
    assert one_line(run.err) == f"tui-mail: work: connection to 127.0.0.1:{port} refused"
    no_secret_in(run)


def test_a_bad_config_exits_2_naming_file_line_and_key(setup: Setup) -> None:
    setup.write(port=110, extra='pasword_command = "cat /x"\n')
    run = setup.run()
    assert run.status == 2 and run.out == ""
    line = one_line(run.err)
    assert line.startswith(f"tui-mail: {setup.config}:8: ")
    assert "pasword_command" in line


def test_a_password_written_into_the_config_is_not_echoed(setup: Setup) -> None:
    setup.write(port=110, password_command=False, extra=f'password = "{PASSWORD}"\n')
    run = setup.run()
    assert run.status == 2
    line = one_line(run.err)
    assert line.startswith(f"tui-mail: {setup.config}:7: ") and "password" in line
    no_secret_in(run)


def test_a_wrongly_typed_value_names_its_line_and_key(setup: Setup) -> None:
    setup.config.write_text(
        '[accounts.work]\nhost = "h"\nport = "995"\nuser = "u"\n'
        f'password_command = "echo {PASSWORD}"\n'
    )
    setup.config.chmod(0o600)
    run = setup.run()
    assert run.status == 2
    line = one_line(run.err)
    assert line.startswith(f"tui-mail: {setup.config}:3: ") and "port" in line
    no_secret_in(run)


def test_json_failure_without_a_usable_config_names_no_account(setup: Setup) -> None:
    setup.config.write_text('[accounts.work]\nhost = 4\nuser = "u"\n')
    run = setup.run("--json")
    assert run.status == 2
    failure = json.loads(run.out)
    assert failure["account"] is None and "host" in failure["error"]


def test_a_missing_config_file_exits_2(setup: Setup) -> None:
    run = setup.run()
    assert run.status == 2 and str(setup.config) in one_line(run.err)


def test_without_a_password_source_it_fails_at_once_instead_of_prompting(
    setup: Setup, server: POP3TestServer
) -> None:
    setup.write(server, password_command=False)
    run = setup.run()
    assert run.status == 1 and run.out == ""
    line = one_line(run.err)
    assert line.startswith("tui-mail: work: no password for account 'work'")
    assert "password_command" in line and "Password for" not in run.err
    assert all(s.user is None for s in server.sessions)  # no login was attempted


def test_a_failing_password_command_is_reported_without_its_output(
    setup: Setup, server: POP3TestServer
) -> None:
    setup.write(
        server, password_command=False, extra=f'password_command = "echo {PASSWORD}; exit 3"\n'
    )
    run = setup.run()
    assert run.status == 1 and run.out == ""
    assert "exit status 3" in one_line(run.err)
    no_secret_in(run)


def test_a_mass_uid_change_is_refused_then_accepted_on_request(setup: Setup) -> None:
    with POP3TestServer(
        [message(i) for i in range(1, 31)], password=PASSWORD
    ).background() as server:
        setup.write(server)
        assert setup.run().out == "work: 30 new, 30 unread, 30 messages\n"
        with setup.store(server.port) as store:
            before = store.summaries()
        old = server.mailbox.snapshot()
        server.mailbox.commit_deletions(m.uid for m in old)  # a migration: every UID new
        for stored in old:
            server.add_message(stored.data, uid="new-" + stored.uid)
        refused = setup.run("--json")
        with setup.store(server.port) as store:
            assert store.summaries() == before  # nothing recorded
        accepted = setup.run("--accept-uid-change", "--json")
        after = setup.run()
    assert refused.status not in (0, 1, 2) and json.loads(refused.out)["account"] == "work"
    line = one_line(refused.err)
    assert line.startswith("tui-mail: work: 30 of 30 known messages vanished")
    assert "--accept-uid-change" in line and "nothing was recorded" in line
    assert accepted.status == 0 and json.loads(accepted.out)["new"] == 30
    assert after.out == "work: 0 new, 30 unread, 30 messages\n"
    assert all("DELE" not in session.verbs for session in server.sessions)


def test_a_dropped_connection_is_one_line_and_the_next_check_completes(setup: Setup) -> None:
    with POP3TestServer(
        [message(i) for i in range(1, 6)],
        password=PASSWORD,
        faults=Faults(drops=(DropFault("TOP", occurrence=3, session=1),)),
    ).background() as server:
        setup.write(server)
        dropped = setup.run()
        retried = setup.run()
    assert dropped.status == 1 and dropped.out == ""
    assert one_line(dropped.err).startswith("tui-mail: work: ")
    assert "Traceback" not in dropped.err
    # The ledger learned the listing before the drop, so nothing counts as new twice ...
    assert retried.status == 0 and retried.out.startswith("work: 0 new, 5 unread, 5 messages")
    with setup.store(server.port) as store:  # ... and the missing headers were fetched.
        assert all(row.headers_loaded for row in store.summaries())
    never_deleted(server)
