"""``pipelining = "on"`` for a server that pipelines without announcing it: auto vs on.

popa3d has no CAPA and Twisted announces "PIPELINE", yet both answer pipelined commands in
order. Against our test server in that mode (PIPELINING not announced, commands still read
in order), through a 50 ms RTT link, one run times login + LIST + UIDL + ``TOP n 0`` for
every message with ``pipelining = "auto"`` (one command at a time, the baseline) and
``"on"``. Prints times and the ratio (quote the ratio: machines are noisy).

    python benchmarks/pipelining_forced.py [--messages 200] [--rtt-ms 50] [--no-capa]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from latency_proxy import LatencyProxy  # noqa: E402
from sample_mail import make_mailbox  # noqa: E402

from tests.pop3server import Faults, POP3TestServer  # noqa: E402
from tui_mail.pop3 import POP3Client  # noqa: E402


async def list_headers(port: int, server: POP3TestServer, mode: str) -> tuple[float, int]:
    """Connect through the proxy, log in, LIST + UIDL, TOP n 0 for every message."""
    started = time.perf_counter()
    client = await POP3Client.connect(
        "127.0.0.1", port, tls="none", allow_plaintext=True, pipelining=mode, timeout=60
    )
    await client.login(server.user, server.password, mechanism="user")
    _sizes, uids = await client.list_and_uidl()
    assert isinstance(uids, dict)
    total = 0
    async for _number, headers in client.top_many(sorted(uids, reverse=True), 0):
        total += len(headers)
    await client.abort()
    return time.perf_counter() - started, total


async def main_async(args: argparse.Namespace) -> None:
    faults = Faults(no_capa=True) if args.no_capa else Faults(no_pipelining=True)
    server = POP3TestServer(make_mailbox(args.messages), faults=faults)
    async with server:
        proxy = LatencyProxy(server.host, server.port, args.rtt_ms / 2000)
        port = await proxy.start()
        try:
            auto, auto_bytes = await list_headers(port, server, "auto")
            forced, forced_bytes = await list_headers(port, server, "on")
        finally:
            await proxy.stop()
    assert auto_bytes == forced_bytes, "the two listings differ"
    what = "no CAPA at all (popa3d)" if args.no_capa else "PIPELINING not announced"
    print(f"messages: {args.messages}, RTT {args.rtt_ms:.0f} ms, server: {what}")
    print(f'pipelining = "auto" (one at a time, baseline): {auto:7.2f} s')
    print(f'pipelining = "on":                              {forced:7.2f} s')
    print(f"speed-up: {auto / forced:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--no-capa", action="store_true", help="a server without CAPA")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
