"""Every string a server chose (greeting, -ERR text, CAPA, UIDs) reaches people only made safe.

A hostile server (or anyone on a ``tls = "none"`` link) put OSC 52 (write the clipboard),
OSC 0 (the window title) and CSI 2J (clear the screen) into its -ERR text, and the deletion
outcome printed them raw (issue 10). The error types carry server text only sanitised, so no
caller can forget; the reader's terminal output under such a server is checked byte by byte.
"""

from __future__ import annotations

import asyncio
import os
import select
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pop3server import ErrorFault, Faults, POP3TestServer
from tests.waiting import until
from tui_mail.accounts import Account, SecretProvider
from tui_mail.mail.sanitize import unsafe_characters
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.capabilities import Capabilities
from tui_mail.pop3.errors import (
    AnswerTooLong,
    ConnectionLost,
    ProtocolError,
    ServerError,
    server_error,
    server_words,
)
from tui_mail.session.errors import describe_error
from tui_mail.session.events import DeletionsApplied, SessionEvent
from tui_mail.session.mail_session import MailSession
from tui_mail.store import Store
from tui_mail.ui.app import deletion_outcome

HOSTILE = "\x1b]52;c;cHduZWQ=\x07\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil\u200b"
PASSWORD = "Server-Text-Passw0rd"


def safe(text: str) -> bool:
    return not unsafe_characters(text, single_line=True)


@pytest.mark.parametrize(
    "error",
    [
        ServerError(HOSTILE),
        server_error(HOSTILE, "SYS/TEMP"),
        server_error(HOSTILE, "IN-USE"),
        ConnectionLost(f"server ended the session: {HOSTILE}", server_text=HOSTILE),
        ProtocolError(HOSTILE),
        AnswerTooLong(HOSTILE, 3),
    ],
    ids=lambda error: type(error).__name__,
)
def test_error_types_carry_server_text_only_made_safe(error: Exception) -> None:
    assert safe(str(error))
    for attribute in ("text", "server_text"):
        if hasattr(error, attribute):
            assert safe(getattr(error, attribute))
    assert safe(describe_error(error))
    assert "␛]52;c;cHduZWQ=␇" in str(error)  # shown, visibly, not obeyed


def test_server_words_marks_every_control_as_the_mail_sanitiser_does() -> None:
    assert server_words(HOSTILE) == (
        "␛]52;c;cHduZWQ=␇␛]0;pwned␇␛[2J<U+009B>31m<U+202E>evil<U+200B>"
    )
    assert server_words("a" * 5000).endswith("…") and len(server_words("a" * 5000)) == 2001


def test_capa_lines_and_implementation_are_kept_safe() -> None:
    caps = Capabilities.parse(["TOP", f"IMPLEMENTATION Evil {HOSTILE}", f"X-{HOSTILE}"])
    assert caps.implementation is not None and safe(caps.implementation)
    assert all(safe(line) for line in caps.describe())
    assert caps.top


async def test_greeting_is_kept_safe() -> None:
    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(f"+OK hello {HOSTILE}\r\n".encode())
        await reader.readline()  # CAPA
        writer.write(b"-ERR no\r\n")
        await reader.read()

    server = await asyncio.start_server(greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        client = await POP3Client.connect("127.0.0.1", port, tls="none", allow_plaintext=True)
        assert safe(client.greeting) and "␛]0;pwned␇" in client.greeting
        await client.abort()


async def test_the_deletion_outcome_never_carries_the_servers_escapes(tmp_path: Path) -> None:
    faults = Faults(errors=(ErrorFault("DELE", code=None, text=HOSTILE),))
    async with POP3TestServer(
        [b"Subject: one\r\n\r\nx\r\n"], faults=faults, password=PASSWORD
    ) as server:
        account = Account(
            name="t",
            host=server.host,
            port=server.port,
            tls="none",
            user=server.user,
            allow_plaintext=True,
        )
        secrets = SecretProvider()
        secrets.accept_typed_password(account, PASSWORD, remember=False)
        events: list[SessionEvent] = []
        with Store.for_account(account, data_dir=tmp_path) as store:
            session = MailSession(account, store, secrets)
            task = asyncio.create_task(session.run(events.append))
            await until(lambda: len(store.summaries()) == 1, "the sync")
            session.set_marked(store.summaries()[0].uid, True)
            session.apply_deletions(then_quit=True)
            await asyncio.wait_for(task, 30)
    outcome = next(event for event in events if isinstance(event, DeletionsApplied))
    # A refused DELE concerns that message only (issue 14): its -ERR text is the reason given
    assert outcome.error is None and outcome.skipped and safe(outcome.skipped_why)
    assert safe(deletion_outcome(outcome))
    assert "␛]52;c;cHduZWQ=␇" in outcome.skipped_why


# -- the reader's own terminal output ------------------------------------------------------------


def run_in_terminal(
    argv: list[str], env: dict[str, str], keys: list[tuple[bytes, bytes]], limit: float = 60.0
) -> bytes:
    """Run ``argv`` on a pseudo-terminal (80x24); send each key once its cue was drawn."""
    import fcntl
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    child = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + limit
    pending = list(keys)
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            if pending and pending[0][0] in output:
                os.write(master, pending.pop(0)[1])
                output += b"\0"  # mark the cue as used (a cue may repeat later)
            if child.poll() is not None and not ready:
                break
        else:
            raise AssertionError(f"the reader did not finish; still waiting for {pending!r}")
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(10)
        os.close(master)
    return bytes(output)


def test_the_readers_terminal_output_holds_none_of_the_servers_escapes(tmp_path: Path) -> None:
    faults = Faults(errors=(ErrorFault("DELE", code=None, text=HOSTILE),))
    server = POP3TestServer([b"Subject: hello\r\n\r\nx\r\n"], faults=faults, password=PASSWORD)
    secret = tmp_path / "secret"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    config = tmp_path / "config.toml"
    with server.background():
        config.write_text(
            "[accounts.work]\n"
            f'host = "127.0.0.1"\nport = {server.port}\ntls = "none"\nuser = "{server.user}"\n'
            f'allow_plaintext = true\npassword_command = "cat {secret}"\n'
        )
        config.chmod(0o600)
        env = dict(
            os.environ,
            TERM="xterm",
            TUI_MAIL_CONFIG=str(config),
            TUI_MAIL_DATA_DIR=str(tmp_path / "data"),
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        )
        # Mark the message, quit, confirm: DELE draws the hostile -ERR.
        keys = [(b"hello", b"d"), (b"hello", b"q"), (b"from the server and quit", b"y")]
        output = run_in_terminal([sys.executable, "-m", "tui_mail", "--no-mouse"], env, keys)
        assert b"hello" in output
    payloads = (b"\x1b]52;", b"\x1b]0;pwned", b"\x1b[2J\xc2\x9b", b"\xc2\x9b31m")
    for payload in (*payloads, HOSTILE.encode()):
        assert payload not in output, payload
    assert b"left alone" in output  # the refused DELE: that message stays
