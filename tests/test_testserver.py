"""The POP3 test server itself, checked byte for byte with raw sockets and stdlib poplib.

Other tests trust this server to behave like a real one (and to misbehave exactly as told),
so its wire format, delete-at-QUIT and fault injection are pinned down here.
"""

from __future__ import annotations

import base64
import json
import os
import poplib
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from tests.certs import CertFiles
from tests.pop3server import (
    CONNECT,
    At,
    DropFault,
    ErrorFault,
    Faults,
    Mailbox,
    POP3TestServer,
)

DOTS = b"Subject: dots\n\n.\n..\n.leading\nmiddle.\n...\nlast"
DOTS_ON_THE_WIRE = [
    b"Subject: dots\r\n",
    b"\r\n",
    b"..\r\n",
    b"...\r\n",
    b"..leading\r\n",
    b"middle.\r\n",
    b"....\r\n",
    b"last\r\n",
]
DOTS_SIZE = len(b"".join(DOTS_ON_THE_WIRE)) - 4  # stuffing dots are not part of the size
PLAIN_MESSAGE = b"From: a@example.org\r\nSubject: hello\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"


class Raw:
    """A bare POP3 connection: send lines, read exactly what the server sent."""

    def __init__(self, server: POP3TestServer, *, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((server.host, server.port), timeout=timeout)
        self.reader = self.sock.makefile("rb")
        self.greeting = self.line()

    def line(self) -> bytes:
        return self.reader.readline()

    def send(self, *lines: str | bytes) -> None:
        data = b"".join((x.encode() if isinstance(x, str) else x) + b"\r\n" for x in lines)
        self.sock.sendall(data)

    def command(self, line: str | bytes) -> bytes:
        self.send(line)
        return self.line()

    def data_lines(self) -> list[bytes]:
        """Raw (still stuffed) lines of a multi-line answer, without the final dot."""
        lines = []
        while (line := self.line()) != b".\r\n":
            assert line, "EOF inside a multi-line answer"
            lines.append(line)
        return lines

    def login(self, user: str = "user", password: str = "password") -> None:
        assert self.command(f"USER {user}").startswith(b"+OK")
        reply = self.command(f"PASS {password}")
        assert reply.startswith(b"+OK"), reply

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64_challenge(line: bytes) -> bytes:
    assert line.startswith(b"+ "), line
    return base64.b64decode(line[2:].strip())


# -- wire format --------------------------------------------------------------------------


def test_retr_byte_stuffs_and_sends_crlf_lines() -> None:
    server = POP3TestServer([DOTS])
    with server.background():
        raw = Raw(server)
        raw.login()
        assert raw.command("LIST 1") == f"+OK 1 {DOTS_SIZE}\r\n".encode()
        assert raw.command("RETR 1").startswith(b"+OK")
        assert raw.data_lines() == DOTS_ON_THE_WIRE
        raw.close()


def test_poplib_reads_back_the_exact_message() -> None:
    server = POP3TestServer([DOTS, PLAIN_MESSAGE])
    with server.background():
        client = poplib.POP3(server.host, server.port, timeout=5)
        client.user("user")
        client.pass_("password")
        _, lines, _ = client.retr(1)
        assert b"\r\n".join(lines) + b"\r\n" == DOTS.replace(b"\n", b"\r\n") + b"\r\n"
        _, top, _ = client.top(2, 2)
        assert top == [b"From: a@example.org", b"Subject: hello", b"", b"line 1", b"line 2"]
        _, top0, _ = client.top(1, 0)
        assert top0 == [b"Subject: dots", b""]
        client.quit()


def test_listing_commands_and_numbers() -> None:
    server = POP3TestServer([PLAIN_MESSAGE, DOTS])
    with server.background():
        raw = Raw(server)
        assert raw.command("STAT") == b"-ERR Not logged in.\r\n"
        raw.login()
        uids = server.uids()
        assert raw.command("STAT") == f"+OK 2 {len(PLAIN_MESSAGE) + DOTS_SIZE}\r\n".encode()
        assert raw.command("UIDL").startswith(b"+OK")
        assert raw.data_lines() == [f"1 {uids[0]}\r\n".encode(), f"2 {uids[1]}\r\n".encode()]
        assert raw.command("UIDL 2") == f"+OK 2 {uids[1]}\r\n".encode()
        assert raw.command("RETR 3").startswith(b"-ERR")
        assert raw.command("RETR x").startswith(b"-ERR")
        assert raw.command("NOOP") == b"+OK\r\n"
        assert raw.command("BOGUS") == b"-ERR Unknown command.\r\n"
        assert raw.command("X" * 300) == b"-ERR Command line too long.\r\n"
        raw.close()


def test_uids_are_dovecot_style_and_stable_between_servers() -> None:
    first, second = POP3TestServer([PLAIN_MESSAGE, DOTS]), POP3TestServer([PLAIN_MESSAGE, DOTS])
    assert first.uids() == second.uids()
    assert all(len(uid) == 16 and int(uid, 16) for uid in first.uids())
    assert len(set(first.uids())) == 2


# -- delete at QUIT -----------------------------------------------------------------------


def test_dele_commits_only_at_quit() -> None:
    server = POP3TestServer([PLAIN_MESSAGE, DOTS, PLAIN_MESSAGE])
    uids = server.uids()
    with server.background():
        raw = Raw(server)
        raw.login()
        assert raw.command("DELE 2").startswith(b"+OK")
        assert raw.command("RETR 2") == b"-ERR Message is deleted.\r\n"
        assert raw.command("STAT").startswith(b"+OK 2 ")
        raw.close()  # dropped without QUIT: nothing may be deleted
        assert server.deleted_uids == []

        raw = Raw(server)
        raw.login()
        assert raw.command("STAT").startswith(b"+OK 3 ")
        assert raw.command("DELE 1").startswith(b"+OK")
        assert raw.command("RSET").startswith(b"+OK")
        assert raw.command("DELE 2").startswith(b"+OK")
        assert raw.command("QUIT").startswith(b"+OK")
        assert raw.line() == b""  # the server closes after QUIT
        raw.close()
    assert server.deleted_uids == [uids[1]]
    assert server.uids() == [uids[0], uids[2]]
    assert server.sessions[0].committed is False
    assert server.sessions[1].deleted == [uids[1]]


def test_mail_delivered_during_a_session_appears_at_next_login() -> None:
    server = POP3TestServer([PLAIN_MESSAGE])
    with server.background():
        raw = Raw(server)
        raw.login()
        server.add_message(DOTS)
        assert raw.command("STAT").startswith(b"+OK 1 ")
        raw.command("QUIT")
        raw.close()
        raw = Raw(server)
        raw.login()
        assert raw.command("STAT").startswith(b"+OK 2 ")
        raw.close()


def _maildir(root: Path, messages: dict[str, bytes]) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for index, (name, data) in enumerate(messages.items()):
        path = root / name
        path.write_bytes(data)
        os.utime(path, (1_700_000_000 + index, 1_700_000_000 + index))
    return root


@pytest.mark.parametrize("delete_files", [False, True])
def test_maildir_is_served_and_deletions_persist(tmp_path: Path, delete_files: bool) -> None:
    maildir = _maildir(
        tmp_path / "Maildir",
        {
            "cur/1700000000.M1P1.host:2,S": PLAIN_MESSAGE,
            "new/1700000001.M2P1.host": DOTS,
        },
    )
    server = POP3TestServer(maildir=maildir, delete_files=delete_files)
    assert server.uids() == ["1700000000.M1P1.host", "1700000001.M2P1.host"]
    with server.background():
        client = poplib.POP3(server.host, server.port, timeout=5)
        client.user("user")
        client.pass_("password")
        client.dele(1)
        client.quit()
        (maildir / "new" / "1700000002.M3P1.host").write_bytes(PLAIN_MESSAGE)
        assert server.uids() == ["1700000001.M2P1.host", "1700000002.M3P1.host"]
    assert (maildir / "cur" / "1700000000.M1P1.host:2,S").exists() is not delete_files


def test_shared_mailbox_persists_across_server_objects() -> None:
    mailbox = Mailbox([PLAIN_MESSAGE, DOTS])
    with POP3TestServer(mailbox=mailbox).background() as server:
        raw = Raw(server)
        raw.login()
        raw.command("DELE 1")
        raw.command("QUIT")
        raw.close()
    assert POP3TestServer(mailbox=mailbox).uids() == mailbox.uids()
    assert len(mailbox.uids()) == 1


# -- capabilities -------------------------------------------------------------------------


def capa(raw: Raw) -> list[str]:
    assert raw.command("CAPA") == b"+OK Capability list follows\r\n"
    return [line.decode().rstrip("\r\n") for line in raw.data_lines()]


def test_capabilities_before_and_after_login() -> None:
    server = POP3TestServer([PLAIN_MESSAGE], extra_capabilities=["EXPIRE 0", "LOGIN-DELAY 300"])
    with server.background():
        raw = Raw(server)
        before = capa(raw)
        assert before[:5] == ["TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"]
        assert "USER" in before
        assert "SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER" in before
        assert "STLS" not in before
        assert {"EXPIRE 0", "LOGIN-DELAY 300"} <= set(before)
        raw.login()
        after = capa(raw)
        assert "USER" not in after
        assert not any(line.startswith("SASL") for line in after)
        assert "EXPIRE 0" in after
        raw.close()


def test_capability_faults() -> None:
    faults = Faults(no_top=True, no_uidl=True, no_pipelining=True)
    server = POP3TestServer([PLAIN_MESSAGE], faults=faults)
    with server.background():
        raw = Raw(server)
        lines = capa(raw)
        assert not {"TOP", "UIDL", "PIPELINING"} & set(lines)
        raw.login()
        assert raw.command("TOP 1 0") == b"-ERR Unknown command.\r\n"
        assert raw.command("UIDL") == b"-ERR Unknown command.\r\n"
        raw.close()
        server.faults = Faults(no_capa=True)
        raw = Raw(server)
        assert raw.command("CAPA").startswith(b"-ERR")
        raw.close()
        server.faults = Faults(late_capabilities=True)
        raw = Raw(server)
        assert "TOP" not in capa(raw)
        raw.login()
        assert {"TOP", "UIDL", "PIPELINING"} <= set(capa(raw))
        raw.close()


def test_odd_uidl_spacing_and_long_uids() -> None:
    server = POP3TestServer(
        [PLAIN_MESSAGE, PLAIN_MESSAGE],  # identical copies
        faults=Faults(odd_uidl_spacing=True, long_uids=True),
    )
    with server.background():
        raw = Raw(server)
        raw.login()
        raw.command("UIDL")
        lines = raw.data_lines()
        assert [line[:4] for line in lines] == [b"1   ", b"2   "]
        assert all(line.endswith(b" \r\n") for line in lines)
        uids = [line.split()[1].decode() for line in lines]
        assert all(len(uid) > 70 for uid in uids) and len(set(uids)) == 2
        assert [uid[:16] for uid in uids] == server.uids()
        assert raw.command("UIDL 1") == f"+OK 1   {uids[0]} \r\n".encode()
        raw.close()


def test_long_line_fault_adds_a_huge_header_line() -> None:
    server = POP3TestServer([PLAIN_MESSAGE], faults=Faults(long_line=200_000))
    with server.background():
        raw = Raw(server)
        raw.login()
        raw.command("TOP 1 0")
        lines = raw.data_lines()
        assert len(lines[0]) == 200_000 + 2
        assert lines[0].startswith(b"X-Long-Line: xxx")
        assert lines[1:] == [b"From: a@example.org\r\n", b"Subject: hello\r\n", b"\r\n"]
        raw.close()


# -- faults -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["AUTH", "IN-USE", "LOGIN-DELAY", "SYS/TEMP", "SYS/PERM", "UTF8"])
def test_error_fault_answers_with_the_response_code(code: str) -> None:
    faults = Faults(
        errors=(
            ErrorFault("PASS", code=code),
            ErrorFault("RETR", occurrence=2, code=code, text="no"),
        )
    )
    server = POP3TestServer([PLAIN_MESSAGE], faults=faults)
    with server.background():
        raw = Raw(server)
        raw.command("USER user")
        assert raw.command("PASS password").startswith(f"-ERR [{code}] ".encode())
        raw.login()  # the second PASS is the second occurrence: no fault
        assert raw.command("RETR 1").startswith(b"+OK")
        raw.data_lines()
        assert raw.command("RETR 1") == f"-ERR [{code}] no\r\n".encode()
        raw.close()


def test_error_fault_has_no_side_effect() -> None:
    server = POP3TestServer([PLAIN_MESSAGE], faults=Faults(errors=(ErrorFault("DELE"),)))
    with server.background():
        raw = Raw(server)
        raw.login()
        assert raw.command("DELE 1").startswith(b"-ERR [SYS/TEMP]")
        assert raw.command("QUIT").startswith(b"+OK")
        raw.close()
    assert server.deleted_uids == []


def test_drop_fault_with_unsolicited_error() -> None:
    faults = Faults(drops=(DropFault("STAT", server_text="Server shutting down."),))
    server = POP3TestServer([PLAIN_MESSAGE], faults=faults)
    with server.background():
        raw = Raw(server)
        raw.login()
        assert raw.command("STAT") == b"-ERR Server shutting down.\r\n"
        assert raw.line() == b""
        raw.close()
        assert server.last_session.closed


def test_drop_mid_retr_commits_nothing() -> None:
    faults = Faults(drops=(DropFault("RETR", partial_bytes=30, session=1),))
    server = POP3TestServer([PLAIN_MESSAGE, DOTS], faults=faults)
    with server.background():
        raw = Raw(server)
        raw.login()
        raw.command("DELE 2")
        raw.send("RETR 1")
        received = raw.reader.read()
        whole = f"+OK {len(PLAIN_MESSAGE)} octets\r\n".encode() + PLAIN_MESSAGE
        assert received == whole[:30]
        raw.close()
        raw = Raw(server)  # session 2: the fault does not fire again
        raw.login()
        assert raw.command("STAT").startswith(b"+OK 2 ")
        assert raw.command("RETR 1").startswith(b"+OK")
        raw.close()
    assert server.deleted_uids == []


def test_greeting_faults() -> None:
    server = POP3TestServer([PLAIN_MESSAGE], faults=Faults(errors=(ErrorFault(CONNECT),)))
    with server.background():
        raw = Raw(server)
        assert raw.greeting.startswith(b"-ERR [SYS/TEMP]")
        assert raw.line() == b""
        raw.close()
        server.faults = Faults(drops=(DropFault(CONNECT),))
        raw = Raw(server)
        assert raw.greeting == b""
        raw.close()


def test_stall_fault_never_answers() -> None:
    server = POP3TestServer([PLAIN_MESSAGE], faults=Faults(stalls=(At("UIDL"),)))
    with server.background():
        raw = Raw(server, timeout=0.3)
        raw.login()
        raw.send("UIDL")
        with pytest.raises(TimeoutError):
            raw.line()
        raw.close()


# -- login --------------------------------------------------------------------------------


def test_apop_and_wrong_password() -> None:
    server = POP3TestServer([PLAIN_MESSAGE], user="alice", password="s3cret  pass")
    with server.background():
        client = poplib.POP3(server.host, server.port, timeout=5)
        with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
            client.apop("alice", "wrong")
        client.apop("alice", "s3cret  pass")
        client.quit()
        client = poplib.POP3(server.host, server.port, timeout=5)
        client.user("alice")
        client.pass_("s3cret  pass")  # RFC 1939 allows spaces in the password
        client.quit()
    assert [s.mechanism for s in server.sessions] == ["apop", "user"]
    assert server.sessions[0].commands[1] == "APOP alice ***"
    assert "s3cret" not in repr(server.sessions)


def test_sasl_plain_with_and_without_initial_response() -> None:
    server = POP3TestServer([PLAIN_MESSAGE])
    with server.background():
        raw = Raw(server)
        assert raw.command("AUTH PLAIN " + b64(b"\0user\0nope")).startswith(b"-ERR [AUTH]")
        assert raw.command("AUTH PLAIN") == b"+ \r\n"
        assert raw.command(b64(b"user\0user\0password")).startswith(b"+OK")
        raw.close()
        raw = Raw(server)
        assert raw.command("AUTH LOGIN") == b"+ " + b64(b"Username:").encode() + b"\r\n"
        assert raw.command(b64(b"user")) == b"+ " + b64(b"Password:").encode() + b"\r\n"
        assert raw.command(b64(b"password")).startswith(b"+OK")
        raw.close()
        raw = Raw(server)
        raw.command("AUTH PLAIN")
        assert raw.command("*") == b"-ERR Authentication cancelled.\r\n"
        raw.close()
    assert [s.mechanism for s in server.sessions] == ["plain", "login", None]
    assert server.sessions[0].commands[0] == "AUTH PLAIN ***"


def test_xoauth2_two_step_and_refused_token() -> None:
    server = POP3TestServer([PLAIN_MESSAGE], token="ya29.token")
    with server.background():
        raw = Raw(server)
        assert raw.command("AUTH XOAUTH2") == b"+ \r\n"
        bad = raw.command(b64(b"user=user\x01auth=Bearer wrong\x01\x01"))
        assert json.loads(unb64_challenge(bad))["status"] == "400"
        assert raw.command("").startswith(b"-ERR [AUTH]")
        assert raw.command("AUTH XOAUTH2") == b"+ \r\n"
        assert raw.command(b64(b"user=user\x01auth=Bearer ya29.token\x01\x01")).startswith(b"+OK")
        raw.close()
    assert server.last_session.mechanism == "xoauth2"
    assert server.last_session.sasl_initial_response is False


def test_oauthbearer_checks_the_token() -> None:
    server = POP3TestServer([PLAIN_MESSAGE], token="tok")
    message = b"n,a=user,\x01host=127.0.0.1\x01port=110\x01auth=Bearer %s\x01\x01"
    with server.background():
        raw = Raw(server)
        bad = raw.command("AUTH OAUTHBEARER " + b64(message % b"nope"))
        assert json.loads(unb64_challenge(bad))["status"] == "invalid_token"
        assert raw.command(b64(b"\x01")).startswith(b"-ERR [AUTH]")
        assert raw.command("AUTH OAUTHBEARER " + b64(message % b"tok")).startswith(b"+OK")
        raw.close()
    assert server.last_session.mechanism == "oauthbearer"


def test_oauth_mechanisms_refuse_everything_without_a_configured_token() -> None:
    server = POP3TestServer([PLAIN_MESSAGE])
    with server.background():
        raw = Raw(server)
        raw.command("AUTH XOAUTH2")
        raw.command(b64(b"user=user\x01auth=Bearer \x01\x01"))
        assert raw.command("").startswith(b"-ERR [AUTH]")
        raw.close()


def test_session_lock_gives_in_use() -> None:
    server = POP3TestServer([PLAIN_MESSAGE], lock_wait=0)
    with server.background():
        first = Raw(server)
        first.login()
        second = Raw(server)
        second.command("USER user")
        assert second.command("PASS password").startswith(b"-ERR [IN-USE]")
        first.command("QUIT")
        first.close()
        second.login()  # the lock went with the first session
        second.close()


def test_require_tls_refuses_plaintext_login(certs: CertFiles) -> None:
    server = POP3TestServer(
        [PLAIN_MESSAGE],
        tls="starttls",
        ssl_context=certs.server_context(),
        require_tls_for_login=True,
    )
    with server.background():
        raw = Raw(server)
        lines = capa(raw)
        assert "STLS" in lines and "USER" not in lines
        assert "SASL CRAM-MD5 SCRAM-SHA-256" in lines
        assert raw.command("USER user").startswith(b"-ERR [AUTH] Plaintext")
        assert raw.command("AUTH PLAIN " + b64(b"\0user\0password")).startswith(
            b"-ERR [AUTH] Plaintext"
        )
        raw.close()
        assert server.last_session.secrets_in_clear  # the test server notices, for tests

        client = poplib.POP3(server.host, server.port, timeout=5)
        client.stls(certs.client_context())
        assert "USER" in client.capa()
        client.user("user")
        client.pass_("password")
        client.quit()
        assert server.last_session.encrypted and not server.last_session.secrets_in_clear


# -- TLS ----------------------------------------------------------------------------------


def test_stls_discards_commands_sent_before_the_handshake(certs: CertFiles) -> None:
    server = POP3TestServer([PLAIN_MESSAGE], tls="starttls", ssl_context=certs.server_context())
    with server.background():
        raw = Raw(server)
        raw.send("STLS", "CAPA")  # an injected command riding along with STLS
        assert raw.line() == b"+OK Begin TLS negotiation now.\r\n"
        tls = certs.client_context().wrap_socket(raw.sock, server_hostname="127.0.0.1")
        tls.sendall(b"QUIT\r\n")
        assert tls.recv(100) == b"+OK Logging out.\r\n"
        tls.close()
    assert server.last_session.encrypted


def test_implicit_tls_with_poplib(certs: CertFiles) -> None:
    server = POP3TestServer([PLAIN_MESSAGE], tls="implicit", ssl_context=certs.server_context())
    with server.background():
        client = poplib.POP3_SSL(
            server.host, server.port, context=certs.client_context(), timeout=5
        )
        assert "STLS" not in client.capa()
        client.user("user")
        client.pass_("password")
        assert client.stat() == (1, len(PLAIN_MESSAGE))
        client.quit()
        with pytest.raises(ssl.SSLCertVerificationError):
            poplib.POP3_SSL(
                server.host, server.port, context=ssl.create_default_context(), timeout=5
            )


def test_tls_modes_need_a_context() -> None:
    with pytest.raises(ValueError, match="ssl_context"):
        POP3TestServer(tls="implicit")
    with pytest.raises(ValueError, match="tls must be"):
        POP3TestServer(tls="ssl")
    with pytest.raises(ValueError, match="SASL"):
        POP3TestServer(sasl=["GSSAPI"])


# -- pipelining, life cycle, command line -------------------------------------------------


def test_pipelined_commands_are_answered_in_order_and_counted() -> None:
    server = POP3TestServer([PLAIN_MESSAGE, DOTS])
    with server.background():
        raw = Raw(server)
        raw.login()
        raw.send("LIST 1", "UIDL 2", "NOOP", "TOP 2 0", "STAT")
        assert raw.line().startswith(b"+OK 1 ")
        assert raw.line() == f"+OK 2 {server.uids()[1]}\r\n".encode()
        assert raw.line() == b"+OK\r\n"
        assert raw.line() == b"+OK\r\n"
        assert raw.data_lines() == [b"Subject: dots\r\n", b"\r\n"]
        assert raw.line().startswith(b"+OK 2 ")
        raw.close()
    assert server.last_session.pipelined == 4
    assert server.last_session.verbs[-5:] == ["LIST", "UIDL", "NOOP", "TOP", "STAT"]


def test_listens_on_loopback_only_and_stops_cleanly() -> None:
    server = POP3TestServer([PLAIN_MESSAGE])
    with server.background():
        assert server.host == "127.0.0.1"
        raw = Raw(server)
        assert raw.sock.getpeername()[0] == "127.0.0.1"
        # an idle open session must not keep the server from stopping
    assert raw.line() == b""
    raw.close()
    with pytest.raises(OSError):
        socket.create_connection((server.host, server.port), timeout=1)


def test_command_line_serves_a_maildir(tmp_path: Path) -> None:
    maildir = _maildir(tmp_path / "Maildir", {"new/1.M1P1.host": PLAIN_MESSAGE})
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.pop3server",
            "--maildir",
            str(maildir),
            "--user",
            "demo",
            "--password",
            "demo",
            "--capa",
            "EXPIRE 0",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("listening on 127.0.0.1:")
            port = int(line.rsplit(":", 1)[1])
            client = poplib.POP3("127.0.0.1", port, timeout=5)
            assert "EXPIRE" in client.capa()
            client.user("demo")
            client.pass_("demo")
            assert client.uidl()[1] == [b"1 1.M1P1.host"]
            client.quit()
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
