"""Time ``tui-mail fetch`` of 1,000 messages at 50 ms RTT against mpop and a poplib loop.

All three download every message of the same private Dovecot (implicit TLS, verified) behind
a latency proxy into a Maildir, in the same run: ``tui-mail fetch`` (pipelined RETR, each
file fsynced before its ledger row), mpop (Debian ``mpop``, ``keep on``, ``delivery
maildir``; skipped with a note if it is not installed) and the one-command-at-a-time
baseline (``poplib``: RETR, write, next). Then each again with nothing new. Subprocesses, so
interpreter start-up counts for tui-mail as for mpop.

    python benchmarks/fetch.py [--messages 1000] [--rtt-ms 50]
"""

from __future__ import annotations

import argparse
import mailbox
import os
import poplib
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from check import write_config  # noqa: E402
from latency_proxy import latency_proxy_thread  # noqa: E402
from sample_mail import dovecot_with_mailbox  # noqa: E402

from tests.dovecot import Dovecot  # noqa: E402


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed


def count(maildir: Path) -> int:
    return len(mailbox.Maildir(maildir, factory=None, create=False).keys())


def tui_mail_fetch(config: Path, data: Path) -> float:
    env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(data))
    return timed([sys.executable, "-m", "tui_mail", "fetch"], env)


def mpop_fetch(tmp: Path, port: int, dovecot: Dovecot, maildir: Path) -> float:
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    rc = tmp / "mpoprc"
    rc.write_text(
        "defaults\n"
        "tls on\ntls_starttls off\n"
        f"tls_trust_file {dovecot.cafile}\n"
        "keep on\n"
        f"uidls_file {tmp / 'mpop-uidls'}\n"
        "account bench\n"
        f"host 127.0.0.1\nport {port}\nuser {dovecot.user}\n"
        f"passwordeval cat {tmp / 'secret'}\n"
        "auth user\n"
        f"delivery maildir {maildir}\n"
    )
    rc.chmod(0o600)
    return timed(["mpop", "-C", str(rc), "-q", "bench"], dict(os.environ))


def poplib_fetch(port: int, dovecot: Dovecot, maildir: Path) -> float:
    """One command, one round trip: RETR, deliver, next (no pipelining, no ledger)."""
    box = mailbox.Maildir(maildir, factory=None, create=True)
    started = time.perf_counter()
    context = ssl.create_default_context(cafile=dovecot.cafile)
    pop = poplib.POP3_SSL("127.0.0.1", port, context=context, timeout=60)
    pop.user(dovecot.user)
    pop.pass_(dovecot.password)
    _resp, listing, _octets = pop.uidl()
    for entry in listing:
        number = int(entry.split()[0])
        _resp, lines, _octets = pop.retr(number)
        box.add(b"\n".join(lines) + b"\n")
    pop.quit()
    return time.perf_counter() - started


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
        ours_cold = tui_mail_fetch(config, tmp / "data")
        ours_warm = tui_mail_fetch(config, tmp / "data")
        ours = count(tmp / "data" / "mail" / "bench")
        if shutil.which("mpop"):
            mpop_cold = mpop_fetch(tmp, port, dovecot, tmp / "mpop-mail")
            mpop_warm = mpop_fetch(tmp, port, dovecot, tmp / "mpop-mail")
            theirs = count(tmp / "mpop-mail")
        else:
            mpop_cold = mpop_warm = float("nan")
            theirs = 0
        baseline = poplib_fetch(port, dovecot, tmp / "poplib-mail")
    print(f"messages: {args.messages}, RTT {args.rtt_ms:.0f} ms (Dovecot, implicit TLS)")
    print(f"tui-mail fetch, cold: {ours_cold:7.2f} s  ({ours} stored)")
    print(f"tui-mail fetch, nothing new: {ours_warm:7.2f} s")
    if theirs:
        print(f"mpop, cold:           {mpop_cold:7.2f} s  ({theirs} stored)")
        print(f"mpop, nothing new:    {mpop_warm:7.2f} s")
        print(f"tui-mail / mpop, cold: {ours_cold / mpop_cold:.2f}x the time")
    else:
        print("mpop: not installed (apt-get install mpop), skipped")
    print(f"poplib one-at-a-time (baseline): {baseline:7.2f} s")
    print(f"speed-up over baseline, cold: {baseline / ours_cold:.1f}x")


if __name__ == "__main__":
    main()
