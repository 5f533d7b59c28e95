"""``tui-mail serverinfo``: a report before login, and one clear line on failure."""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.certs import CertFiles
from tests.dovecot import Dovecot
from tests.pop3server import Faults, POP3TestServer
from tui_mail.pop3.certificate import CertificateDetails


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
def test_untrusted_certificate_is_shown_in_full(dovecot: Dovecot, tmp_path: Path) -> None:
    done = serverinfo("127.0.0.1", "--port", str(dovecot.pop3s_port))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "not trusted" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    out = done.stdout
    assert "certificate:  NOT TRUSTED" in out
    assert "subject:" in out and "issuer:" in out and "valid:" in out
    assert re.search(r"sha256: +([0-9A-F]{2}:){31}[0-9A-F]{2}\n", out), out
    assert "--save-cert FILE" in out
    saved = tmp_path / "dovecot.pem"
    done = serverinfo("127.0.0.1", "--port", str(dovecot.pop3s_port), "--save-cert", str(saved))
    assert done.returncode == 1 and "saved:" in done.stdout
    trusted = serverinfo("127.0.0.1", "--port", str(dovecot.pop3s_port), "--cafile", str(saved))
    assert trusted.returncode == 0, trusted.stderr
    assert "PIPELINING" in trusted.stdout and "pipelining:" not in trusted.stdout


@pytest.mark.parametrize("tls", ["implicit", "starttls"])
def test_save_cert_writes_a_pem_that_works_as_cafile(
    certs: CertFiles, tmp_path: Path, tls: str
) -> None:
    server = POP3TestServer(
        [b"Subject: x\r\n\r\nbody\r\n"], tls=tls, ssl_context=certs.server_context()
    )
    saved = tmp_path / "server.pem"
    with server.background():
        port = str(server.port)
        refused = serverinfo("127.0.0.1", "--port", port, "--tls", tls, "--save-cert", str(saved))
        trusted = serverinfo("127.0.0.1", "--port", port, "--tls", tls, "--cafile", str(saved))
    assert refused.returncode == 1, refused.stderr
    assert "issuer:       CN=tui-mail test CA" in refused.stdout
    assert "names:        localhost, 127.0.0.1" in refused.stdout
    pem = saved.read_text()
    assert pem.startswith("-----BEGIN CERTIFICATE-----") and saved.stat().st_mode & 0o777 == 0o600
    assert trusted.returncode == 0, trusted.stderr
    # the same fingerprint as the one shown before trusting it
    shown = re.search(r"sha256: +(\S+)", refused.stdout)
    assert shown is not None and f"sha256:       {shown.group(1)}" in trusted.stdout
    assert all(s.user is None for s in server.sessions)  # never logged in


def test_certificate_details_name_the_host_they_cover(certs: CertFiles) -> None:
    der = ssl.PEM_cert_to_DER_cert(certs.certfile.read_text())
    details = CertificateDetails.from_der(der)
    assert details.matches_host("127.0.0.1") and details.matches_host("LOCALHOST")
    assert not details.matches_host("pop.example.org")
    assert details.fingerprint == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert not details.self_signed
    later = details.not_after + timedelta(days=1)
    assert details.validity_words(later).endswith("(EXPIRED)")


@pytest.mark.parametrize("faults", [Faults(no_pipelining=True), Faults(no_capa=True)])
def test_pipelining_on_is_suggested_when_a_probe_works(faults: Faults) -> None:
    with POP3TestServer([], tls="none", faults=faults).background() as server:
        done = serverinfo("127.0.0.1", "--port", str(server.port), "--tls", "none")
    assert done.returncode == 0, done.stderr
    assert 'set pipelining = "on"' in done.stdout


def test_pipelining_is_not_probed_when_announced() -> None:
    with POP3TestServer([], tls="none").background() as server:
        done = serverinfo("127.0.0.1", "--port", str(server.port), "--tls", "none")
    assert done.returncode == 0, done.stderr
    assert "pipelining:" not in done.stdout
    assert server.sessions[-1].pipelined == 0


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
