"""Time a cold ``tui-mail check`` on loopback against a stdlib ``poplib`` loop, same Dovecot.

On loopback the network costs almost nothing, so this measures our local work per message
(header parsing, SQLite, Python objects): the issue's target is a cold check at 20,000
messages at least 2x faster than the naive loop that fetches the same headers and keeps
nothing. ``--profile FILE`` also runs one cold check in-process under cProfile and writes the
stats there (``python -m pstats FILE``).

    python benchmarks/check_loopback.py [--messages 20000] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from check import timed_check, write_config  # noqa: E402
from list_headers import list_with_poplib  # noqa: E402
from sample_mail import dovecot_with_mailbox  # noqa: E402


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
    parser.add_argument("--runs", type=int, default=2, help="cold checks (best is quoted)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of one cold check here")
    args = parser.parse_args()
    with dovecot_with_mailbox(args.messages) as (dovecot, tmp):
        port = dovecot.pop3s_port
        config = write_config(tmp, port, dovecot)
        colds = []
        for run in range(args.runs):
            data_dir = tmp / f"data{run}"
            colds.append(timed_check(config, data_dir)[0])
            shutil.rmtree(data_dir)
        warm_dir = tmp / "warm"
        timed_check(config, warm_dir)
        warm, _ = timed_check(config, warm_dir)
        baseline, _ = asyncio.run(asyncio.to_thread(list_with_poplib, port, dovecot))
        if args.profile is not None:
            profiled = profile_check(config, tmp / "profiled", args.profile)
            print(f"profiled cold check: {profiled:.2f} s (cProfile overhead included)")
    cold = min(colds)
    print(f"messages: {args.messages}, loopback (no proxy), implicit TLS")
    print(f"tui-mail check, cold: {cold:7.2f} s  (runs: {', '.join(f'{c:.2f}' for c in colds)})")
    print(f"tui-mail check, warm: {warm:7.2f} s")
    print(f"poplib one-at-a-time headers (baseline): {baseline:7.2f} s")
    print(f"cold check vs baseline: {baseline / cold:.2f}x faster (target >= 2x)")


if __name__ == "__main__":
    main()
