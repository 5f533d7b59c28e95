"""What a hostile server costs us: memory, disk and time against endless, huge and slow answers.

Prints, for ``tui-mail check`` run as a process (as cron runs it) against the fault-injecting
test server flooding at each point of a session: the exit status, the wall time and the
child's peak resident memory (``ru_maxrss``). Then the disk a reader session writes for an
endless RETR of a message LISTed as ~150 bytes (sampled while it runs), and how long `check`
takes against a server trickling at 200 bytes/s, with its default and a short ``--deadline``.

    python benchmarks/hostile_server.py [--quick]

These are bounds, not speeds: the numbers to read are "peak RSS < 100 MB", "disk <= the
announced size x 2 + 64 KiB" and "check ends by its deadline".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests.pop3server import CONNECT, At, Faults, FloodFault, POP3TestServer  # noqa: E402
from tui_mail.accounts import Account, SecretProvider  # noqa: E402
from tui_mail.pop3.bounds import message_bound  # noqa: E402
from tui_mail.session.events import BodyFailed, SessionEvent  # noqa: E402
from tui_mail.session.mail_session import MailSession, RetryPolicy  # noqa: E402
from tui_mail.store import Store  # noqa: E402

PASSWORD = "Bench-Passw0rd"
CHECK = (sys.executable, "-m", "tui_mail", "check")
MEASURED = """
import resource, subprocess, sys
status = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(status)
"""


def message(index: int) -> bytes:
    return b"From: s%d@example.org\r\nSubject: m%d\r\n\r\nbody %d\r\n" % (index, index, index)


def run_check(server: POP3TestServer, tmp: Path, *args: str) -> tuple[int, float, float]:
    """(exit status, seconds, peak RSS MiB) of one `tui-mail check` process."""
    secret = tmp / "secret"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    config = tmp / "config.toml"
    config.write_text(
        f'[accounts.work]\nhost = "127.0.0.1"\nport = {server.port}\ntls = "none"\n'
        f'user = "user"\nallow_plaintext = true\npassword_command = "cat {secret}"\n'
    )
    config.chmod(0o600)
    env = dict(
        os.environ,
        TUI_MAIL_CONFIG=str(config),
        TUI_MAIL_DATA_DIR=str(tmp / "data"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    peak_file = tmp / "peak"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, str(peak_file), *CHECK, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=900,
        check=False,
    )
    seconds = time.monotonic() - started
    return done.returncode, seconds, int(peak_file.read_text()) / 1024


def floods() -> None:
    points = [
        ("nothing (a normal server)", None),
        ("greeting", At(CONNECT)),
        ("CAPA in clear", At("CAPA", occurrence=1)),
        ("AUTH", At("AUTH")),
        ("STAT", At("STAT")),
        ("LIST", At("LIST")),
        ("UIDL", At("UIDL")),
        ("TOP, every session", At("TOP", session=0)),
        ("TOP, first session only", At("TOP", session=1)),
        ("QUIT", At("QUIT")),
    ]
    print("tui-mail check against a server that floods at one point (loopback, full speed)")
    print(f"{'flooding at':<28}{'exit':>5}{'seconds':>9}{'peak RSS':>11}")
    for name, where in points:
        faults = (
            Faults()
            if where is None
            else Faults(floods=(FloodFault(where.command, where.occurrence, where.session),))
        )
        with (
            tempfile.TemporaryDirectory() as tmp,
            POP3TestServer(
                [message(i) for i in range(1, 6)], password=PASSWORD, faults=faults
            ).background() as server,
        ):
            status, seconds, peak = run_check(server, Path(tmp))
        print(f"{name:<28}{status:>5}{seconds:>9.2f}{peak:>8.1f} MiB")


def trickles(quick: bool) -> None:
    print("\ntui-mail check against a server trickling endlessly at 200 bytes/s")
    print(f"{'trickling at':<28}{'--deadline':>11}{'exit':>5}{'seconds':>9}")
    deadlines = ["10"] if quick else ["10", "120 (default)"]
    for point in (CONNECT, "UIDL", "TOP"):
        for deadline in deadlines:
            args = ("--deadline", deadline) if deadline == "10" else ()
            faults = Faults(floods=(FloodFault(point, rate=200),))
            with (
                tempfile.TemporaryDirectory() as tmp,
                POP3TestServer(
                    [message(i) for i in range(1, 6)], password=PASSWORD, faults=faults
                ).background() as server,
            ):
                status, seconds, _peak = run_check(server, Path(tmp), *args)
            print(f"{point:<28}{deadline:>11}{status:>5}{seconds:>9.2f}")


async def endless_retr(body_bytes: int) -> None:
    """Disk written for a RETR that never ends, of a message LISTed with ``body_bytes`` more."""
    small = message(1) + b"x" * body_bytes + b"\r\n"
    faults = Faults(floods=(FloodFault("RETR"),))
    async with POP3TestServer([small], faults=faults) as server:
        account = Account(
            name="b", host=server.host, port=server.port, tls="none", user=server.user,
            allow_plaintext=True,
        )  # fmt: skip
        secrets = SecretProvider()
        secrets.accept_typed_password(account, server.password, remember=False)
        events: list[SessionEvent] = []
        with (
            tempfile.TemporaryDirectory() as tmp,
            Store.for_account(account, data_dir=Path(tmp)) as store,
        ):
            written = 0
            real_writer = store.bodies.writer

            @contextlib.contextmanager
            def counting_writer(uid: str) -> Iterator[object]:
                with real_writer(uid) as sink:

                    class Counting:
                        def write(self, data: bytes) -> int:
                            nonlocal written
                            written += len(data)
                            return sink.write(data)

                    yield Counting()

            store.bodies.writer = counting_writer  # type: ignore[method-assign]
            session = MailSession(account, store, secrets, retry=RetryPolicy(first=60))
            task = asyncio.create_task(session.run(events.append))
            while not store.summaries() or not all(r.headers_loaded for r in store.summaries()):
                await asyncio.sleep(0.01)
            started = time.monotonic()
            session.request_body(store.summaries()[0].uid)
            while not any(isinstance(event, BodyFailed) for event in events):
                await asyncio.sleep(0.001)
            seconds = time.monotonic() - started
            session.shutdown()
            await task
            left = sum(f.stat().st_size for f in (store.directory / "bodies").iterdir())
    print(f"\nreader session, RETR of a message LISTed as {len(small):,} bytes that never ends")
    print(f"  cut off after {seconds:.3f} s; bound {message_bound(len(small)):,} bytes")
    print(f"  written to the body cache before the cut: {written:,} bytes; left after: {left:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the default-deadline runs")
    args = parser.parse_args()
    floods()
    asyncio.run(endless_retr(0))
    asyncio.run(endless_retr(1024 * 1024))
    trickles(args.quick)


if __name__ == "__main__":
    main()
