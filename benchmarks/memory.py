"""Resident memory of the reader with 2,000 and 10,000 messages (headless, 80x24).

Each figure is a fresh process: the real app, the real session on its thread (offline: the
server's port is closed, so nothing but the cache is shown) over a store filled as a finished
sync leaves it. RSS (``VmRSS`` in /proc/self/status) is read after imports, once the whole
list is on screen, and after paging through it (the row cache full); ``VmHWM`` is the peak.
A bare Textual app (one Static) in the same way is the floor. Target: 10,000 under 60 MB.

Run: python benchmarks/memory.py [--counts 2000 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from big_store import NOW, PASSWORD, account_at, fill_store
from bytecode import compile_tree


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


async def reader(count: int, port: int, data_dir: Path) -> dict[str, float]:
    from tui_mail.accounts import SecretProvider
    from tui_mail.session.mail_session import MailSession, RetryPolicy
    from tui_mail.session.threaded import SessionThread
    from tui_mail.store import Store
    from tui_mail.ui.app import TuiMailApp

    figures = {"imports": status_mb("VmRSS")}
    account = account_at(port)
    secrets = SecretProvider()
    secrets.accept_typed_password(account, PASSWORD, remember=False)
    with Store.for_account(account, data_dir=data_dir) as store:
        session = SessionThread(MailSession(account, store, secrets, retry=RetryPolicy(3600.0)))
        app = TuiMailApp(session, account_name="bench", clock=lambda: NOW, outcome_delay=0)
        async with app.run_test(size=(80, 24)) as pilot:
            while app.model.total < count or "offline" not in app.mail_screen.status_bar.text:
                await pilot.pause(0.01)
            await pilot.pause()
            figures["list on screen"] = status_mb("VmRSS")
            for _ in range(60):
                await pilot.press("ctrl+f")
            await pilot.press("G", "g")
            figures["after paging"] = status_mb("VmRSS")
            await pilot.press("x")
            while app.return_code is None:
                await pilot.pause(0.01)
    figures["peak"] = status_mb("VmHWM")
    return figures


async def hello() -> dict[str, float]:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    figures = {"imports": status_mb("VmRSS")}

    class Hello(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("hello")

    app = Hello()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        figures["list on screen"] = figures["after paging"] = status_mb("VmRSS")
    figures["peak"] = status_mb("VmHWM")
    return figures


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child(arguments: list[str]) -> None:
    if arguments[0] == "hello":
        figures = asyncio.run(hello())
    else:
        count, port, data_dir = int(arguments[0]), int(arguments[1]), Path(arguments[2])
        figures = asyncio.run(reader(count, port, data_dir))
    print(json.dumps(figures))


def measure(*arguments: str) -> dict[str, float]:
    compile_tree(Path(__file__).resolve().parent.parent)  # as installed: no compiling in the child
    out = subprocess.run(
        [sys.executable, __file__, "--child", *arguments],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[2000, 10_000])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    port = closed_port()
    rows = {"bare Textual app": measure("hello")}
    with tempfile.TemporaryDirectory(prefix="tui-mail-memory-") as tmp:
        for count in args.counts:
            data_dir = Path(tmp) / str(count)
            fill_store(account_at(port), data_dir, range(count))
            rows[f"reader, {count:,} messages"] = measure(str(count), str(port), str(data_dir))
    print(f"{'RSS, MB':<26}{'imports':>9}{'list shown':>12}{'paged':>9}{'peak':>9}")
    for name, figures in rows.items():
        print(
            f"{name:<26}{figures['imports']:>9.1f}{figures['list on screen']:>12.1f}"
            f"{figures['after paging']:>9.1f}{figures['peak']:>9.1f}"
        )
    floor = rows["bare Textual app"]["after paging"]
    counts = [name for name in rows if name.startswith("reader")]
    for name in counts:
        over = rows[name]["after paging"] - floor
        print(f"{name}: {over:.1f} MB over the bare app")
    if len(counts) >= 2:
        first, last = rows[counts[0]], rows[counts[-1]]
        per = (last["after paging"] - first["after paging"]) / (args.counts[-1] - args.counts[0])
        print(f"per extra message: {per * 1024:.2f} KB")
    ten = rows.get("reader, 10,000 messages")
    if ten is not None:
        print(f"10,000 messages: {ten['after paging']:.1f} MB (target < 60 MB)")


if __name__ == "__main__":
    main()
