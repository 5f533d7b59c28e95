"""TCP options that keep a request/response protocol from stalling on delayed ACKs.

Many POP3 servers (popa3d, Twisted, ...) write ``+OK`` and the data in two segments with
Nagle's algorithm on: the second segment waits for our ACK of the first, which Linux delays
up to ~40 ms. Every reply then costs 40 ms, even on loopback (100 TOPs: 4.4 s, not 0.04 s).
``TCP_QUICKACK`` makes Linux acknowledge at once, but the kernel drops back to delayed ACKs
on its own, so it is re-armed after every read. ``TCP_NODELAY`` stops our own pipelined
batches waiting on the server's ACKs. Both are best effort: a platform without an option,
or a socket that refuses it, simply keeps the kernel's behaviour.
"""

from __future__ import annotations

import socket
from typing import Any, Final, Protocol

#: Linux only; elsewhere (macOS, Windows) the option does not exist and we skip it.
QUICKACK: Final[int | None] = getattr(socket, "TCP_QUICKACK", None)


class SocketLike(Protocol):
    """What asyncio hands out as ``get_extra_info("socket")`` (a TransportSocket)."""

    @property
    def family(self) -> int: ...

    def setsockopt(self, level: int, optname: int, value: int, /) -> None: ...


def socket_of(transport: Any) -> SocketLike | None:
    """The TCP socket under an asyncio transport (also under TLS), or None (e.g. a pipe)."""
    sock = transport.get_extra_info("socket")
    if sock is None or getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
        return None
    return sock  # type: ignore[no-any-return]


def set_low_latency(sock: SocketLike, enabled: bool = True) -> None:
    """Turn TCP_NODELAY and TCP_QUICKACK on (or, for a benchmark's baseline, off)."""
    value = 1 if enabled else 0
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, value)
    except OSError:
        pass
    if QUICKACK is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, value)
        except OSError:
            pass


def rearm_quickack(sock: SocketLike) -> None:
    """After a read: Linux left quick-ACK mode on its own, so ask again (one syscall)."""
    if QUICKACK is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
        except OSError:
            pass
