"""kill -9 at random moments while a process writes batches: the store stays consistent.

A child process writes batches the way sync does (reconcile new UIDs, then their headers in
one transaction, a streamed body, read flags, and now and then a batch vanishing from the
server). The parent kills it with SIGKILL at random points, reopens the store each time and
checks the invariants: SQLite integrity, no row without its parent, no half batch, and no
body file that is partial or disagrees with its row.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from tui_mail.store import Store, body_file_name

BATCH = 40  # UIDs per batch
READ_PER_BATCH = 10
KILLS = 8

CHILD = textwrap.dedent(f"""
    import sys
    from pathlib import Path
    from tui_mail.store import Store

    BATCH, READ_PER_BATCH = {BATCH}, {READ_PER_BATCH}

    def header(uid):
        return f"From: w <w@example.org>\\r\\nSubject: {{uid}}\\r\\n\\r\\n".encode()

    def body(uid):
        return (uid.encode() + b"\\r\\n") * 2000

    store = Store.open("h", 995, "u", data_dir=Path(sys.argv[1]))
    present = [s.uid for s in store.summaries()]
    batches = [int(uid.split("-")[0][1:]) for uid in present]
    batch = max(batches, default=-1) + 1
    announced = False
    while True:
        uids = [f"b{{batch}}-{{i}}" for i in range(BATCH)]
        if batch % 5 == 4:  # the server lost an older batch meanwhile
            present = [u for u in present if not u.startswith(f"b{{batch - 3}}-")]
        present += uids
        result = store.reconcile({{uid: (n, 100) for n, uid in enumerate(present, start=1)}})
        # Like sync: headers for every UID still without them (a batch a kill interrupted).
        store.add_headers([(uid, header(uid)) for uid in result.need_headers])
        with store.bodies.writer(uids[0]) as sink:
            data = body(uids[0])
            for start in range(0, len(data), 4096):
                sink.write(data[start:start + 4096])
        store.mark_read(uids[:READ_PER_BATCH])
        if not announced:
            print("ready", flush=True)
            announced = True
        batch += 1
""")


def run_and_kill(data_dir: Path, rng: random.Random) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n", "the writer did not start"
    # Let it write for a random while, then kill it wherever it is.
    subprocess.run(["sleep", f"{rng.uniform(0.01, 0.4):.3f}"], check=True)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL


def batch_of(uid: str) -> str:
    return uid.split("-")[0]


def check_invariants(store_dir: Path) -> None:
    db = sqlite3.connect(store_dir / "store.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    orphans = db.execute(
        "SELECT COUNT(*) FROM headers h LEFT JOIN ledger l ON l.uid = h.uid "
        "WHERE l.uid IS NULL OR l.gone_since IS NOT NULL"
    ).fetchone()[0]
    assert orphans == 0, "header rows without a present ledger row"
    unpaired = db.execute(
        "SELECT COUNT(*) FROM headers h FULL JOIN raw_headers r ON r.uid = h.uid "
        "WHERE h.uid IS NULL OR r.uid IS NULL"
    ).fetchone()[0]
    assert unpaired == 0, "list fields and raw header block out of step"

    ledger: dict[str, list[tuple[int, int]]] = {}
    for uid, read, gone in db.execute("SELECT uid, read, gone_since IS NOT NULL FROM ledger"):
        ledger.setdefault(batch_of(uid), []).append((read, gone))
    headers: dict[str, int] = {}
    for (uid,) in db.execute("SELECT uid FROM headers"):
        headers[batch_of(uid)] = headers.get(batch_of(uid), 0) + 1
    for batch, rows in ledger.items():
        assert len(rows) == BATCH, f"half a reconcile: {batch} has {len(rows)} ledger rows"
        assert len({gone for _, gone in rows}) == 1, f"{batch} partly vanished"
        assert sum(read for read, _ in rows) in (0, READ_PER_BATCH), f"{batch}: half the flags"
        assert headers.get(batch, 0) in (0, BATCH) or rows[0][1], f"{batch}: half its headers"
        if rows[0][1]:
            assert batch not in headers, f"{batch} vanished but kept headers"
    assert set(headers) <= set(ledger)

    bodies_dir = store_dir / "bodies"
    for uid, file_name, size in db.execute("SELECT uid, file_name, size FROM bodies"):
        assert file_name == body_file_name(uid)
        data = (bodies_dir / file_name).read_bytes()
        assert len(data) == size and data == (uid.encode() + b"\r\n") * 2000, uid
    for entry in bodies_dir.iterdir():  # files without a row: complete or temporary
        if not entry.name.startswith(".tmp-"):
            first = entry.read_bytes().split(b"\r\n", 1)[0].decode()
            assert entry.read_bytes() == (first.encode() + b"\r\n") * 2000
    db.close()


def test_kill_9_at_random_moments_leaves_a_consistent_store(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    with Store.open("h", 995, "u", data_dir=tmp_path) as store:
        store_dir = store.directory
    for round_number in range(KILLS):
        run_and_kill(tmp_path, rng)
        try:
            check_invariants(store_dir)
        except AssertionError as error:
            raise AssertionError(f"seed {seed}, round {round_number}: {error}") from error
        with Store.open("h", 995, "u", data_dir=tmp_path) as store:  # opens and sweeps
            rows = store.summaries()
            assert len(rows) == store.message_count() > 0
            last_batch = batch_of(rows[-1].uid)
            assert all(row.headers_loaded or batch_of(row.uid) == last_batch for row in rows), (
                f"seed {seed}: headers missing before the last batch"
            )
