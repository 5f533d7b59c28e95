"""``tui-mail serverinfo``: a report before login, and one clear line on failure."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.certs import CertFiles
from tests.dovecot import Dovecot
from tests.pop3server import POP3TestServer


def serverinfo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_mail", "serverinfo", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.dovecot
def test_implicit_tls_report_against_dovecot(dovecot: Dovecot) -> None:
    done = serverinfo(
        "127.0.0.1", "--port", str(dovecot.pop3s_port), "--cafile", str(dovecot.cafile)
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "greeting:     Dovecot" in out
    assert "tls:          TLSv1." in out
    assert "subject:" in out and "issuer:" in out and "expires:" in out
    assert "UIDL: messages have stable unique ids" in out
    assert "PIPELINING" in out


@pytest.mark.dovecot
def test_starttls_report_against_dovecot(dovecot: Dovecot) -> None:
    done = serverinfo(
        "127.0.0.1",
        "--port",
        str(dovecot.pop3_port),
        "--tls",
        "starttls",
        "--cafile",
        str(dovecot.cafile),
    )
    assert done.returncode == 0, done.stderr
    assert "(STLS)" in done.stdout and "tls:          TLSv1." in done.stdout
    assert "SASL login mechanisms:" in done.stdout  # asked again after the upgrade


@pytest.mark.dovecot
def test_untrusted_certificate_is_one_clear_line(dovecot: Dovecot) -> None:
    done = serverinfo("127.0.0.1", "--port", str(dovecot.pop3s_port))
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "not trusted" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_login_delay_and_expire_are_explained_in_words(certs: CertFiles) -> None:
    server = POP3TestServer(
        [b"Subject: x\r\n\r\nbody\r\n"],
        tls="implicit",
        ssl_context=certs.server_context(),
        extra_capabilities=["EXPIRE 0", "LOGIN-DELAY 300"],
    )
    with server.background():
        done = serverinfo("127.0.0.1", "--port", str(server.port), "--cafile", str(certs.cafile))
    assert done.returncode == 0, done.stderr
    assert "messages are removed from the server once downloaded" in done.stdout
    assert "minimum time between logins: 5 minutes" in done.stdout


def test_plain_server_is_reported_as_unencrypted() -> None:
    with POP3TestServer([], tls="none").background() as server:
        done = serverinfo("127.0.0.1", "--port", str(server.port), "--tls", "none")
    assert done.returncode == 0, done.stderr
    assert "passwords would cross the network in the clear" in done.stdout


def test_connection_refused_is_one_clear_line() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = serverinfo("127.0.0.1", "--port", str(port))
    assert done.returncode == 1
    assert "refused" in done.stderr and len(done.stderr.strip().splitlines()) == 1
