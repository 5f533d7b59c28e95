"""Compare the server's UIDL listing with the ledger: what is new, back, or gone.

Pure computation (no SQLite) so the rules are easy to test. Decisions:

* A vanished UID leaves the header cache, the body cache and pending deletions, but its
  ledger row stays, marked gone: if the UID comes back (Gmail hides and re-shows popped
  mail) it is not "new" and keeps its read flag. Gone rows are pruned after
  ``GONE_RETENTION`` so the ledger does not grow forever.
* A mass UID change (most listed UIDs new *and* most known ones gone, e.g. after a server
  migration) is reported, not applied: the caller decides whether to accept it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from operator import attrgetter
from typing import NamedTuple

from tui_mail.keys_first import paced

GONE_RETENTION = 365 * 24 * 3600.0  # seconds a gone UID is remembered
MASS_CHANGE_RATIO = 0.8  # share of known UIDs gone AND share of listed UIDs new
MASS_CHANGE_MIN = 20  # fewer known or new UIDs than this is never a mass change

# uid -> (message number in this session, size in octets)
Listing = Mapping[str, tuple[int, int]]


@dataclass(frozen=True)
class MassChange:
    """Evidence of a mass UID change, for the message shown to the user."""

    known: int  # UIDs present before this listing
    vanished: int  # of those, how many are not listed any more
    listed: int  # UIDs in this listing
    new: int  # of those, how many were never seen

    def describe(self) -> str:
        return (
            f"{self.vanished} of {self.known} known messages vanished and {self.new} of "
            f"{self.listed} listed ones are new: the server probably changed every message "
            "ID (e.g. after a migration)"
        )


@dataclass(frozen=True)
class ReconcileResult:
    """What a listing changed. UID lists are newest first (highest message number first).

    ``applied`` is False only when a mass change was found and not accepted: then nothing
    was written and ``new``/``vanished`` say what *would* happen.
    """

    new: list[str]  # never seen before
    returned: list[str]  # seen, gone, and listed again
    vanished: list[str]  # present before, not listed now
    need_headers: list[str]  # listed UIDs without cached headers (new ones included)
    total: int  # messages on the server now
    unread: int  # listed messages not yet read
    mass_change: MassChange | None = None
    applied: bool = True
    pruned: int = field(default=0)  # old "gone" ledger rows forgotten
    listing: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> number, size
    reused: list[str] = field(default_factory=list)  # server UIDs that now mean other mail
    unmarked: list[str] = field(default_factory=list)  # keys whose deletion mark was dropped
    ambiguous: list[str] = field(default_factory=list)  # UIDs of copies that changed in number


@dataclass(frozen=True)
class ListingDiff:
    """The set arithmetic of one reconcile, before anything is written."""

    new: list[str]
    returned: list[str]
    vanished: list[str]
    mass_change: MassChange | None


def newest_first(listing: Listing, uids: Set[str]) -> list[str]:
    """``uids`` sorted by descending message number in ``listing``."""
    return sorted(uids, key=lambda uid: listing[uid][0], reverse=True)


def diff_listing(
    listing: Listing,
    present: Mapping[str, int],
    gone: Set[str],
    *,
    ratio: float = MASS_CHANGE_RATIO,
    minimum: int = MASS_CHANGE_MIN,
) -> ListingDiff:
    """Split ``listing`` against the ledger: ``present`` maps UID -> last server order."""
    listed = listing.keys()
    new = listed - present.keys() - gone
    returned = listed & gone
    vanished = present.keys() - listed
    mass_change = None
    if (
        len(present) >= minimum
        and len(new) >= minimum
        and len(vanished) >= ratio * len(present)
        and len(new) >= ratio * len(listed)
    ):
        mass_change = MassChange(
            known=len(present), vanished=len(vanished), listed=len(listed), new=len(new)
        )
    return ListingDiff(
        new=newest_first(listing, new),
        returned=newest_first(listing, returned),
        vanished=sorted(vanished, key=present.__getitem__, reverse=True),
        mass_change=mass_change,
    )


# -- matching a session's listing to ledger rows ------------------------------------------------
#
# A ledger row is one message as the user saw it: a local key, the server's UID, which copy of
# that UID it is (identical copies may share one UID) and its size. The key is what every
# other table refers to; it is the UID itself for a first copy and the first generation, and
# otherwise the UID plus NUL-separated numbers. A UID from the wire never holds a NUL (the
# client refuses it), so no real UID can look like another message's key.


class ServerEntry(NamedTuple):
    """One line of this session's LIST + UIDL: number, the server's UID, size in octets.

    A named tuple, not a dataclass: every login makes one per message before the first row
    shows, and a tuple is made in a third of the time (issue 14: 10,000 of them).
    """

    number: int
    uid: str
    size: int


class LedgerRow(NamedTuple):
    """What the ledger knows of one message (present or gone).

    A named tuple, made straight from the SQL row (``LedgerRow._make``): every sync reads the
    whole ledger, 100,000 rows at a time, on the thread that shares the GIL with the UI.
    """

    key: str
    uid: str
    copy: int
    size: int
    gone: bool
    marked: bool = False
    order: int | None = None
    fingerprint: str | None = None


@dataclass
class Matching:
    """Which ledger row each listed message is, and what had to change for that."""

    assigned: dict[str, tuple[ServerEntry, int]] = field(default_factory=dict)  # key -> entry, copy
    returned: list[str] = field(default_factory=list)  # gone keys listed again
    new: list[tuple[ServerEntry, int]] = field(default_factory=list)  # (entry, copy) unknown
    vanished: list[str] = field(default_factory=list)  # present keys not listed (or reused)
    reused: list[str] = field(default_factory=list)  # server UIDs that now mean other mail
    unmark: list[str] = field(default_factory=list)  # marks that cannot be kept (see below)
    ambiguous: list[str] = field(default_factory=list)  # UIDs whose copies changed in number


_NUMBER = attrgetter("number")


def as_entries(listing: Listing | Iterable[ServerEntry]) -> list[ServerEntry]:
    """Accept the plain ``{uid: (number, size)}`` form (unique UIDs) as well as entries."""
    if isinstance(listing, Mapping):
        return [ServerEntry(number, uid, size) for uid, (number, size) in listing.items()]
    return list(listing)


def size_suspects(entries: Iterable[ServerEntry], known: Iterable[tuple[str, int]]) -> list[int]:
    """Numbers of listed messages whose UID is known, but never with this size.

    ``known`` holds the ledger's (UID, size) pairs. Either the server reused the UID for other
    mail, or it rewrote the message (GNU Mailutils adds X-UIDL and Status headers after a
    session): only their headers can tell, so the caller fetches ``TOP n 0`` of these (and
    only these) for :func:`match_listing`.
    """
    pairs = set(paced(known))
    uids = {uid for uid, _ in paced(pairs)}
    return [e.number for e in paced(entries) if e.uid in uids and (e.uid, e.size) not in pairs]


def match_listing(
    entries: Iterable[ServerEntry],
    rows: Iterable[LedgerRow],
    fingerprints: Mapping[int, str] | None = None,
) -> Matching:
    """Match this session's messages to ledger rows (the rules: :func:`match_by_rules`).

    Nearly every message of a known mailbox is one listed copy of one present ledger row of
    the same size (rows gone before do not matter then): those are matched in one pass, and
    only the rest go through the rules, which give the same answer for them
    (tests/test_match_listing.py). At 100,000 messages that is ~0.2 s instead of ~0.5 s of
    the thread that shares the GIL with the UI; identical copies are rare, so they are only
    counted when some exist.
    """
    entries = list(entries)
    rows = list(rows)
    if not rows:  # a cold store: nothing to match in one pass
        return match_by_rules(entries, rows, fingerprints)
    present = [row for row in paced(rows) if not row.gone]
    only = {row.uid: row for row in paced(present)}
    if len(only) != len(present):  # some UID has several present rows (identical copies)
        for uid, count in Counter(row.uid for row in present).items():
            if count > 1:
                del only[uid]
    if len({entry.uid for entry in entries}) != len(entries):  # listed more than once
        for uid, count in Counter(entry.uid for entry in entries).items():
            if count > 1:
                only.pop(uid, None)
    result = Matching()
    assigned = result.assigned
    rest: list[ServerEntry] = []
    for entry in paced(entries):
        row = only.get(entry.uid)
        if row is not None and row.size == entry.size:
            assigned[row.key] = (entry, 1)
        else:
            rest.append(entry)
    if not assigned:
        return match_by_rules(entries, rows, fingerprints, result)
    unmatched = [row for row in paced(rows) if row.key not in assigned]
    return match_by_rules(rest, unmatched, fingerprints, result)


def match_by_rules(
    entries: Iterable[ServerEntry],
    rows: Iterable[LedgerRow],
    fingerprints: Mapping[int, str] | None = None,
    result: Matching | None = None,
) -> Matching:
    """Match this session's messages to ledger rows; pure, so the rules are easy to test.

    * The n-th copy of a UID (in number order) is the n-th present row with that UID, if the
      size is the same, or if ``fingerprints`` (number -> header fingerprint of this
      session's TOP) shows the same headers. Otherwise the server reused the UID for other
      mail: the old row goes, a new one (unread, unmarked) comes, and the UID is reported.
    * A UID listed again after it had gone comes back with its old row (and read flag) only
      with the same size; else it is new mail under a recycled UID.
    * When identical copies change in number, nobody can tell which copy went: a mark on some
      but not all of them is dropped rather than moved to a copy the user did not mark.
    """
    result = result if result is not None else Matching()
    prints = fingerprints or {}

    def same(row: LedgerRow, entry: ServerEntry) -> bool:
        if row.size == entry.size:
            return True
        seen = prints.get(entry.number)
        return seen is not None and seen == row.fingerprint

    present: dict[str, list[LedgerRow]] = {}
    gone: dict[str, list[LedgerRow]] = {}
    for row in rows:
        (gone if row.gone else present).setdefault(row.uid, []).append(row)
    for group in present.values():
        group.sort(key=lambda row: row.copy)
    listed: dict[str, list[ServerEntry]] = {}
    for entry in sorted(entries, key=_NUMBER):
        listed.setdefault(entry.uid, []).append(entry)
    for uid, copies in listed.items():
        known = present.pop(uid, [])
        if not known and uid not in gone:  # never seen (all of them, in a cold store)
            result.new.extend(zip(copies, range(1, len(copies) + 1), strict=True))
            continue
        if len(copies) != len(known) and len(known) > 0 and len(copies) + len(known) > 2:
            marked = [row.key for row in known if row.marked]
            if marked and len(marked) < len(known):
                result.unmark.extend(marked)
                result.ambiguous.append(uid)
        candidates = list(gone.get(uid, []))
        reused = False
        for index, entry in enumerate(copies):
            copy = index + 1
            if index < len(known):
                row = known[index]
                if same(row, entry):
                    result.assigned[row.key] = (entry, copy)
                    continue
                reused = True
                result.vanished.append(row.key)
                if row.marked:
                    result.unmark.append(row.key)
                result.new.append((entry, copy))
                continue
            back = next((row for row in candidates if same(row, entry)), None)
            if back is not None:
                candidates.remove(back)
                result.assigned[back.key] = (entry, copy)
                result.returned.append(back.key)
            else:
                reused = reused or bool(candidates)
                result.new.append((entry, copy))
        result.vanished.extend(row.key for row in known[len(copies) :])
        if reused:
            result.reused.append(uid)
    for group in present.values():
        result.vanished.extend(row.key for row in group)
    return result


def allocate_key(uid: str, copy: int, taken: Set[str]) -> str:
    """The local key for a new row: the UID itself when that is free, else UID + NUL + numbers."""
    if copy == 1 and "\0" not in uid and uid not in taken:
        return uid
    generation = 0
    while True:
        key = f"{uid}\0{copy}\0{generation}"
        if key not in taken:
            return key
        generation += 1
