"""The protocol log (``--log FILE``): no secret ever reaches it, and the file is private.

Full sessions run against the POP3 test server with every login mechanism, through a relay
that records what the client really put on the wire. The log must contain none of: the
password or token, their base64, the PLAIN/XOAUTH2/OAUTHBEARER blobs, and any argument or
SASL line the client sent during login (CRAM-MD5 digests, SCRAM proofs, the APOP digest).
Message data must appear only as its size.
"""

from __future__ import annotations

import asyncio
import base64
import os
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest

from tests.certs import CertFiles
from tests.pop3server import POP3TestServer
from tests.tcp_relay import LoopbackRelay
from tui_mail.accounts import Account, SecretProvider
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.errors import AuthFailed
from tui_mail.pop3.sasl import KNOWN_MECHANISMS
from tui_mail.session.connect import open_session
from tui_mail.session.protocol_log import ProtocolLogWriter, protocol_log_for, scrub

USER = "alice@example.org"
PASSWORD = "Pr0tocol-Log-P4ssw0rd!"  # unique strings, so any leak is found by search
TOKEN = "ya29.a0-protocol-log-token-Zx81"
BODY_MARKER = "CONFIDENTIAL-BODY-LINE-7731"
MESSAGE = (
    f"From: bob@example.org\r\nSubject: quarterly\r\n\r\n{BODY_MARKER}\r\n.leading dot line\r\n"
).encode()
# Client commands whose arguments are never secret (message numbers, the user name).
PLAIN_COMMANDS = {
    "CAPA",
    "STAT",
    "LIST",
    "UIDL",
    "TOP",
    "RETR",
    "DELE",
    "NOOP",
    "RSET",
    "QUIT",
    "USER",
    "STLS",
}


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.b64encode(raw).decode("ascii")


def forbidden_strings(secret: str) -> list[str]:
    """The secret in every encoding a careless log could show it."""
    blobs = [
        secret,
        b64(secret),
        b64(f"\0{USER}\0{secret}"),
        b64(f"{USER}\0{USER}\0{secret}"),  # PLAIN
        b64(f"user={USER}\x01auth=Bearer {secret}\x01\x01"),  # XOAUTH2
        f"Bearer {secret}",
    ]
    return blobs


class WireRecorder(LoopbackRelay):
    """A loopback relay that keeps every line the client sent, to find its secrets later."""

    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.client_lines: list[str] = []
        self._partial = b""

    def client_sent(self, data: bytes) -> bool:
        *lines, self._partial = (self._partial + data).split(b"\r\n")
        self.client_lines.extend(line.decode("utf-8", "replace") for line in lines)
        return True

    def secret_lines(self) -> list[str]:
        """What the client sent that may carry a secret: login arguments and SASL lines."""
        found: list[str] = []
        for line in self.client_lines:
            verb, _, rest = line.partition(" ")
            if verb.upper() in PLAIN_COMMANDS:
                continue
            if verb.upper() == "AUTH":
                found.extend(rest.split()[1:])  # the initial response, if any
            elif verb.upper() in ("PASS", "APOP"):
                found.append(rest.split()[-1] if verb.upper() == "APOP" else rest)
            elif line not in ("", "*", "="):
                found.append(line)  # a SASL continuation line
        return [item for item in found if item not in ("", "=")]


def read_log(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def assert_clean(log: str, secret: str, wire: WireRecorder | None = None) -> None:
    for needle in forbidden_strings(secret):
        assert needle not in log, f"{needle!r} reached the protocol log"
    if wire is not None:
        sent = wire.secret_lines()
        for item in sent:
            assert item not in log, f"login data {item!r} sent on the wire reached the log"
    for line in log.splitlines():
        direction = line.split(" ", 2)[1] if line.count(" ") >= 2 else ""
        if direction == "S:" and line.split(" ", 2)[2].startswith("+ "):
            assert line.endswith("+ ***"), line  # SASL challenges never shown


async def full_session(
    port: int,
    mechanism: str,
    secret: str,
    log: ProtocolLogWriter,
) -> None:
    client = await POP3Client.connect(
        "127.0.0.1", port, tls="none", allow_plaintext=True, protocol_log=log
    )
    try:
        await client.login(USER, secret, mechanism=mechanism)
        await client.stat()
        await client.uidl()
        await client.list()
        async for _number, _headers in client.top_many([1, 2], 0):
            pass
        with open(os.devnull, "wb") as sink:
            await client.retr(1, sink)
        async for _number, _whole in client.retr_many([2]):
            pass
        await client.noop()
        await client.quit()
    finally:
        await client.abort()


def server_for(*, token: str | None = TOKEN, password: str = PASSWORD) -> POP3TestServer:
    return POP3TestServer([MESSAGE, MESSAGE], user=USER, password=password, token=token)


@pytest.mark.parametrize("mechanism", KNOWN_MECHANISMS)
async def test_no_secret_reaches_the_log_in_a_full_session(tmp_path: Path, mechanism: str) -> None:
    secret = TOKEN if mechanism in ("xoauth2", "oauthbearer") else PASSWORD
    log_path = tmp_path / "pop3.log"
    log = ProtocolLogWriter(log_path)
    async with server_for() as server, WireRecorder(server.port) as wire:
        await full_session(wire.port, mechanism, secret, log)
    log.close()
    text = read_log(log_path)
    assert_clean(text, secret, wire)
    assert wire.secret_lines(), "the relay saw no login data: the test would prove nothing"
    assert BODY_MARKER not in text and "quarterly" not in text  # headers are data too
    assert "bytes of data]" in text
    assert f"C: AUTH {mechanism.upper()}" in text or mechanism in ("user", "apop")
    assert "C: QUIT" in text and "S: +OK" in text


@pytest.mark.parametrize("mechanism", KNOWN_MECHANISMS)
async def test_no_secret_reaches_the_log_when_the_login_is_refused(
    tmp_path: Path, mechanism: str
) -> None:
    wrong = "Wr0ng-But-Still-Secret-" + mechanism
    log_path = tmp_path / "pop3.log"
    log = ProtocolLogWriter(log_path)
    async with server_for() as server, WireRecorder(server.port) as wire:
        client = await POP3Client.connect(
            "127.0.0.1", wire.port, tls="none", allow_plaintext=True, protocol_log=log
        )
        try:
            with pytest.raises(AuthFailed) as refused:
                await client.login(USER, wrong, mechanism=mechanism)
        finally:
            await client.abort()
    log.close()
    text = read_log(log_path)
    assert_clean(text, wrong, wire)
    assert wrong not in str(refused.value) and wrong not in repr(refused.value)
    assert "-ERR" in text  # the refusal itself is logged: that is what a bug report needs


async def test_refreshed_oauth_tokens_never_reach_the_log(tmp_path: Path) -> None:
    """open_session runs the token command again after [AUTH]: neither token is logged."""
    stale, fresh = "stale-token-0001-SECRET", TOKEN
    counter = tmp_path / "calls"
    script = tmp_path / "token.sh"
    script.write_text(
        f'if [ -e {counter} ]; then echo "{fresh}"; else touch {counter}; echo "{stale}"; fi\n'
    )
    account = Account(
        name="work",
        host="127.0.0.1",
        port=0,
        tls="none",
        user=USER,
        auth="xoauth2",
        oauth_token_command=f"sh {script}",
        allow_plaintext=True,
    )
    log_path = tmp_path / "pop3.log"
    log = ProtocolLogWriter(log_path)
    async with server_for() as server:
        account = Account(**{**account.__dict__, "port": server.port})
        client = await open_session(account, SecretProvider(), protocol_log=log)
        await client.stat()
        await client.quit()
    log.close()
    text = read_log(log_path)
    assert_clean(text, stale)
    assert_clean(text, fresh)
    assert text.count("C: AUTH XOAUTH2") == 2  # refused once, refreshed, accepted


async def test_implicit_tls_session_is_logged_without_secrets(
    tmp_path: Path, certs: CertFiles
) -> None:
    log_path = tmp_path / "pop3.log"
    log = ProtocolLogWriter(log_path)
    server = POP3TestServer(
        [MESSAGE], user=USER, password=PASSWORD, tls="implicit", ssl_context=certs.server_context()
    )
    async with server:
        client = await POP3Client.connect(
            "127.0.0.1", server.port, cafile=certs.cafile, protocol_log=log
        )
        await client.login(USER, PASSWORD, mechanism="plain")
        with open(os.devnull, "wb") as sink:
            await client.retr(1, sink)
        await client.quit()
    log.close()
    text = read_log(log_path)
    assert_clean(text, PASSWORD)
    assert "C: AUTH PLAIN ***" in text and BODY_MARKER not in text


# -- the writer itself ------------------------------------------------------------------


def fixed_clock() -> datetime:
    return datetime(2026, 11, 29, 9, 30, 0).astimezone()


def test_lines_carry_timestamp_and_direction(tmp_path: Path) -> None:
    log = ProtocolLogWriter(tmp_path / "log", clock=fixed_clock)
    log("C", "STAT")
    log("S", "+OK 2 320")
    log.close()
    lines = read_log(tmp_path / "log").splitlines()
    assert lines[1].startswith("2026-11-29T09:30:00.000") and lines[1].endswith(" C: STAT")
    assert lines[2].endswith(" S: +OK 2 320")
    assert "protocol log started" in lines[0] and "protocol log stopped" in lines[-1]


@pytest.mark.parametrize(
    ("direction", "line", "expected"),
    [
        ("C", "PASS hunter2", "PASS ***"),
        ("C", "pass hunter2 with spaces", "pass ***"),
        ("C", "APOP alice 0123456789abcdef0123456789abcdef", "APOP alice ***"),
        ("C", "AUTH PLAIN AGFsaWNlAGh1bnRlcjI=", "AUTH PLAIN ***"),
        ("C", "AUTH XOAUTH2", "AUTH XOAUTH2"),
        ("C", "dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2sBAQ==", "***"),
        ("C", "QUJD", "***"),  # short base64 that happens to look like a word
        ("C", "PASS ***", "PASS ***"),
        ("C", "RETR 3", "RETR 3"),
        ("S", "+ PDEyMzQ1QGV4YW1wbGU+", "+ ***"),
        ("S", "+", "+ ***"),
        ("S", "+OK logged in", "+OK logged in"),
    ],
)
def test_scrub_is_a_second_line_of_defence(direction: str, line: str, expected: str) -> None:
    assert scrub(direction, line) == expected


def test_server_text_is_made_printable(tmp_path: Path) -> None:
    log = ProtocolLogWriter(tmp_path / "log")
    log("S", "-ERR \x1b]0;owned\x07 \x9b31m bye")
    log.close()
    text = read_log(tmp_path / "log")
    assert "\x1b" not in text and "\x9b" not in text and "␛]0;owned␇ <U+009B>31m" in text


def test_file_is_created_private_and_tightened(tmp_path: Path) -> None:
    fresh = tmp_path / "new" / "pop3.log"
    ProtocolLogWriter(fresh).close()
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700
    loose = tmp_path / "loose.log"
    loose.write_text("earlier run\n")
    loose.chmod(0o644)
    ProtocolLogWriter(loose).close()
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600
    assert read_log(loose).startswith("earlier run\n")  # appended, never clobbered


def test_symlink_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("")
    link = tmp_path / "pop3.log"
    link.symlink_to(target)
    with pytest.raises(OSError):
        ProtocolLogWriter(link)
    assert target.read_text() == ""


def test_toggle_starts_and_stops_writing(tmp_path: Path) -> None:
    log = ProtocolLogWriter(tmp_path / "log", enabled=False)
    log("C", "STAT")
    assert not (tmp_path / "log").exists()
    assert log.toggle() is True
    log("C", "UIDL")
    assert log.toggle() is False
    log("C", "NOOP")
    text = read_log(tmp_path / "log")
    assert "UIDL" in text and "STAT" not in text and "NOOP" not in text


def test_without_log_option_the_writer_is_off_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUI_MAIL_DATA_DIR", str(tmp_path / "data"))
    log = protocol_log_for(None)
    assert not log.enabled and log.path == tmp_path / "data" / "protocol.log"
    on = protocol_log_for(str(tmp_path / "x.log"))
    assert on.enabled
    on.close()


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_mail", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def test_unwritable_log_is_one_clear_line(tmp_path: Path) -> None:
    done = run_cli("--log", str(tmp_path), env={"TUI_MAIL_CONFIG": str(tmp_path / "c.toml")})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write the protocol log" in lines[0], done.stderr


def test_version_and_help_name_setup_and_log() -> None:
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("tui-mail ")
    helped = run_cli("--help")
    assert helped.returncode == 0
    for words in ("--log FILE", "tui-mail setup", "examples:", "TUI_MAIL_CONFIG"):
        assert words in helped.stdout


# -- the reader: MailSession writes the log, the app toggles it ------------------------------


async def wait_for(events: list[object], done: Callable[[list[object]], bool]) -> None:
    for _ in range(2000):
        if done(events):
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the session never got there")


@asynccontextmanager
async def session_running(session: object) -> AsyncIterator[list[object]]:
    """Run a MailSession in a task; shut it down (without QUIT) when the block ends."""
    from tui_mail.session.mail_session import MailSession

    assert isinstance(session, MailSession)
    events: list[object] = []
    task = asyncio.create_task(session.run(events.append))
    try:
        yield events
    finally:
        session.shutdown()
        await asyncio.wait_for(task, 10)


def online_details(events: list[object]) -> list[str]:
    from tui_mail.session.events import ConnectionState, StateChanged

    return [
        e.detail
        for e in events
        if isinstance(e, StateChanged) and e.state is ConnectionState.ONLINE
    ]


async def test_mail_session_writes_the_log_and_explains_login_delay(tmp_path: Path) -> None:
    from tui_mail.session.events import BodyReady, ListChanged
    from tui_mail.session.mail_session import MailSession
    from tui_mail.store import Store

    log_path = tmp_path / "pop3.log"
    log = ProtocolLogWriter(log_path)
    server = POP3TestServer(
        [MESSAGE], user=USER, password=PASSWORD, extra_capabilities=["LOGIN-DELAY 600"]
    )
    async with server:
        account = Account(
            name="work",
            host="127.0.0.1",
            port=server.port,
            tls="none",
            user=USER,
            allow_plaintext=True,
        )
        secrets = SecretProvider()
        secrets.accept_typed_password(account, PASSWORD, remember=False)
        with Store.for_account(account, data_dir=tmp_path / "data") as store:
            session = MailSession(account, store, secrets, protocol_log=log)
            async with session_running(session) as events:
                await wait_for(
                    events,
                    lambda seen: (
                        bool(online_details(seen)) and any(isinstance(e, ListChanged) for e in seen)
                    ),
                )
                session.request_body(server.uids()[0])
                await wait_for(events, lambda seen: any(isinstance(e, BodyReady) for e in seen))
    log.close()
    text = read_log(log_path)
    assert_clean(text, PASSWORD)
    assert "C: UIDL" in text and "C: TOP 1 0" in text and "C: RETR 1" in text
    assert BODY_MARKER not in text and "bytes of data]" in text
    assert any("new mail every 10 min (LOGIN-DELAY)" in d for d in online_details(events))


async def test_gmail_sessions_warn_that_opened_messages_get_popped(tmp_path: Path) -> None:
    from tui_mail.session.events import Notice
    from tui_mail.session.mail_session import MailSession
    from tui_mail.store import Store

    server = POP3TestServer([MESSAGE], user=USER, password=PASSWORD)
    async with server:
        account = Account(name="gmail", host="pop.gmail.com", port=995, tls="implicit", user=USER)

        async def opener() -> POP3Client:  # Gmail's name, the test server's socket
            client = await POP3Client.connect(
                "127.0.0.1", server.port, tls="none", allow_plaintext=True
            )
            await client.login(USER, PASSWORD)
            return client

        with Store.for_account(account, data_dir=tmp_path / "data") as store:
            session = MailSession(account, store, SecretProvider(), opener=opener)
            async with session_running(session) as events:
                await wait_for(events, lambda seen: any(isinstance(e, Notice) for e in seen))
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert any("Gmail" in text and "hidden from other POP clients" in text for text in notices)


async def test_L_toggles_the_protocol_log_in_the_reader(tmp_path: Path) -> None:
    from tests.fake_session import FIXED_NOW, small_mailbox
    from tui_mail.ui.app import TuiMailApp

    log = ProtocolLogWriter(tmp_path / "data" / "protocol.log", enabled=False)
    session = small_mailbox()
    app = TuiMailApp(
        session,
        account_name=session.account_name,
        clock=lambda: FIXED_NOW,
        download_dir=tmp_path / "downloads",
        outcome_delay=0,
        protocol_log=log,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("L")
        await pilot.pause()
        assert log.enabled and log.path.exists()
        assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
        shown = [str(n.message) for n in app._notifications]
        assert any("Protocol log on" in text and str(log.path) in text for text in shown)
        await pilot.press("L")
        await pilot.pause()
        assert not log.enabled
