"""``tui-mail serverinfo HOST:PORT``: the port may be written with the host, as users paste it."""

from __future__ import annotations

import pytest

from tests.pop3server import POP3TestServer
from tests.test_serverinfo import serverinfo
from tui_mail.commands.serverinfo import split_host_port


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pop.example.org", ("pop.example.org", None)),
        ("pop.example.org:995", ("pop.example.org", 995)),
        ("127.0.0.1:1100", ("127.0.0.1", 1100)),
        ("[::1]:995", ("::1", 995)),
        ("[::1]", ("::1", None)),
        ("::1", ("::1", None)),  # a bare IPv6 address carries no port
    ],
)
def test_split_host_port(text: str, expected: tuple[str, int | None]) -> None:
    assert split_host_port(text) == expected


@pytest.mark.parametrize("text", ["pop.example.org:pop3", "host:0", "host:70000", "[::1]x"])
def test_bad_ports_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        split_host_port(text)


def test_host_colon_port_probes_that_port() -> None:
    with POP3TestServer([], tls="none").background() as server:
        done = serverinfo(f"127.0.0.1:{server.port}", "--tls", "none")
    assert done.returncode == 0, done.stderr
    assert f"server:       127.0.0.1:{server.port} (no TLS)" in done.stdout


def test_a_port_given_twice_must_agree() -> None:
    done = serverinfo("127.0.0.1:1100", "--port", "995")
    assert done.returncode == 2
    assert "disagree" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = serverinfo("pop.example.org:pop3")
    assert done.returncode == 2 and "port must be a number" in done.stderr
