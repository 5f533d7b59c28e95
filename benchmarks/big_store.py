"""A large mailbox for the UI benchmarks: messages by number, a store filled without a server,
and our test server serving them from a subprocess (so it never shares the measured loop).

Message ``n`` has UID ``m{n:07d}``; a store filled with numbers ``range(a, b)`` knows those
UIDs at message numbers 1.. in that order, with the sizes the server LISTs.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pop3server.mailbox import to_crlf  # noqa: E402
from tui_mail.accounts import Account  # noqa: E402
from tui_mail.store import Store  # noqa: E402

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
SUBJECTS = ("Quarterly report", "会議の議事録について（第３回）", "Re: invoice [/] due", "Lunch?")
USER, PASSWORD = "bench", "bench-password"


def uid_of(number: int) -> str:
    return f"m{number:07d}"


def message(number: int) -> bytes:
    when = NOW - timedelta(minutes=7 * (10**6 - number))
    return to_crlf(
        (
            f"From: Sender {number % 997} <s{number % 997}@example.org>\n"
            "To: me@example.org\n"
            f"Subject: {SUBJECTS[number % 4]} #{number}\n"
            f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\n"
            f"Message-ID: <{number}@bench.example>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\n"
            "\n"
            f"Body of message {number}.\n"
        ).encode()
    )


def header_block(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"


def account_at(port: int) -> Account:
    return Account(
        name="bench",
        host="127.0.0.1",
        port=port,
        tls="none",
        user=USER,
        auth="user",
        allow_plaintext=True,
    )


def fill_store(account: Account, data_dir: Path, numbers: range, batch: int = 5000) -> None:
    """The store as a finished sync of ``numbers`` leaves it (headers cached, all unread)."""
    with Store.for_account(account, data_dir=data_dir) as store:
        listing = {uid_of(n): (i + 1, len(message(n))) for i, n in enumerate(numbers)}
        store.reconcile(listing)
        for start in range(0, len(numbers), batch):
            chunk = numbers[start : start + batch]
            store.add_headers([(uid_of(n), header_block(message(n))) for n in chunk])
        store.record_sync()


@contextlib.contextmanager
def served(numbers: range) -> Iterator[int]:
    """Our test server with messages ``numbers`` in a subprocess; yields its port."""
    child = subprocess.Popen(
        [sys.executable, __file__, str(numbers.start), str(numbers.stop)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield int(child.stdout.readline())
    finally:
        assert child.stdin is not None
        child.stdin.close()  # the server ends when its stdin does
        child.wait(30)


async def _serve(numbers: range) -> None:
    from tests.pop3server import POP3TestServer
    from tests.pop3server.mailbox import Mailbox

    mailbox = Mailbox()
    mailbox.replace_all((uid_of(n), message(n)) for n in numbers)
    async with POP3TestServer(mailbox=mailbox, user=USER, password=PASSWORD) as server:
        print(server.port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(_serve(range(int(sys.argv[1]), int(sys.argv[2]))))
