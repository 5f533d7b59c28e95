"""Enter on a small message while the list loads: how long until it is on screen?

The real app (TuiMailApp, headless, 80x24) and the real MailSession against a private Dovecot
with 2,000 messages, through a shaped loopback link: 50 ms RTT and 2 Mbit/s each way (the
proxy queues bytes as a slow line does). Cold store, so every header is fetched. As soon as
the first rows are on screen, Enter opens the newest message (a few KB); the figure is the time
from that key press to its text on screen. Measured in one run:

* after: as shipped, the request goes ahead of the header fetch (at most one, adaptive,
  pipelining window of TOP answers in flight before it);
* before: the same app with the session told that nothing is urgent, so the RETR waits
  behind the whole header load (how it was before issue 13).

    python benchmarks/open_while_loading.py [--messages 2000] [--rtt-ms 50] [--mbit 2]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from latency_proxy import LatencyProxy  # noqa: E402
from sample_mail import dovecot_with_mailbox  # noqa: E402

from tests.dovecot import Dovecot  # noqa: E402
from tui_mail.accounts import Account, SecretProvider  # noqa: E402
from tui_mail.session.mail_session import MailSession  # noqa: E402
from tui_mail.store import Store  # noqa: E402
from tui_mail.ui.app import TuiMailApp  # noqa: E402

LIMIT = 600.0


class NothingUrgent(MailSession):
    """The behaviour before issue 13: a body request waits for the sync to finish."""

    def pending(self) -> bool:
        return False


async def open_during_load(
    account: Account, password: str, data_dir: Path, session_class: type[MailSession]
) -> tuple[float, int, int]:
    """(seconds from Enter to the body on screen, headers loaded then, total messages)."""
    secrets = SecretProvider()
    secrets.accept_typed_password(account, password, remember=False)
    with Store.for_account(account, data_dir=data_dir) as store:
        session = session_class(account, store, secrets)
        app = TuiMailApp(session, account_name=account.name, outcome_delay=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await _until(lambda: app.model.total >= 50 and app.mail_screen.message_list.size.height)
            await pilot.pause()
            wanted = app.mail_screen.message_list.highlighted
            assert wanted is not None
            pressed = time.perf_counter()
            await pilot.press("enter")
            await _until(lambda: app.mail_screen.preview.uid == wanted.uid)
            await pilot.pause()  # on screen, not only in the model
            shown = time.perf_counter() - pressed
            loaded = sum(app.model.row_at(i).headers_loaded for i in range(len(app.model)))
            await pilot.press("x")
            await _until(lambda: app.return_code is not None)
        return shown, loaded, len(app.model)


async def _until(condition: object) -> None:
    assert callable(condition)
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > LIMIT:
            raise TimeoutError("never happened")
        await asyncio.sleep(0.002)


async def run(args: argparse.Namespace, dovecot: Dovecot) -> None:
    rate = args.mbit * 1e6 / 8
    proxy = LatencyProxy("127.0.0.1", dovecot.pop3s_port, args.rtt_ms / 2000, bandwidth=rate)
    port = await proxy.start()
    account = Account(
        name="bench",
        host="127.0.0.1",
        port=port,
        tls="implicit",
        user=dovecot.user,
        cafile=Path(dovecot.cafile),
    )
    results = {}
    try:
        for label, kind in (("before", NothingUrgent), ("after", MailSession)):
            with tempfile.TemporaryDirectory(prefix="tui-mail-bench-") as tmp:
                results[label] = await open_during_load(account, dovecot.password, Path(tmp), kind)
    finally:
        await proxy.stop()
    print(
        f"messages: {args.messages}, link: {args.rtt_ms:.0f} ms RTT, {args.mbit:g} Mbit/s; "
        "Enter on the newest message once the first rows show"
    )
    for label in ("before", "after"):
        shown, loaded, _ = results[label]
        print(f"{label:6}: shown {shown:6.2f} s after Enter ({loaded} headers loaded by then)")
    print(f"ratio: {results['before'][0] / results['after'][0]:.1f}x sooner")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--mbit", type=float, default=2.0)
    args = parser.parse_args()
    with dovecot_with_mailbox(args.messages) as (dovecot, _work):
        asyncio.run(run(args, dovecot))


if __name__ == "__main__":
    main()
