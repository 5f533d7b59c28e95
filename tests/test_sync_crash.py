"""kill -9 in the middle of a real sync, many times: the store stays consistent and complete.

A child process runs ``sync_mailbox`` against the POP3 test server (running in a thread of
this process) with small header batches, printing a line per committed batch. The parent
kills it with SIGKILL at a random moment: during login, the listing, the reconcile, or after
a random number of batches. Between rounds mail arrives and some disappears, and some rounds
run against a server without TOP so whole messages are written to the body cache while the
kill may land. After every kill the store must pass SQLite's checks and hold only rows that
agree with the server; a final uninterrupted sync must leave exactly the server's messages.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.pop3server import Faults, POP3TestServer
from tui_mail.session.identity import header_block
from tui_mail.store import Store, body_file_name

MESSAGES = 1200
BATCH = 20
ROUNDS = 8

CHILD = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from tui_mail.pop3 import POP3Client
    from tui_mail.session.sync import sync_mailbox
    from tui_mail.store import Store

    port, data_dir, batch = int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])

    async def main():
        client = await POP3Client.connect("127.0.0.1", port, tls="none",
                                          allow_plaintext=True, timeout=10)
        await client.login("user", "password")
        print("ready", flush=True)
        with Store.open("127.0.0.1", port, "user", data_dir=data_dir) as store:
            result = await sync_mailbox(client, store, batch_size=batch,
                                        on_rows=lambda rows: print("batch", flush=True))
        await client.quit()
        print("done", result.new, result.total, result.headers_fetched, flush=True)

    asyncio.run(main())
""")


def message(index: int) -> bytes:
    return (
        f"From: Sender {index} <s{index}@example.org>\r\nSubject: crash {index}\r\n"
        f"Message-ID: <{index}@crash.example>\r\n\r\n"
    ).encode() + (f"line {index}\r\n".encode() * (1 + index % 40))


def run_child(port: int, data_dir: Path, rng: random.Random, batches: int) -> str:
    """Run one sync of about ``batches`` header batches, SIGKILLed at a random point."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(port), str(data_dir), str(BATCH)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    try:
        assert child.stdout.readline() == "ready\n", "the child did not log in"
        if rng.random() < 0.35:  # anywhere: listing, reconcile or the first batches
            time.sleep(rng.uniform(0.0, 0.15))
        else:  # after some committed batches, while later ones are in flight
            for _ in range(rng.randrange(1, max(2, batches))):
                line = child.stdout.readline()
                if line != "batch\n":
                    break
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.stdout.close()
        if child.poll() is None:
            child.kill()
            child.wait()
    return "killed" if child.returncode == -signal.SIGKILL else f"exit {child.returncode}"


def check_store(store_dir: Path, messages: dict[str, bytes], listings: list[set[str]]) -> set[str]:
    """SQLite integrity plus rows that agree with the server's message for each UID.

    ``messages`` holds every message ever served; ``listings`` the listings the ledger may
    hold now. Returns the UIDs the ledger holds as present.
    """
    db = sqlite3.connect(store_dir / "store.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        present: set[str] = {
            uid for (uid,) in db.execute("SELECT uid FROM ledger WHERE gone_since IS NULL")
        }
        # A reconcile is one transaction: the ledger holds one whole listing, never a mix.
        assert present in listings, "half a reconcile"
        orders = [
            o
            for (o,) in db.execute(
                "SELECT server_order FROM ledger WHERE gone_since IS NULL ORDER BY server_order"
            )
        ]
        assert orders == list(range(1, len(orders) + 1)), "server order has gaps or repeats"
        for uid, raw in db.execute("SELECT uid, raw FROM raw_headers"):
            assert uid in present, f"headers kept for vanished {uid}"
            # The header block belongs to this UID's message (numbers never mixed up).
            assert bytes(raw) == header_block(messages[uid]), f"wrong headers for {uid}"
        unpaired = db.execute(
            "SELECT COUNT(*) FROM headers h FULL JOIN raw_headers r ON r.uid = h.uid "
            "WHERE h.uid IS NULL OR r.uid IS NULL"
        ).fetchone()[0]
        assert unpaired == 0, "list fields and raw header block out of step"
        for uid, file_name, size in db.execute("SELECT uid, file_name, size FROM bodies"):
            assert uid in present and file_name == body_file_name(uid)
            data = (store_dir / "bodies" / file_name).read_bytes()
            assert len(data) == size and data == messages[uid], f"bad body for {uid}"
    finally:
        db.close()
    return present


def mail_moves(server: POP3TestServer, rng: random.Random, next_index: int) -> int:
    """Between rounds: many messages arrive, a few are deleted by another client."""
    uids = server.uids()
    server.mailbox.commit_deletions(rng.sample(uids, rng.randrange(0, 15)))
    arriving = rng.randrange(BATCH * 2, BATCH * 12)
    for index in range(next_index, next_index + arriving):
        server.add_message(message(index))
    return next_index + arriving


def test_sigkill_during_sync_leaves_a_consistent_store_that_the_next_sync_completes(
    tmp_path: Path,
) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    server = POP3TestServer([message(i) for i in range(MESSAGES)])
    next_index = MESSAGES
    with server.background():
        with Store.open("127.0.0.1", server.port, "user", data_dir=data_dir) as store:
            store_dir = store.directory
        served: dict[str, bytes] = {}
        applied: set[str] = set()  # the listing the ledger held after the last round
        outcomes = []
        for round_number in range(ROUNDS):
            server.faults = Faults(no_top=round_number % 3 == 2)
            served.update((m.uid, m.data) for m in server.mailbox.snapshot())
            listing = set(server.uids())
            missing = len(listing - applied) + len(listing & applied) // 10  # a rough guess
            outcomes.append(run_child(server.port, data_dir, rng, missing // BATCH))
            try:
                applied = check_store(store_dir, served, [applied, listing])
            except AssertionError as error:
                raise AssertionError(f"seed {seed}, round {round_number}: {error}") from error
            next_index = mail_moves(server, rng, next_index)
        assert outcomes.count("killed") >= ROUNDS // 2, f"seed {seed}: {outcomes}"

        server.faults = Faults()
        served.update((m.uid, m.data) for m in server.mailbox.snapshot())
        final = subprocess.run(
            [sys.executable, "-c", CHILD, str(server.port), str(data_dir), str(BATCH)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        expected = server.uids()
    assert final.returncode == 0, final.stderr
    done = final.stdout.splitlines()[-1].split()
    assert done[0] == "done" and int(done[2]) == len(expected), f"seed {seed}: {done}"
    check_store(store_dir, served, [set(expected)])
    with Store.open("127.0.0.1", server.port, "user", data_dir=data_dir) as store:
        rows = store.summaries()
        assert [row.uid for row in rows] == expected, f"seed {seed}: missing or extra rows"
        assert all(row.headers_loaded for row in rows), f"seed {seed}: headers missing"
        by_uid = {m.uid: m.data for m in server.mailbox.snapshot()}
        assert all(row.subject == by_uid[row.uid].split(b"\r\n")[1][9:].decode() for row in rows)
        assert store.unread_count() == store.message_count() == len(expected)
    assert all("DELE" not in session.verbs for session in server.sessions)
