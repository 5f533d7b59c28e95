"""Download every message not stored yet into the account's Maildir, then apply retention.

The order is what makes "exactly once" hold under kill -9 (each step is durable before the
next starts): sync the listing (UIDs and sizes of this session, the mass-change check), RETR
(pipelined; large messages streamed), file fsynced and renamed, ledger row written; only
then, and only for messages whose local copy is there, readable and of its recorded size,
DELE by the numbers of this same session, then QUIT, which alone makes the server delete.
A run killed anywhere before QUIT deletes nothing; a run killed after it finds the messages
gone and their copies stored. Nothing here marks a message read or prompts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tui_mail.pop3 import POP3Client
from tui_mail.pop3.errors import ServerError
from tui_mail.session.sync import SyncResult, sync_mailbox
from tui_mail.store import Store
from tui_mail.store.local_copy import LocalCopies, LocalCopy, LocalCopyError, checkpoint

#: Messages up to this size come pipelined as bytes; larger ones stream to disk one by one.
PIPELINED_MAX_BYTES = 1 << 20
#: Messages recorded per ledger transaction (each file is fsynced on its own before).
STORE_BATCH = 64
DAY = 86_400.0


@dataclass(frozen=True)
class Retention:
    """What the account lets us delete from the server (config ``leave_on_server`` etc.)."""

    leave_on_server: bool = True
    delete_after_days: int | None = None

    def wants(self, copy: LocalCopy, now: float) -> bool:
        """Whether this stored message is due to leave the server."""
        if not self.leave_on_server:
            return True
        if self.delete_after_days is None:
            return False
        return now - copy.stored_at >= self.delete_after_days * DAY


@dataclass
class FetchResult:
    """What one run did; ``problems`` are one line each, already in words."""

    sync: SyncResult
    new: int = 0
    stored: int = 0
    on_server: int = 0
    deleted: int = 0
    problems: list[str] = field(default_factory=list)


async def fetch_mailbox(
    client: POP3Client,
    store: Store,
    local: LocalCopies,
    *,
    retention: Retention = Retention(),
    accept_mass_change: bool = False,
    clock: Callable[[], float] = time.time,
) -> FetchResult:
    """Store what is missing, delete what retention allows, QUIT; see the module doc."""
    # No TOPs: the header cache (the reader's list) is filled from the RETRs below.
    synced = await sync_mailbox(
        client, store, accept_mass_change=accept_mass_change, fetch_headers=False
    )
    result = FetchResult(sync=synced, on_server=synced.total)
    if synced.mass_change is not None:
        return result  # nothing is fetched or deleted against a listing that looks reset
    listing = synced.identity.listing  # key -> (number, size), read in this session
    read = {row.uid for row in store.summaries() if not row.unread}
    have = local.uids()
    todo = sorted((key for key in listing if key not in have), key=lambda k: -listing[k][0])
    disk_failed = await _download(client, store, local, listing, todo, read, result)
    result.stored = local.count()
    if disk_failed:
        result.problems.append("nothing was deleted from the server: the local copy failed")
    else:
        doomed = _due_for_deletion(local, listing, retention, clock(), result)
        if doomed:
            numbers = {listing[key][0]: key for key in doomed}
            refused = await client.dele_many(sorted(numbers))
            checkpoint("deleted")
            for number, error in refused.items():
                result.problems.append(f"the server kept message {number}: {error.text}")
            committed = [key for number, key in numbers.items() if number not in refused]
            await client.quit()  # the server deletes now, and only now
            store.deletions_done(committed, keep_local=True)
            result.deleted = len(committed)
            result.on_server -= len(committed)
            return result
    await client.quit()
    return result


async def _download(
    client: POP3Client,
    store: Store,
    local: LocalCopies,
    listing: dict[str, tuple[int, int]],
    todo: list[str],
    read: set[str],
    result: FetchResult,
) -> bool:
    """RETR and store each key of ``todo``; True if the disk refused (the run stops then)."""
    key_of = {listing[key][0]: key for key in todo}
    small = [listing[key][0] for key in todo if listing[key][1] <= PIPELINED_MAX_BYTES]
    large = [listing[key][0] for key in todo if listing[key][1] > PIPELINED_MAX_BYTES]
    try:
        while small:
            batch: list[tuple[str, bytes, bool]] = []
            answered = 0  # answers come in the order asked: the first ``answered`` are done
            try:
                async for number, data in client.retr_many(small):
                    checkpoint("retrieved")
                    key = key_of[number]
                    batch.append((key, data, key in read))
                    answered += 1
                    if len(batch) >= STORE_BATCH:
                        result.new += _store(store, local, batch)
                        batch = []
                small = []
            except ServerError as error:  # that one message only; the others go on
                result.problems.append(
                    f"message {small[answered]} could not be downloaded: {error.text}"
                )
                small = small[answered + 1 :]
            finally:
                if batch:  # what arrived before a failure is kept
                    result.new += _store(store, local, batch)
        for number in large:
            key = key_of[number]
            try:
                with local.writer(key, seen=key in read) as sink:
                    await client.retr(number, sink)
                store.add_headers([(key, await client.top(number, 0))], rows=False)
            except ServerError as error:
                result.problems.append(f"message {number} could not be downloaded: {error.text}")
                continue
            result.new += 1
    except LocalCopyError as error:
        result.problems.append(str(error))
        return True
    return False


def _store(store: Store, local: LocalCopies, batch: list[tuple[str, bytes, bool]]) -> int:
    """The batch into the Maildir, then its header blocks into the reader's header cache."""
    stored = local.store_many(batch)
    store.add_headers([(key, header_block(data)) for key, data, _ in batch], rows=False)
    return stored


def header_block(message: bytes) -> bytes:
    """What ``TOP n 0`` would have answered: the header lines and the blank line after them."""
    end = message.find(b"\r\n\r\n")
    return message if end < 0 else message[: end + 4]


def _due_for_deletion(
    local: LocalCopies,
    listing: dict[str, tuple[int, int]],
    retention: Retention,
    now: float,
    result: FetchResult,
) -> list[str]:
    """Keys retention deletes: only those whose local copy is there, whole and readable."""
    if retention.leave_on_server and retention.delete_after_days is None:
        return []
    doomed: list[str] = []
    for key in listing:
        copy = local.lookup(key)
        if copy is None or not retention.wants(copy, now):
            continue
        if not local.intact(copy):
            result.problems.append(
                f"{copy.path.name}: the local copy is missing, unreadable or changed in "
                "size; its message stays on the server"
            )
            continue
        doomed.append(key)
    return doomed
