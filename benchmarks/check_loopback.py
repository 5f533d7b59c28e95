"""Time a cold ``tui-mail check`` on loopback against a stdlib ``poplib`` loop, same Dovecot.

On loopback the network costs almost nothing, so this measures our local work per message
(header parsing, SQLite, Python objects): the issue's target is a cold check at 20,000
messages at least 2x faster than the naive loop that fetches the same headers and keeps
nothing. ``--profile FILE`` also runs one cold check in-process under cProfile and writes the
stats there (``python -m pstats FILE``).

The server is primed first (one login and listing: Dovecot indexes a freshly delivered
mailbox at its first login, which no reader should be charged for). Each run is a cold check
followed by the poplib loop, so every run has its own ratio on this noisy shared machine;
the worst of them is the figure that says "robustly".

    python benchmarks/check_loopback.py [--messages 20000] [--runs 3] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import poplib
import shutil
import ssl
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from check import timed_check, write_config  # noqa: E402
from list_headers import list_with_poplib  # noqa: E402
from sample_mail import dovecot_with_mailbox  # noqa: E402

from tests.dovecot import Dovecot  # noqa: E402


def prime(port: int, dovecot: Dovecot) -> float:
    """Log in and list once, so the server has indexed the mailbox; returns the time taken."""
    started = time.perf_counter()
    context = ssl.create_default_context(cafile=dovecot.cafile)
    pop = poplib.POP3_SSL("127.0.0.1", port, context=context, timeout=120)
    pop.user(dovecot.user)
    pop.pass_(dovecot.password)
    pop.uidl()
    pop.quit()
    return time.perf_counter() - started


def profile_check(config: Path, data_dir: Path, out: Path) -> float:
    """One cold check in this process, under cProfile; returns its wall time."""
    from tui_mail.cli import main as cli_main

    os.environ["TUI_MAIL_CONFIG"] = str(config)
    os.environ["TUI_MAIL_DATA_DIR"] = str(data_dir)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    try:
        cli_main(["check"])
    except SystemExit:
        pass
    profiler.disable()
    elapsed = time.perf_counter() - started
    profiler.dump_stats(out)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3, help="cold check + baseline pairs")
    parser.add_argument("--profile", type=Path, help="write a cProfile of one cold check here")
    args = parser.parse_args()
    with dovecot_with_mailbox(args.messages) as (dovecot, tmp):
        port = dovecot.pop3s_port
        config = write_config(tmp, port, dovecot)
        priming = prime(port, dovecot)
        colds: list[float] = []
        baselines: list[float] = []
        for run in range(args.runs):
            data_dir = tmp / f"data{run}"
            colds.append(timed_check(config, data_dir)[0])
            shutil.rmtree(data_dir)
            baselines.append(asyncio.run(asyncio.to_thread(list_with_poplib, port, dovecot))[0])
        warm_dir = tmp / "warm"
        timed_check(config, warm_dir)
        warm, _ = timed_check(config, warm_dir)
        if args.profile is not None:
            profiled = profile_check(config, tmp / "profiled", args.profile)
            print(f"profiled cold check: {profiled:.2f} s (cProfile overhead included)")
    ratios = [baseline / cold for cold, baseline in zip(colds, baselines, strict=True)]
    print(f"messages: {args.messages}, loopback (no proxy), implicit TLS")
    print(f"server priming (first login + listing, not counted): {priming:.2f} s")
    for run, (cold, baseline, ratio) in enumerate(zip(colds, baselines, ratios, strict=True)):
        print(
            f"run {run + 1}: tui-mail check, cold {cold:5.2f} s; poplib one-at-a-time headers "
            f"{baseline:5.2f} s; {ratio:.2f}x faster ({cold / baseline:.2f} of the baseline)"
        )
    print(f"tui-mail check, warm: {warm:7.2f} s")
    print(
        f"cold check vs baseline: worst run {min(ratios):.2f}x, median "
        f"{statistics.median(ratios):.2f}x faster (target >= 2x)"
    )


if __name__ == "__main__":
    main()
