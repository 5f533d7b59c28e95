"""After a reconcile the ledger holds this listing's numbers for every present row, however
the server moved them (store/store.py ``_renumber`` moves them by runs)."""

from __future__ import annotations

import random
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tui_mail.accounts import Account
from tui_mail.store import Store

ACCOUNT = Account(name="t", host="127.0.0.1", port=1, tls="none", user="u")


def numbers_in_ledger(store: Store) -> dict[str, int]:
    with sqlite3.connect(store.directory / "store.sqlite3") as db:
        rows = db.execute("SELECT uid, server_order FROM ledger WHERE gone_since IS NULL")
        return dict(rows.fetchall())


@settings(max_examples=60, deadline=None)
@given(
    first=st.permutations([f"u{n}" for n in range(12)]),
    kept=st.lists(st.booleans(), min_size=12, max_size=12),
    new=st.integers(min_value=0, max_value=4),
    shuffle=st.booleans(),
    order=st.randoms(use_true_random=False),
)
def test_every_present_row_has_this_listings_number(
    first: list[str], kept: list[bool], new: int, shuffle: bool, order: random.Random
) -> None:
    second = [uid for uid, keep in zip(first, kept, strict=True) if keep]
    second += [f"n{n}" for n in range(new)]
    if shuffle:  # a server that reorders (no POP3 server should, but one may)
        order.shuffle(second)
    with tempfile.TemporaryDirectory() as directory:
        with Store.for_account(ACCOUNT, data_dir=Path(directory)) as store:
            store.reconcile({uid: (n, 100) for n, uid in enumerate(first, start=1)})
            store.reconcile({uid: (n, 100) for n, uid in enumerate(second, start=1)})
            assert numbers_in_ledger(store) == {uid: n for n, uid in enumerate(second, 1)}


def test_the_oldest_deleted_elsewhere_moves_everything_by_one_run(tmp_path: Path) -> None:
    with Store.for_account(ACCOUNT, data_dir=tmp_path) as store:
        store.reconcile({f"u{n}": (n, 100) for n in range(1, 1001)})
        statements: list[str] = []
        with store._db.lock:
            store._db.connection.set_trace_callback(statements.append)
        store.reconcile({f"u{n}": (n - 3, 100) for n in range(4, 1001)})
        store._db.connection.set_trace_callback(None)
        assert numbers_in_ledger(store) == {f"u{n}": n - 3 for n in range(4, 1001)}
    moves = [sql for sql in statements if sql.startswith("UPDATE ledger SET server_order")]
    assert len(moves) == 2  # the one run, negated, then made positive: not 997 UPDATEs
