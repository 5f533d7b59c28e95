"""A server that never stops talking, lies about sizes or trickles cannot exhaust or stall us.

``tui-mail check`` runs as a subprocess (as cron runs it) against the fault-injecting test
server flooding, or trickling, at every point of a session; each run must end by itself, with
one line on stderr and the child's peak memory (``ru_maxrss`` from ``wait4``) under 100 MB.
The reader's body download is checked in-process against an endless RETR, with the process's
resident memory sampled during the run and the disk use of the body cache measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.pop3server import CONNECT, At, Faults, FloodFault, POP3TestServer
from tests.waiting import until
from tui_mail.accounts import Account, SecretProvider
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.bounds import message_bound
from tui_mail.pop3.errors import AnswerTooLong, CommandTimeout
from tui_mail.session.events import BodyFailed, SessionEvent, SummariesUpdated
from tui_mail.session.mail_session import MailSession, RetryPolicy
from tui_mail.store import Store

PASSWORD = "Hostile-Test-Passw0rd"
MEMORY_LIMIT = 100 * 1024 * 1024  # the bound for every endless-answer server
CHECK = (sys.executable, "-m", "tui_mail", "check")


def message(index: int, body: bytes = b"") -> bytes:
    return (
        b"From: s%d@example.org\r\nSubject: m%d\r\n\r\nbody %d\r\n"
        % (
            index,
            index,
            index,
        )
        + body
    )


@dataclass
class CheckRun:
    status: int
    out: str
    err: str
    peak_rss: int  # bytes
    seconds: float


class CheckSetup:
    def __init__(self, tmp_path: Path, server: POP3TestServer) -> None:
        self.config = tmp_path / "config.toml"
        self.data = tmp_path / "data"
        secret = tmp_path / "secret"
        secret.write_text(PASSWORD + "\n")
        secret.chmod(0o600)
        self.config.write_text(
            "[accounts.work]\n"
            'host = "127.0.0.1"\n'
            f"port = {server.port}\n"
            'tls = "none"\n'
            'user = "user"\n'
            "allow_plaintext = true\n"
            f'password_command = "cat {secret}"\n'
        )
        self.config.chmod(0o600)

    def run(self, *args: str) -> CheckRun:
        env = dict(
            os.environ,
            TUI_MAIL_CONFIG=str(self.config),
            TUI_MAIL_DATA_DIR=str(self.data),
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        )
        peak_file = self.config.parent / "peak-rss"
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", _MEASURED, str(peak_file), *CHECK, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,  # a hang fails here, not at CI's limit
            start_new_session=True,
            check=False,
        )
        seconds = time.monotonic() - started
        peak = int(peak_file.read_text()) * 1024  # ru_maxrss is in KiB on Linux
        return CheckRun(done.returncode, done.stdout.decode(), done.stderr.decode(), peak, seconds)


# Runs the command as a child and records its peak resident memory (the kernel's ru_maxrss).
_MEASURED = """
import resource, subprocess, sys
status = subprocess.run(sys.argv[2:]).returncode
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write(str(peak))
sys.exit(status)
"""


@pytest.fixture
def messages() -> list[bytes]:
    return [message(i) for i in range(1, 6)]


@contextlib.contextmanager
def serve(messages: list[bytes], faults: Faults) -> Iterator[POP3TestServer]:
    with POP3TestServer(messages, password=PASSWORD, faults=faults).background() as server:
        yield server


# -- endless answers at every point ------------------------------------------------------------

FLOOD_POINTS = {
    "greeting": (At(CONNECT), "response line longer than"),
    "CAPA before login": (At("CAPA", occurrence=1), "more than it announced for CAPA"),
    "AUTH": (At("AUTH"), "response line longer than"),
    "STAT": (At("STAT"), "response line longer than"),
    "LIST": (At("LIST"), "more than it announced for LIST"),
    "UIDL": (At("UIDL"), "more than it announced for UIDL"),
    "TOP, every session": (At("TOP", session=0), "more than it announced for TOP"),
}


@pytest.mark.parametrize("point", sorted(FLOOD_POINTS))
def test_an_endless_answer_is_cut_off_with_memory_bounded(
    tmp_path: Path, messages: list[bytes], point: str
) -> None:
    where, words = FLOOD_POINTS[point]
    faults = Faults(floods=(FloodFault(where.command, where.occurrence, where.session),))
    with serve(messages, faults) as server:
        run = CheckSetup(tmp_path, server).run("--deadline", "60")
    assert run.status == 1, run
    assert run.err.startswith("tui-mail: work: ") and words in run.err, run.err
    assert run.err.count("\n") == 1 and "Traceback" not in run.err
    assert run.peak_rss < MEMORY_LIMIT, f"{point}: peak RSS {run.peak_rss / 2**20:.1f} MiB"


def test_a_flooded_top_marks_that_message_and_check_goes_on(
    tmp_path: Path, messages: list[bytes]
) -> None:
    faults = Faults(floods=(FloodFault("TOP", 1, 1),))  # the first TOP of the first session
    with serve(messages, faults) as server:
        setup = CheckSetup(tmp_path, server)
        run = setup.run("--json")
    assert run.status == 0, run.err
    assert '"messages": 5' in run.out and '"degraded": 1' in run.out
    assert run.peak_rss < MEMORY_LIMIT
    with Store.open("127.0.0.1", server.port, "user", data_dir=setup.data) as store:
        rows = store.summaries()
    flooded = [row for row in rows if row.problem]
    assert len(flooded) == 1 and "more than it announced" in flooded[0].problem
    assert sorted(row.subject for row in rows if not row.problem) == ["m1", "m2", "m3", "m4"]


def test_a_flooded_quit_after_a_complete_sync_is_harmless(
    tmp_path: Path, messages: list[bytes]
) -> None:
    with serve(messages, Faults(floods=(FloodFault("QUIT"),))) as server:
        run = CheckSetup(tmp_path, server).run()
    assert (run.status, run.out) == (0, "work: 5 new, 5 unread, 5 messages\n"), run.err


def test_a_huge_but_finite_header_block_is_kept_only_up_to_the_bound(
    tmp_path: Path,
) -> None:
    """12 MB of folded header (announced honestly by LIST): read through, 256 KiB kept."""
    folded = b"X-Junk: start\r\n" + b"\tfold fold fold fold fold fold fold\r\n" * 350_000
    big = b"Subject: big\r\n" + folded + b"\r\nbody\r\n"
    with serve([message(1), big], Faults()) as server:
        setup = CheckSetup(tmp_path, server)
        run = setup.run()
    assert run.status == 0, run.err
    assert run.out == "work: 2 new, 2 unread, 2 messages (1 could not be read fully)\n"
    assert run.peak_rss < MEMORY_LIMIT
    database = next(setup.data.glob("accounts/*/store.sqlite3"))
    assert database.stat().st_size < 2 * 1024 * 1024  # not the 12 MB the server sent


# -- sizes the server made up --------------------------------------------------------------------


def test_absurd_list_sizes_are_clamped_not_crashed_on(
    tmp_path: Path, messages: list[bytes]
) -> None:
    lies = ((1, "9" * 5000), (2, str(2**64)))
    with serve(messages, Faults(listed_sizes=lies)) as server:
        setup = CheckSetup(tmp_path, server)
        run = setup.run()
    assert (run.status, run.out) == (0, "work: 5 new, 5 unread, 5 messages\n"), run.err
    with Store.open("127.0.0.1", server.port, "user", data_dir=setup.data) as store:
        sizes = sorted(row.size for row in store.summaries())
    assert sizes[-1] == sizes[-2] == 10**15 - 1


# -- slow trickles ---------------------------------------------------------------------------------


@pytest.mark.parametrize("point", [At(CONNECT), At("UIDL"), At("TOP")])
def test_check_ends_within_its_deadline_against_a_trickling_server(
    tmp_path: Path, messages: list[bytes], point: At
) -> None:
    faults = Faults(floods=(FloodFault(point.command, rate=200),))
    with serve(messages, faults) as server:
        run = CheckSetup(tmp_path, server).run("--deadline", "4")
    assert run.status == 1
    assert run.err == (
        "tui-mail: work: did not finish within 4 s (--deadline); "
        "the headers fetched by then are kept\n"
    )


async def test_each_command_has_a_deadline_not_only_an_idle_timeout() -> None:
    """200 bytes/s never leaves the link silent, yet the greeting is cut at the timeout."""
    faults = Faults(floods=(FloodFault(CONNECT, rate=200),))
    async with POP3TestServer([message(1)], faults=faults) as server:
        with pytest.raises(CommandTimeout, match="did not complete within 1 s"):
            await POP3Client.connect(
                "127.0.0.1", server.port, tls="none", allow_plaintext=True, timeout=1.0
            )


# -- the reader's body download ----------------------------------------------------------------


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def test_an_endless_retr_is_cut_at_the_announced_size(tmp_path: Path) -> None:
    """LISTed as ~150 bytes, the RETR never ends: cut, connection dropped, message marked."""
    small = message(1)
    faults = Faults(floods=(FloodFault("RETR"),))
    async with POP3TestServer([small, message(2)], faults=faults) as server:
        account = Account(
            name="t",
            host=server.host,
            port=server.port,
            tls="none",
            user=server.user,
            allow_plaintext=True,
        )
        secrets = SecretProvider()
        secrets.accept_typed_password(account, server.password, remember=False)
        events: list[SessionEvent] = []
        with Store.for_account(account, data_dir=tmp_path) as store:
            session = MailSession(account, store, secrets, retry=RetryPolicy(first=60))
            task = asyncio.create_task(session.run(events.append))
            await until(
                lambda: sorted(row.subject for row in store.summaries()) == ["m1", "m2"],
                "the sync",
            )
            uid = next(row.uid for row in store.summaries() if row.subject == "m1")
            before = resident_bytes()
            peak = before
            sampling = True

            async def sample() -> None:
                nonlocal peak
                while sampling:
                    peak = max(peak, resident_bytes())
                    await asyncio.sleep(0.005)

            sampler = asyncio.create_task(sample())
            session.request_body(uid)
            await until(lambda: any(isinstance(e, BodyFailed) for e in events), "the cut")
            sampling = False
            await sampler
            session.shutdown()
            await task
            failed = next(e for e in events if isinstance(e, BodyFailed))
            assert failed.reason == (
                f"the server sent more than it announced ({len(small):,} bytes in LIST); "
                "the download was stopped and the connection dropped"
            )
            marked = [e for e in events if isinstance(e, SummariesUpdated)][-1].summaries[0]
            assert marked.uid == uid and marked.problem == failed.reason
            assert store.bodies.path(uid) is None  # nothing half-downloaded is kept
            leftovers = [p for p in (store.directory / "bodies").iterdir()]
            assert leftovers == []
    assert peak - before < 50 * 1024 * 1024


async def test_retr_writes_no_more_than_the_bound_to_disk() -> None:
    """What reaches the sink (the disk) of an endless RETR stops at its bound."""
    small = message(1)
    async with POP3TestServer([small], faults=Faults(floods=(FloodFault("RETR"),))) as server:
        client = await POP3Client.connect(
            "127.0.0.1", server.port, tls="none", allow_plaintext=True, timeout=10
        )
        await client.login(server.user, server.password)
        sink = io.BytesIO()
        with pytest.raises(AnswerTooLong, match="more than it announced for RETR 1"):
            await client.retr(1, sink)
        assert client.closed
    assert len(sink.getvalue()) <= message_bound(len(small))
