"""tui-mail and neomutt side by side in a real terminal (tmux 80x24), Dovecot behind a slow link.

Both readers talk plain POP3 (loopback Dovecot, no TLS for either, so neither pays for a
handshake the other skips) through a latency proxy (default 50 ms round trip). Each runs in
its own tmux pane at 80x24 with TERM=xterm; the pane is read with ``capture-pane`` every few
milliseconds and the script records, from starting the program:

* first frame: anything at all on screen;
* first rows: a message row on screen (a subject of the sample mailbox);
* complete: the status bar shows every message and no header download is running
  (tui-mail: ``N messages`` and no ``headers i/N``; neomutt: ``[Msgs:N`` and no
  "Fetching message headers").

Cold runs start from an empty store (tui-mail) or an empty ``header_cache`` directory
(neomutt); warm runs reuse them. tui-mail's cold run is repeated ``--cold-runs`` times (each
from an empty store) and the run with the median first rows is reported: on a shared 2-core
machine one run can be 0.5 s off. Before any reader, one login lets Dovecot index the freshly
delivered mailbox (a real server indexed its mail as it arrived; otherwise the first reader's
login pays ~0.4 s at 10,000 messages for it); ``--unprimed-server`` leaves that in (then
only the first cold run pays it: use ``--cold-runs 1``). At the smallest size each tree is
started once, untimed, first (files in the page cache); every tree is compiled to bytecode
first, as an installed copy is (benchmarks/bytecode.py).
``--other-tree DIR`` also runs the tui-mail in DIR (e.g. ``git archive main | tar -x -C DIR``)
in the same run, its cold runs interleaved with this tree's, for before/after ratios.

neomutt fetches headers one command at a time (``LIST n`` + ``TOP n 0`` per message), so its
cold run at 10,000 messages would take ~17 minutes: it is only run up to
``--neomutt-cold-max`` messages and said so. The one-command-at-a-time
baseline (a stdlib ``poplib`` loop) is timed over ``--serial-sample`` messages and scaled
to the mailbox (its cost is one round trip per command by construction; printed as such).

    python benchmarks/neomutt_compare.py [--sizes 1000 10000] [--rtt-ms 50] [--cold-runs 3]
        [--skip-neomutt] [--neomutt-cold-max 1000] [--other-tree DIR] [--unprimed-server]
"""

from __future__ import annotations

import argparse
import os
import poplib
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bytecode import compile_tree  # noqa: E402
from latency_proxy import latency_proxy_thread  # noqa: E402
from sample_mail import SUBJECTS, dovecot_with_mailbox  # noqa: E402

from tests.dovecot import Dovecot  # noqa: E402

POLL = 0.005  # seconds between looks at the pane
LIMIT = 1800.0  # give up on one run after this long
SOCKET = f"tui-mail-bench-{os.getpid()}"  # a private tmux server, never the user's
# Fixed words of the sample subjects: a row of the list shows one of them.
_ROW_WORDS = re.compile(
    "|".join(re.escape(subject.split("{")[0].strip()[:12]) for subject in SUBJECTS)
)


@dataclass
class Run:
    first_frame: float
    first_rows: float
    complete: float


def tmux(*args: str) -> str:
    done = subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True)
    return done.stdout


def measure(command: str, complete: Callable[[list[str]], bool]) -> Run:
    """Start ``command`` in a fresh 80x24 pane and time what appears on it."""
    tmux("kill-server")
    started = time.perf_counter()
    tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", "bench", command)
    first_frame = first_rows = None
    while True:
        now = time.perf_counter() - started
        if now > LIMIT:
            raise SystemExit(f"gave up after {LIMIT:.0f} s: {command}")
        lines = tmux("capture-pane", "-p", "-t", "bench").splitlines()
        if first_frame is None and any(line.strip() for line in lines):
            first_frame = now
        if first_rows is None and any(_ROW_WORDS.search(line) for line in lines[:-1]):
            first_rows = now
        if first_rows is not None and first_frame is not None and complete(lines):
            run = Run(first_frame, first_rows, now)
            break
        time.sleep(POLL)
    tmux("send-keys", "-t", "bench", "q")
    for _ in range(200):  # let it quit cleanly (tui-mail keeps its store, neomutt its cache)
        if not tmux("list-sessions"):
            break
        time.sleep(0.025)
    tmux("kill-server")
    return run


def tui_mail_command(
    work: Path, port: int, dovecot: Dovecot, data: Path, tree: Path | None = None
) -> str:
    secret = work / "secret"
    secret.write_text(dovecot.password)
    secret.chmod(0o600)
    config = work / "config.toml"
    config.write_text(
        "[accounts.bench]\n"
        f'host = "127.0.0.1"\nport = {port}\ntls = "none"\nallow_plaintext = true\n'
        f'user = "{dovecot.user}"\npassword_command = "cat {secret}"\n'
    )
    config.chmod(0o600)
    env = f"env TERM=xterm TUI_MAIL_CONFIG={config} TUI_MAIL_DATA_DIR={data}"
    command = f"{env} {shlex.quote(sys.executable)} -m tui_mail"
    if tree is not None:  # that tree's tui_mail ahead of the installed one (cwd comes first)
        command = f"cd {shlex.quote(str(tree))} && {command}"
    return command


def tui_mail_complete(count: int) -> Callable[[list[str]], bool]:
    words = re.compile(rf"(?<!\d){count} messages")

    def complete(lines: list[str]) -> bool:
        status = lines[-1] if lines else ""
        return bool(words.search(status)) and "headers" not in status

    return complete


def neomutt_command(work: Path, port: int, dovecot: Dovecot, cache: Path) -> str:
    muttrc = work / "muttrc"
    url = f"pop://{dovecot.user}@127.0.0.1:{port}/"
    muttrc.write_text(
        f'set spoolfile = "{url}"\nset folder = "{url}"\n'
        f'set pop_pass = "{dovecot.password}"\n'
        "set ssl_starttls = no\nset ssl_force_tls = no\n"
        f'set header_cache = "{cache}/"\n'
        "set pop_checkinterval = 0\nset mail_check = 0\nset timeout = 3600\n"
    )
    muttrc.chmod(0o600)
    return f"env TERM=xterm HOME={work} neomutt -n -F {muttrc}"


def neomutt_complete(count: int) -> Callable[[list[str]], bool]:
    def complete(lines: list[str]) -> bool:
        screen = "\n".join(lines)
        return f"[Msgs:{count} " in screen and "Fetching message headers" not in screen

    return complete


def serial_per_message(port: int, dovecot: Dovecot, sample: int) -> float:
    """Seconds per message of the one-command-at-a-time loop (TOP n 0), over ``sample``."""
    pop = poplib.POP3("127.0.0.1", port, timeout=60)
    pop.user(dovecot.user)
    pop.pass_(dovecot.password)
    count = int(pop.stat()[0])
    started = time.perf_counter()
    for number in range(count, max(0, count - sample), -1):
        pop.top(number, 0)
    elapsed = time.perf_counter() - started
    pop.quit()
    return elapsed / min(sample, count)


def prime_server(dovecot: Dovecot) -> float:
    """Log in once (LIST, QUIT) so Dovecot indexes the freshly delivered Maildir; seconds taken.

    A real server has indexed its mail as it arrived; the sample mailbox is dropped into
    ``new/`` all at once, so the first login would pay for indexing every file (~0.4 s at
    10,000 messages, measured) and charge it to whichever reader runs first.
    """
    started = time.perf_counter()
    pop = poplib.POP3("127.0.0.1", dovecot.pop3_port, timeout=60)
    pop.user(dovecot.user)
    pop.pass_(dovecot.password)
    pop.list()
    pop.quit()
    return time.perf_counter() - started


def median_run(runs: list[Run]) -> Run:
    """The run whose first rows are the median (one real run, not a blend of several)."""
    return sorted(runs, key=lambda run: run.first_rows)[len(runs) // 2]


def one_size(count: int, args: argparse.Namespace) -> dict[str, Run | float | list[Run]]:
    results: dict[str, Run | float | list[Run]] = {}
    trees: dict[str, Path | None] = {"tui": None}
    if args.other_tree is not None:
        trees["other"] = args.other_tree.resolve()
    for tree in trees.values():  # bytecode as installed (benchmarks/bytecode.py)
        compile_tree(tree or ROOT)
    with (
        dovecot_with_mailbox(count) as (dovecot, work),
        latency_proxy_thread("127.0.0.1", dovecot.pop3_port, args.rtt_ms / 2000) as port,
    ):
        if not args.unprimed_server:
            results["server priming"] = prime_server(dovecot)
        if count == min(args.sizes) and not args.unprimed_server:
            for name, tree in trees.items():  # not timed: bytecode compiled, files cached
                command = tui_mail_command(work, port, dovecot, work / f"{name}-warm-up", tree)
                measure(command, tui_mail_complete(count))
        colds: dict[str, list[Run]] = {name: [] for name in trees}
        for attempt in range(max(1, args.cold_runs)):
            order = list(trees.items())  # interleaved, ABBA: drift and order hit both alike
            for name, tree in order[::-1] if attempt % 2 else order:
                data = work / f"{name}-data-{attempt}"
                command = tui_mail_command(work, port, dovecot, data, tree)
                colds[name].append(measure(command, tui_mail_complete(count)))
        for name, tree in trees.items():
            results[f"{name} cold"] = median_run(colds[name])
            results[f"{name} cold runs"] = colds[name]
            warm = tui_mail_command(work, port, dovecot, work / f"{name}-data-0", tree)
            results[f"{name} warm"] = measure(warm, tui_mail_complete(count))
        if shutil.which("neomutt") and not args.skip_neomutt:
            cache = work / "neomutt-cache"
            cache.mkdir()
            neomutt = neomutt_command(work, port, dovecot, cache)
            if count <= args.neomutt_cold_max:
                results["neomutt cold"] = measure(neomutt, neomutt_complete(count))
                results["neomutt warm"] = measure(neomutt, neomutt_complete(count))
        results["serial per message"] = serial_per_message(port, dovecot, args.serial_sample)
    return results


def report(count: int, results: dict[str, Run | float | list[Run]], rtt_ms: float) -> None:
    print(f"\n{count} messages, {rtt_ms:.0f} ms RTT, tmux 80x24 (seconds from start)")
    print(f"  {'':14s} {'first frame':>12s} {'first rows':>11s} {'complete':>9s}")
    for name, run in results.items():
        if isinstance(run, Run):
            print(
                f"  {name:14s} {run.first_frame:12.2f} {run.first_rows:11.2f} {run.complete:9.2f}"
            )
    for name in ("tui", "other"):
        runs = results.get(f"{name} cold runs")
        if isinstance(runs, list) and len(runs) > 1:
            shown = ", ".join(f"{run.first_rows:.2f}" for run in runs)
            print(f"  {name} cold first rows, every run: {shown} (median shown above)")
    priming = results.get("server priming")
    if isinstance(priming, float):
        print(f"  server primed first (one login + LIST, Dovecot indexing): {priming:.2f} s")
    per = results["serial per message"]
    assert isinstance(per, float)
    serial = per * count
    print(f"  one command at a time (poplib TOP loop, scaled from a sample): {serial:.1f} s")
    cold = results["tui cold"]
    assert isinstance(cold, Run)
    print(f"  cold complete vs one at a time: {serial / cold.complete:.0f}x faster")
    neomutt_cold, neomutt_warm = results.get("neomutt cold"), results.get("neomutt warm")
    warm = results["tui warm"]
    assert isinstance(warm, Run)
    if isinstance(neomutt_cold, Run) and isinstance(neomutt_warm, Run):
        print(
            f"  cold complete vs neomutt cold: {neomutt_cold.complete / cold.complete:.0f}x faster"
        )
        print(
            f"  warm complete vs neomutt warm: {neomutt_warm.complete / warm.complete:.2f}x "
            "(>= 1: tui-mail no slower)"
        )
    else:
        print("  neomutt: not run at this size (cold would take ~2 round trips per message)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--neomutt-cold-max", type=int, default=1000)
    parser.add_argument("--serial-sample", type=int, default=200)
    parser.add_argument("--skip-neomutt", action="store_true")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument(
        "--other-tree",
        type=Path,
        help="also time the tui-mail in this source tree (its cold runs interleaved)",
    )
    parser.add_argument(
        "--unprimed-server",
        action="store_true",
        help="let the first reader's login pay for Dovecot indexing the new mailbox",
    )
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is needed (Debian: apt-get install tmux)")
    everything = {count: one_size(count, args) for count in args.sizes}
    for count, results in everything.items():
        report(count, results, args.rtt_ms)
    if len(args.sizes) >= 2:
        small, large = everything[min(args.sizes)], everything[max(args.sizes)]
        for name, title in (("other", f"other tree {args.other_tree}: "), ("tui", "")):
            small_cold, large_cold = small.get(f"{name} cold"), large.get(f"{name} cold")
            if not (isinstance(small_cold, Run) and isinstance(large_cold, Run)):
                continue
            print(
                f"\n{title}first rows at {max(args.sizes)} vs {min(args.sizes)}: "
                f"{large_cold.first_rows / small_cold.first_rows:.2f}x (target <= 1.3x)\n"
                f"  {title}after the first frame: "
                f"+{small_cold.first_rows - small_cold.first_frame:.2f} s at {min(args.sizes)}, "
                f"+{large_cold.first_rows - large_cold.first_frame:.2f} s at {max(args.sizes)}"
            )


if __name__ == "__main__":
    main()
