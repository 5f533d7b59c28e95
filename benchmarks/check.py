"""Time ``tui-mail check`` on 1,000 messages at 50 ms RTT, cold and warm, against a baseline.

Cold: empty store, so every message's headers are fetched (TOP n 0, pipelined). Warm: nothing
new, so the check is login + UIDL + LIST. Both run as real subprocesses (interpreter start-up
included, our modules compiled to bytecode as an installed copy's are), against a private
Dovecot behind a latency proxy. The baseline is a one-command-at-a-time
``poplib`` loop fetching the same headers in the same run.

    python benchmarks/check.py [--messages 1000] [--rtt-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bytecode import compile_tree  # noqa: E402
from latency_proxy import latency_proxy_thread  # noqa: E402
from list_headers import list_with_poplib  # noqa: E402
from sample_mail import dovecot_with_mailbox  # noqa: E402

from tests.dovecot import Dovecot  # noqa: E402


def write_config(tmp: Path, port: int, dovecot: Dovecot) -> Path:
    secret = tmp / "secret"
    secret.write_text(dovecot.password)
    secret.chmod(0o600)
    config = tmp / "config.toml"
    config.write_text(
        "[accounts.bench]\n"
        f'host = "127.0.0.1"\nport = {port}\ntls = "implicit"\n'
        f'user = "{dovecot.user}"\ncafile = "{dovecot.cafile}"\n'
        f'password_command = "cat {secret}"\n'
    )
    config.chmod(0o600)
    return config


def timed_check(config: Path, data_dir: Path) -> tuple[float, dict[str, object]]:
    compile_tree(ROOT)  # as installed (benchmarks/bytecode.py); untimed, a no-op after once
    env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(data_dir))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tui_mail", "check", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"check failed: {done.stderr.strip()}")
    return elapsed, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    args = parser.parse_args()
    with (
        dovecot_with_mailbox(args.messages) as (dovecot, tmp),
        latency_proxy_thread("127.0.0.1", dovecot.pop3s_port, args.rtt_ms / 2000) as port,
    ):
        config = write_config(tmp, port, dovecot)
        data_dir = tmp / "data"
        cold, cold_out = timed_check(config, data_dir)
        warm, warm_out = timed_check(config, data_dir)
        baseline, _ = asyncio.run(asyncio.to_thread(list_with_poplib, port, dovecot))
    print(f"messages: {args.messages}, RTT {args.rtt_ms:.0f} ms")
    print(f"tui-mail check, cold: {cold:7.2f} s  {cold_out}")
    print(f"tui-mail check, warm: {warm:7.2f} s  {warm_out}")
    print(f"poplib one-at-a-time headers (baseline): {baseline:7.2f} s")
    print(f"cold speed-up over baseline: {baseline / cold:.1f}x; warm within 1 s: {warm < 1.0}")


if __name__ == "__main__":
    main()
