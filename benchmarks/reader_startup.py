"""Time from starting the reader to the complete list on screen: 1,000 messages, 50 ms RTT.

The real app (TuiMailApp, headless, 80x24) with the real MailSession talks to a private
Dovecot through a latency proxy (implicit TLS). Measured in one run:

* cold: empty store, so every header is fetched (TOP n 0) before the list is complete;
* warm: the store from the cold run; the cached list is on screen before any network
  traffic, and "reconciled" is when the session is online with the server's list checked.

Each is run with the client as shipped (pipelined, window 64) and with a window of one
(one command at a time, the baseline: same app, same session, only the opener differs).
``--with-poplib`` adds the stdlib poplib header loop from list_headers.py for reference.

    python benchmarks/reader_startup.py [--messages 1000] [--rtt-ms 50] [--with-poplib]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from latency_proxy import LatencyProxy, latency_proxy_thread  # noqa: E402
from list_headers import list_with_poplib  # noqa: E402
from sample_mail import dovecot_with_mailbox  # noqa: E402

from tests.dovecot import Dovecot  # noqa: E402
from tui_mail.accounts import Account, SecretProvider  # noqa: E402
from tui_mail.pop3 import POP3Client  # noqa: E402
from tui_mail.session.mail_session import MailSession, Opener  # noqa: E402
from tui_mail.store import Store  # noqa: E402
from tui_mail.ui.app import TuiMailApp  # noqa: E402

POLL = 0.002  # seconds between looks at the screen; small next to any figure measured
LIMIT = 600.0  # give up on a run after this long (the serial cold run takes ~1 min)


@dataclass
class Timing:
    """Seconds from creating the app to: the cached list shown, the reconciled list shown."""

    first_list: float  # every message on screen (from the cache or the server)
    reconciled: float  # and the session online with the server's listing checked


def serial_opener(account: Account, password: str) -> Opener:
    """The baseline: the same login, with one command in flight at a time."""

    async def open_serial() -> POP3Client:
        client = await POP3Client.connect(
            account.host, account.port, tls=account.tls, cafile=account.cafile, pipeline_window=1
        )
        try:
            await client.login(account.user, password)
        except BaseException:
            await client.abort()
            raise
        return client

    return open_serial


async def time_startup(
    account: Account, password: str, data_dir: Path, count: int, opener: Opener | None
) -> Timing:
    """Start the app, wait for the list on screen, then quit without touching the server."""
    secrets = SecretProvider()
    secrets.accept_typed_password(account, password, remember=False)
    with Store.for_account(account, data_dir=data_dir) as store:
        session = MailSession(account, store, secrets, opener=opener)
        started = time.perf_counter()
        app = TuiMailApp(session, account_name=account.name, outcome_delay=0)
        async with app.run_test(size=(80, 24)) as pilot:
            message_list = app.mail_screen.message_list

            def complete() -> bool:
                model = app.model
                return (
                    model.total == count
                    and message_list.size.height > 0
                    and all(model.row_at(i).headers_loaded for i in range(count))
                )

            def online() -> bool:
                text = app.mail_screen.status_bar.text
                return complete() and "online" in text and "headers" not in text

            first = await _wait(pilot, complete, started)
            reconciled = await _wait(pilot, online, started)
            await pilot.press("x")  # quit without deleting; let the session end by itself
            await _wait(pilot, lambda: app.return_code is not None, started)
        return Timing(first, reconciled)


async def _wait(pilot: object, condition: Callable[[], bool], started: float) -> float:
    """Seconds since ``started`` at the first repaint after ``condition`` held."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    while not condition():
        if time.perf_counter() - started > LIMIT:
            raise TimeoutError("the list never became complete")
        await asyncio.sleep(POLL)
    await pilot.pause()  # let the screen catch up: "on screen", not only in the model
    return time.perf_counter() - started


async def run_all(args: argparse.Namespace, dovecot: Dovecot, work: Path) -> None:
    proxy = LatencyProxy("127.0.0.1", dovecot.pop3s_port, args.rtt_ms / 2000)
    port = await proxy.start()
    account = Account(
        name="bench",
        host="127.0.0.1",
        port=port,
        tls="implicit",
        user=dovecot.user,
        cafile=dovecot.cafile,
    )
    password = dovecot.password
    results: dict[str, list[Timing]] = {}
    try:
        for attempt in range(args.repeat):
            for name, opener in (
                ("pipelined", None),
                ("one at a time", serial_opener(account, password)),
            ):
                store_dir = work / f"{name.replace(' ', '-')}-{attempt}"
                for phase in ("cold", "warm"):
                    timing = await time_startup(account, password, store_dir, args.messages, opener)
                    results.setdefault(f"{name} {phase}", []).append(timing)
                    print(
                        f"  {name:<14} {phase}: list {timing.first_list:7.2f} s, "
                        f"reconciled {timing.reconciled:7.2f} s",
                        flush=True,
                    )
    finally:
        await proxy.stop()
    baseline_poplib = None
    if args.with_poplib:
        with latency_proxy_thread("127.0.0.1", dovecot.pop3s_port, args.rtt_ms / 2000) as p:
            baseline_poplib, _ = await asyncio.to_thread(list_with_poplib, p, dovecot)
    report(args, results, baseline_poplib)


def report(
    args: argparse.Namespace, results: dict[str, list[Timing]], poplib_seconds: float | None
) -> None:
    def median(key: str, field: str) -> float:
        return statistics.median(getattr(timing, field) for timing in results[key])

    print(
        f"\nmessages: {args.messages}, RTT {args.rtt_ms:.0f} ms, runs: {args.repeat} "
        "(medians; seconds from creating the app)"
    )
    print(f"{'':<28}{'list on screen':>16}{'reconciled':>14}")
    for key in results:
        print(f"{key:<28}{median(key, 'first_list'):>14.2f} s{median(key, 'reconciled'):>12.2f} s")
    for phase in ("cold", "warm"):
        fast, slow = f"pipelined {phase}", f"one at a time {phase}"
        for field, words in (("first_list", "list on screen"), ("reconciled", "reconciled")):
            ratio = median(slow, field) / median(fast, field)
            print(f"{phase} {words}: one-at-a-time / pipelined = {ratio:.1f}x")
    if poplib_seconds is not None:
        cold = median("pipelined cold", "first_list")
        print(
            f"poplib UIDL + TOP loop (no UI, reference): {poplib_seconds:.2f} s "
            f"({poplib_seconds / cold:.1f}x the pipelined cold start)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--with-poplib", action="store_true")
    args = parser.parse_args()
    with dovecot_with_mailbox(args.messages) as (dovecot, work):
        asyncio.run(_index_once(dovecot))
        asyncio.run(run_all(args, dovecot, work / "stores"))


async def _index_once(dovecot: Dovecot) -> None:
    """One direct login first, so no measured run pays for Dovecot building its index."""
    client = await POP3Client.connect(
        dovecot.host, dovecot.pop3s_port, tls="implicit", cafile=dovecot.cafile
    )
    try:
        await client.login(dovecot.user, dovecot.password)
        await client.uidl()
    finally:
        await client.abort()


if __name__ == "__main__":
    main()
