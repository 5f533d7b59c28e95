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

from collections.abc import Mapping, Set
from dataclasses import dataclass, field

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
