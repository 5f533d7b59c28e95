"""100 DELEs at 50 ms RTT: pipelined (as applying deletions now sends them) vs one at a time.

Against a private Dovecot (which announces PIPELINING) behind a latency proxy, in one run:
the same session state each time (log in, STAT + LIST, then the DELEs), timed from the first
DELE to the last answer. Each session ends without QUIT, so nothing is really deleted and
both runs see the same mailbox. The baseline is what the session did before: one ``DELE``
and its answer per message.

    python benchmarks/deletions.py [--messages 100] [--rtt-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from latency_proxy import latency_proxy_thread  # noqa: E402
from sample_mail import dovecot_with_mailbox  # noqa: E402

from tests.dovecot import Dovecot  # noqa: E402
from tui_mail.pop3 import POP3Client  # noqa: E402


async def timed_deles(port: int, dovecot: Dovecot, count: int, *, pipelined: bool) -> float:
    client = await POP3Client.connect(
        "127.0.0.1", port, tls="implicit", cafile=dovecot.cafile, timeout=60
    )
    try:
        await client.login(dovecot.user, dovecot.password)
        await client.stat()
        await client.list()
        assert client.pipelines, "Dovecot announces PIPELINING"
        numbers = list(range(1, count + 1))
        started = time.perf_counter()
        if pipelined:
            refused = await client.dele_many(numbers)
            assert not refused, refused
        else:
            for number in numbers:
                await client.dele(number)
        return time.perf_counter() - started
    finally:
        await client.abort()  # no QUIT: the server deletes nothing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    args = parser.parse_args()
    with (
        dovecot_with_mailbox(args.messages) as (dovecot, _tmp),
        latency_proxy_thread("127.0.0.1", dovecot.pop3s_port, args.rtt_ms / 2000) as port,
    ):
        one = asyncio.run(timed_deles(port, dovecot, args.messages, pipelined=False))
        piped = asyncio.run(timed_deles(port, dovecot, args.messages, pipelined=True))
    print(f"{args.messages} DELEs, Dovecot at {args.rtt_ms:.0f} ms RTT")
    print(f"one at a time (baseline, as before): {one:7.3f} s")
    print(f"pipelined (dele_many):               {piped:7.3f} s")
    print(f"speed-up: {one / piped:.1f}x")


if __name__ == "__main__":
    main()
