"""Time login + UIDL + TOP headers for 1,000 messages through a 50 ms RTT link.

Compares, in one run against the same Dovecot: our pipelined client, our client with a window
of one (one command at a time), and a stdlib ``poplib`` loop (what most scripts do). Prints
times and ratios; machines are noisy, so the ratio is the figure to quote.

    python benchmarks/list_headers.py [--messages 1000] [--rtt-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import poplib
import ssl
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from latency_proxy import LatencyProxy, latency_proxy_thread  # noqa: E402
from sample_mail import dovecot_with_mailbox  # noqa: E402

from tests.dovecot import Dovecot  # noqa: E402
from tui_mail.pop3 import POP3Client  # noqa: E402


async def list_with_client(port: int, dovecot: Dovecot, window: int) -> tuple[float, int]:
    """Connect through the proxy, log in, UIDL + LIST, TOP n 0 for every message."""
    started = time.perf_counter()
    client = await POP3Client.connect(
        "127.0.0.1", port, tls="implicit", cafile=dovecot.cafile, pipeline_window=window
    )
    await client.login(dovecot.user, dovecot.password)
    uids = await client.uidl()
    total = 0
    async for _number, headers in client.top_many(sorted(uids, reverse=True), 0):
        total += len(headers)
    await client.quit()
    return time.perf_counter() - started, total


def list_with_poplib(port: int, dovecot: Dovecot) -> tuple[float, int]:
    """The classic loop: one command, one round trip, as poplib (and neomutt) do it."""
    started = time.perf_counter()
    context = ssl.create_default_context(cafile=dovecot.cafile)
    pop = poplib.POP3_SSL("127.0.0.1", port, context=context, timeout=60)
    pop.user(dovecot.user)
    pop.pass_(dovecot.password)
    _resp, listing, _octets = pop.uidl()
    total = 0
    for entry in reversed(listing):
        number = int(entry.split()[0])
        _resp, lines, _octets = pop.top(number, 0)
        total += sum(len(line) + 2 for line in lines)
    pop.quit()
    return time.perf_counter() - started, total


async def main_async(args: argparse.Namespace, dovecot: Dovecot) -> None:
    one_way = args.rtt_ms / 2000
    proxy = LatencyProxy("127.0.0.1", dovecot.pop3s_port, one_way)
    port = await proxy.start()
    try:
        piped, piped_bytes = await list_with_client(port, dovecot, args.window)
        serial, serial_bytes = await list_with_client(port, dovecot, 1)
    finally:
        await proxy.stop()
    with latency_proxy_thread("127.0.0.1", dovecot.pop3s_port, one_way) as sync_port:
        baseline, base_bytes = await asyncio.to_thread(list_with_poplib, sync_port, dovecot)
    print(f"messages: {args.messages}, RTT {args.rtt_ms:.0f} ms, header bytes {piped_bytes}")
    print(f"tui-mail pipelined (window {args.window}): {piped:8.2f} s")
    print(f"tui-mail one at a time:           {serial:8.2f} s  ({serial / piped:5.1f}x slower)")
    print(f"poplib one at a time (baseline):  {baseline:8.2f} s  ({baseline / piped:5.1f}x slower)")
    print(f"speed-up over baseline: {baseline / piped:.1f}x")
    assert piped_bytes == serial_bytes, "pipelined and serial listings differ"
    assert abs(piped_bytes - base_bytes) <= args.messages * 4, (piped_bytes, base_bytes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--window", type=int, default=128)
    args = parser.parse_args()
    with dovecot_with_mailbox(args.messages) as (dovecot, _work):
        asyncio.run(main_async(args, dovecot))


if __name__ == "__main__":
    main()
