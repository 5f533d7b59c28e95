"""100 TOPs on loopback against a server that writes ``+OK`` and the data in two segments.

popa3d, Twisted and others answer that way with Nagle's algorithm on: the data segment waits
for the client's ACK of the ``+OK``, which Linux delays up to ~40 ms unless the client asks
for quick ACKs. Both runs use our client in the same process, against the same server, one
command at a time (such servers do not announce PIPELINING): first with the TCP options off
(``low_latency=False``: the kernel's defaults, as before), then on (TCP_NODELAY, TCP_QUICKACK
re-armed after every read).

    python benchmarks/delayed_ack.py [--tops 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tui_mail.pop3 import POP3Client  # noqa: E402

HEADERS = b"From: a@example.org\r\nSubject: segment test\r\nMessage-ID: <x@example.org>\r\n\r\n"


def _serve_one(conn: socket.socket, count: int) -> None:
    """One POP3 session, Nagle left on, every multi-line answer in two writes."""
    with conn, conn.makefile("rb") as lines:
        conn.sendall(b"+OK popa3d-like ready\r\n")
        for raw in lines:
            verb = raw.split(b" ", 1)[0].strip().upper()
            if verb == b"CAPA":
                conn.sendall(b"-ERR unknown command\r\n")  # popa3d: no CAPA
            elif verb in (b"USER", b"PASS", b"NOOP"):
                conn.sendall(b"+OK\r\n")
            elif verb == b"STAT":
                conn.sendall(b"+OK %d %d\r\n" % (count, count * len(HEADERS)))
            elif verb == b"LIST":
                sizes = b"".join(b"%d %d\r\n" % (n, len(HEADERS)) for n in range(1, count + 1))
                conn.sendall(b"+OK\r\n" + sizes + b".\r\n")
            elif verb == b"TOP":
                conn.sendall(b"+OK\r\n")  # first segment ...
                conn.sendall(HEADERS + b".\r\n")  # ... second one, held by Nagle until ACKed
            elif verb == b"QUIT":
                conn.sendall(b"+OK bye\r\n")
                return
            else:
                conn.sendall(b"-ERR what?\r\n")


@contextlib.contextmanager
def two_segment_server(count: int) -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept_loop() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                threading.Thread(target=_serve_one, args=(conn, count), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    try:
        yield port
    finally:
        listener.close()


async def timed_tops(port: int, tops: int, *, low_latency: bool) -> float:
    client = await POP3Client.connect(
        "127.0.0.1",
        port,
        tls="none",
        allow_plaintext=True,
        timeout=30,
        low_latency=low_latency,
    )
    try:
        await client.login("bench", "bench")
        await client.stat()
        await client.list()  # sizes bound each TOP's answer; asked once, not timed
        started = time.perf_counter()
        for number in range(1, tops + 1):
            await client.top(number, 0)
        elapsed = time.perf_counter() - started
        await client.quit()
    finally:
        await client.abort()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tops", type=int, default=100)
    args = parser.parse_args()
    with two_segment_server(args.tops) as port:
        before = asyncio.run(timed_tops(port, args.tops, low_latency=False))
        after = asyncio.run(timed_tops(port, args.tops, low_latency=True))
    print(f"{args.tops} TOPs, loopback, server writes +OK and data in two segments")
    print(f"kernel defaults (baseline, low_latency=False): {before:7.3f} s")
    print(f"TCP_NODELAY + TCP_QUICKACK re-armed:           {after:7.3f} s")
    print(f"speed-up: {before / after:.0f}x")


if __name__ == "__main__":
    main()
