"""``pipelining = "auto" | "on" | "off"`` and the probe that tells whether ``on`` works.

popa3d has no CAPA and Twisted announces "PIPELINE" (a typo), yet both answer pipelined
commands in order: "on" must pipeline there, "auto" only where PIPELINING is announced, "off"
never; the probe must say yes to such a server and no to one that loses pipelined commands.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.pop3server import Faults, POP3TestServer
from tui_mail.accounts import ConfigError
from tui_mail.accounts.config import parse_config
from tui_mail.accounts.config_write import render_config
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.capabilities import PipeliningMode
from tui_mail.pop3.errors import InvalidArgument

MESSAGES = [f"Subject: message {n}\r\n\r\nbody {n}\r\n".encode() for n in range(1, 31)]


async def _list_headers(server: POP3TestServer, mode: PipeliningMode) -> list[tuple[int, bytes]]:
    client = await POP3Client.connect(
        server.host, server.port, tls="none", allow_plaintext=True, timeout=5, pipelining=mode
    )
    try:
        await client.login(server.user, server.password)
        return [item async for item in client.top_many(range(1, 31), 0)]
    finally:
        await client.abort()


@pytest.mark.parametrize(
    ("mode", "announced", "pipelines"),
    [
        ("auto", False, False),
        ("auto", True, True),
        ("on", False, True),
        ("off", True, False),
    ],
)
async def test_the_mode_decides_whether_commands_travel_ahead(
    mode: PipeliningMode, announced: bool, pipelines: bool
) -> None:
    faults = Faults(no_pipelining=not announced)
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        headers = await _list_headers(server, mode)
        assert [number for number, _ in headers] == list(range(1, 31))
        assert headers[4][1].startswith(b"Subject: message 5\r\n")
        assert (server.last_session.pipelined > 0) is pipelines


async def test_on_works_with_a_server_without_capa() -> None:
    async with POP3TestServer(MESSAGES, faults=Faults(no_capa=True)) as server:
        headers = await _list_headers(server, "on")
        assert len(headers) == 30 and server.last_session.pipelined > 0


async def test_an_unknown_mode_is_refused() -> None:
    async with POP3TestServer(MESSAGES) as server:
        with pytest.raises(InvalidArgument):
            await POP3Client.connect(
                server.host,
                server.port,
                tls="none",
                allow_plaintext=True,
                pipelining="yes",  # type: ignore[arg-type]  # refused at run time too
            )


@pytest.mark.parametrize("faults", [Faults(no_pipelining=True), Faults(no_capa=True)])
async def test_probe_says_yes_to_a_server_that_pipelines_silently(faults: Faults) -> None:
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        client = await POP3Client.connect(
            server.host, server.port, tls="none", allow_plaintext=True, timeout=5
        )
        try:
            assert await client.probe_pipelining(timeout=5)
            assert not client.closed
            await client.login(server.user, server.password)  # still in step afterwards
            assert await client.stat() == (30, sum(len(m) for m in MESSAGES))
        finally:
            await client.abort()


async def _one_command_per_read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A server that reads a chunk, answers its first line and throws the rest away."""
    writer.write(b"+OK ready\r\n")
    while data := await reader.read(4096):
        verb = data.split(b"\r\n", 1)[0].upper()
        writer.write(b"-ERR not supported\r\n" if verb == b"CAPA" else b"+OK\r\n")
    writer.close()


async def test_probe_says_no_to_a_server_that_loses_pipelined_commands() -> None:
    server = await asyncio.start_server(_one_command_per_read, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        client = await POP3Client.connect(
            "127.0.0.1", port, tls="none", allow_plaintext=True, timeout=5
        )
        assert not await client.probe_pipelining(timeout=0.5)
        assert client.closed  # out of step: dropped, never QUIT
    finally:
        server.close()


def test_config_accepts_the_modes_and_round_trips(tmp_path: Path) -> None:
    text = (
        '[accounts.a]\nhost = "pop.example.org"\nuser = "u"\npipelining = "on"\nidle_minutes = 2\n'
    )
    account = parse_config(text, tmp_path / "c.toml").account()
    assert account.pipelining == "on" and account.idle_minutes == 2
    again = parse_config(render_config([account]), tmp_path / "c.toml").account()
    assert again == account
    plain = parse_config(text.split("pipelining")[0], tmp_path / "c.toml").account()
    assert plain.pipelining == "auto" and plain.idle_minutes == 5


def test_config_refuses_a_bad_mode_with_its_line(tmp_path: Path) -> None:
    text = '[accounts.a]\nhost = "pop.example.org"\nuser = "u"\npipelining = "yes"\n'
    with pytest.raises(ConfigError, match=r"c.toml:4: accounts.a.pipelining: 'yes' is not one"):
        parse_config(text, tmp_path / "c.toml")
    bad_idle = '[accounts.a]\nhost = "h"\nuser = "u"\nidle_minutes = -1\n'
    with pytest.raises(ConfigError, match=r"c.toml:4: accounts.a.idle_minutes"):
        parse_config(bad_idle, tmp_path / "c.toml")
