"""The one-pass match of a known mailbox gives what the full rules give (store/reconcile.py).

``match_listing`` matches the common case (one listed copy, one present row, same size) in
one pass and leaves the rest to ``match_by_rules``; for any ledger and listing both must
agree, identical copies, reused UIDs, gone rows, marks and fingerprints included.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui_mail.store.reconcile import (
    LedgerRow,
    Matching,
    ServerEntry,
    match_by_rules,
    match_listing,
    size_suspects,
)

UIDS = st.sampled_from(["a", "b", "c", "d", "e", "f"])
SIZES = st.sampled_from([100, 200, 300])
PRINTS = st.sampled_from([None, "p1", "p2"])


@st.composite
def ledgers(draw: st.DrawFn) -> list[LedgerRow]:
    rows = []
    copies: dict[str, int] = {}
    for index, (uid, size, gone, marked, fingerprint) in enumerate(
        draw(st.lists(st.tuples(UIDS, SIZES, st.booleans(), st.booleans(), PRINTS), max_size=12))
    ):
        copy = copies[uid] = copies.get(uid, 0) + 1
        key = uid if copy == 1 else f"{uid}\0{copy}\0{index}"
        rows.append(LedgerRow(key, uid, copy, size, gone, marked and not gone, index, fingerprint))
    return rows


@st.composite
def listings(draw: st.DrawFn) -> tuple[list[ServerEntry], dict[int, str]]:
    drawn = draw(st.lists(st.tuples(UIDS, SIZES, PRINTS), max_size=12))
    entries = [ServerEntry(number, uid, size) for number, (uid, size, _) in enumerate(drawn, 1)]
    prints = {number: p for number, (_, _, p) in enumerate(drawn, 1) if p is not None}
    return entries, prints


def same_matching(a: Matching, b: Matching) -> None:
    assert a.assigned == b.assigned  # a dict: which row each message is, in any order
    assert (a.returned, a.new, a.vanished) == (b.returned, b.new, b.vanished)
    assert (a.reused, a.unmark, a.ambiguous) == (b.reused, b.unmark, b.ambiguous)


@settings(max_examples=400, deadline=None)
@given(rows=ledgers(), listing=listings(), with_prints=st.booleans())
def test_the_one_pass_agrees_with_the_rules(
    rows: list[LedgerRow], listing: tuple[list[ServerEntry], dict[int, str]], with_prints: bool
) -> None:
    entries, prints = listing
    fingerprints = prints if with_prints else None
    same_matching(
        match_listing(entries, rows, fingerprints), match_by_rules(entries, rows, fingerprints)
    )


def test_a_renumbered_known_mailbox_is_matched_in_the_first_pass() -> None:
    rows = [LedgerRow(f"u{n}", f"u{n}", 1, 100 + n, False, n == 2, n) for n in range(1, 6)]
    entries = [ServerEntry(n - 1, f"u{n}", 100 + n) for n in range(2, 6)]  # u1 deleted
    matching = match_listing(entries, rows)
    assert {key: entry.number for key, (entry, _) in matching.assigned.items()} == {
        "u2": 1,
        "u3": 2,
        "u4": 3,
        "u5": 4,
    }
    assert (matching.vanished, matching.new, matching.unmark) == (["u1"], [], [])


def test_size_suspects_are_known_uids_with_a_size_never_seen() -> None:
    known = [("a", 100), ("b", 200), ("b", 250)]
    entries = [ServerEntry(1, "a", 100), ServerEntry(2, "b", 250), ServerEntry(3, "a", 101)]
    entries.append(ServerEntry(4, "new", 5))
    assert size_suspects(entries, known) == [3]
