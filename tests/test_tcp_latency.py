"""TCP_NODELAY and TCP_QUICKACK on the POP3 socket (servers that reply in two segments)."""

from __future__ import annotations

import socket
import sys

import pytest

from tests.certs import CertFiles
from tests.pop3_fake import FakeServer, open_client
from tui_mail.pop3 import POP3Client
from tui_mail.pop3 import connection as connection_module
from tui_mail.pop3.tcp import QUICKACK, SocketLike, rearm_quickack, set_low_latency, socket_of

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="TCP_QUICKACK")


def _socket(client: POP3Client) -> socket.socket:
    sock = client._conn._transport.get_extra_info("socket")
    assert sock is not None
    return sock  # type: ignore[no-any-return]


def test_set_low_latency_turns_both_options_on_and_off() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        set_low_latency(sock)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        set_low_latency(sock, enabled=False)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0


def test_refused_options_are_ignored() -> None:
    class Refusing:
        family = socket.AF_INET
        calls = 0

        def setsockopt(self, level: int, optname: int, value: int, /) -> None:
            Refusing.calls += 1
            raise OSError("not supported here")

    sock: SocketLike = Refusing()
    set_low_latency(sock)
    rearm_quickack(sock)
    assert Refusing.calls >= 1


def test_non_tcp_transport_has_no_socket_to_tune() -> None:
    left, right = socket.socketpair()
    with left, right:

        class Transport:
            def get_extra_info(self, name: str) -> object:
                return left if name == "socket" else None

        assert socket_of(Transport()) is None


async def test_pop3_socket_has_nodelay_and_quickack_after_replies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rearmed: list[object] = []

    def spy(sock: SocketLike) -> None:
        rearmed.append(sock)
        rearm_quickack(sock)

    monkeypatch.setattr(connection_module, "rearm_quickack", spy)
    async with FakeServer() as server:
        client = await open_client(server)
        for _ in range(3):
            await client.noop()
        sock = _socket(client)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        if QUICKACK is not None:
            assert sock.getsockopt(socket.IPPROTO_TCP, QUICKACK) != 0
        # greeting, CAPA and three NOOPs: re-armed after every read, on this very socket
        assert len(rearmed) >= 5
        assert all(item is rearmed[0] for item in rearmed)
        await client.quit()


@linux_only
async def test_quickack_is_rearmed_under_tls_too(certs: CertFiles) -> None:
    assert QUICKACK is not None
    async with FakeServer(tls=certs.server_context()) as server:
        client = await POP3Client.connect("127.0.0.1", server.port, cafile=certs.cafile, timeout=5)
        await client.noop()
        sock = _socket(client)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert sock.getsockopt(socket.IPPROTO_TCP, QUICKACK) != 0
        await client.quit()


async def test_baseline_toggle_leaves_the_socket_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    rearmed: list[object] = []
    monkeypatch.setattr(connection_module, "rearm_quickack", rearmed.append)
    async with FakeServer() as server:
        client = await open_client(server, low_latency=False)
        await client.noop()
        assert rearmed == []
        await client.quit()
