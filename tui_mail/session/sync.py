"""Sync without a UI: list the server, reconcile the ledger, fetch headers of new mail only.

Order matters for "never lose, never flood": the ledger learns the listing in one transaction,
then headers arrive newest first and are committed batch by batch, so a kill at any moment
leaves a store that the next sync simply continues. Nothing here deletes or marks read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tui_mail.pop3 import POP3Client
from tui_mail.pop3.errors import AnswerTooLong
from tui_mail.pop3.window import FIRST_WINDOW
from tui_mail.session.collector import collector_paused
from tui_mail.session.early_window import EarlyWindow
from tui_mail.session.identity import (
    MailboxIdentity,
    fingerprints_of,
    iter_header_blocks,
    read_identity,
)
from tui_mail.store import IdentityStrength, MassChange, MessageSummary, Store
from tui_mail.store.headers import header_fingerprint

#: Headers committed (and shown) per transaction. The first batch is what fits on a screen,
#: so rows appear after the fewest round trips; later ones are large, so 20,000 messages
#: cost 40 transactions (each one an fsync), not 200.
FIRST_BATCH = FIRST_WINDOW  # one round trip of TOPs
HEADER_BATCH = 500
OVERSIZED_HEADERS = "the server sent more than it announced for the headers; they were cut off"


class UrgentWork(Protocol):
    """What the user is waiting for (a message they opened) goes ahead of the header fetch.

    Before each pipelined batch the sync asks :meth:`pending`; if so, it stops sending TOPs
    (what is already in flight, at most one pipelining window, is read and kept first), lets
    :meth:`serve` use the session, then goes on with the headers still missing.
    """

    def pending(self) -> bool: ...

    async def serve(self, identity: MailboxIdentity) -> None: ...


@dataclass(frozen=True)
class SyncResult:
    """What one sync found. ``mass_change`` is set (and nothing applied) on a UID upheaval."""

    new: int
    unread: int
    total: int
    headers_fetched: int
    weak_identity: bool
    identity: MailboxIdentity
    mass_change: MassChange | None = None
    used_retr: bool = False  # the server has no TOP: whole messages were fetched
    reused: tuple[str, ...] = ()  # server UIDs that now mean other mail (shown as new)
    unmarked: int = 0  # deletion marks dropped: their message changed or became ambiguous
    ambiguous: tuple[str, ...] = ()  # UIDs whose identical copies changed in number

    @property
    def applied(self) -> bool:
        return self.mass_change is None


async def sync_mailbox(
    client: POP3Client,
    store: Store,
    *,
    accept_mass_change: bool = False,
    on_rows: Callable[[list[MessageSummary]], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = HEADER_BATCH,
    urgent: UrgentWork | None = None,
    first_batch: int = FIRST_BATCH,
    fetch_headers: bool = True,
) -> SyncResult:
    """Reconcile ``store`` with the logged-in ``client``'s maildrop; see the module doc.

    ``fetch_headers=False`` skips the TOPs: ``tui-mail fetch`` takes them from its RETRs.
    """
    identity = await read_identity(client, progress=on_progress)
    with collector_paused():  # the whole ledger read and matched, then dropped
        suspects = store.size_suspects(identity.entries)  # a known UID with a new size
    early = None
    if (
        fetch_headers
        and not (identity.weak or suspects)
        and identity.entries
        and store.message_count() == 0
    ):
        # An empty store needs every header, newest first: ask now, reconcile meanwhile. No
        # other command may be sent until the window is taken or closed (it holds the client).
        numbers = [entry.number for entry in reversed(identity.entries)]
        early = await EarlyWindow.send(
            client, numbers, pause=urgent.pending if urgent is not None else None
        )
    try:
        return await _reconcile_and_fetch(
            client,
            store,
            identity,
            suspects,
            early,
            accept_mass_change=accept_mass_change,
            on_rows=on_rows,
            on_progress=on_progress,
            batches=(min(first_batch, batch_size), batch_size),
            urgent=urgent,
            fetch_headers=fetch_headers,
        )
    finally:
        if early is not None:
            await early.close()


async def _reconcile_and_fetch(
    client: POP3Client,
    store: Store,
    identity: MailboxIdentity,
    suspects: list[int],
    early: EarlyWindow | None,
    *,
    accept_mass_change: bool,
    on_rows: Callable[[list[MessageSummary]], None] | None,
    on_progress: Callable[[int, int], None] | None,
    batches: tuple[int, int],
    urgent: UrgentWork | None,
    fetch_headers: bool,
) -> SyncResult:
    store.reused.clear()
    store.unmarked_by_reuse = 0
    fingerprints: dict[int, str] | None = None
    if identity.weak:
        fingerprints = {n: header_fingerprint(identity.headers[n]) for n in suspects}
    elif suspects:
        fingerprints = await fingerprints_of(client, suspects)
    result = store.reconcile(
        identity.entries,
        fingerprints=fingerprints,
        accept_mass_change=accept_mass_change,
        quiet=collector_paused,
    )
    identity.listing = result.listing
    if not result.applied:
        return SyncResult(
            new=len(result.new),
            unread=result.unread,
            total=result.total,
            headers_fetched=0,
            weak_identity=identity.weak,
            identity=identity,
            mass_change=result.mass_change,
        )
    strength: IdentityStrength = "weak" if identity.weak else "strong"
    if store.identity != strength:  # a write (and an fsync) only when it changes
        store.set_identity(strength)
    need = result.need_headers  # newest first
    fetched = 0
    used_retr = identity.used_retr
    if identity.weak:
        number_of = {key: number for key, (number, _) in result.listing.items()}
        for start in range(0, len(need), batches[1]):
            chunk = need[start : start + batches[1]]
            _commit(store, [(key, identity.headers[number_of[key]]) for key in chunk], on_rows)
        for key, number in number_of.items():
            message = identity.bodies.get(number)
            if message is not None:
                store.store_body(key, message)
        fetched = len(need)
    elif need and fetch_headers:
        fetched, used_retr = await _fetch_new_headers(
            client,
            store,
            identity,
            need,
            on_rows,
            on_progress,
            batches,
            urgent,
            early,
        )
    store.record_sync()
    return SyncResult(
        new=len(result.new),
        unread=store.unread_count(),
        total=result.total,
        headers_fetched=fetched,
        weak_identity=identity.weak,
        identity=identity,
        used_retr=used_retr,
        reused=tuple(dict.fromkeys([*result.reused, *store.reused])),
        unmarked=len(result.unmarked) + store.unmarked_by_reuse,
        ambiguous=tuple(result.ambiguous),
    )


async def _fetch_new_headers(
    client: POP3Client,
    store: Store,
    identity: MailboxIdentity,
    need: list[str],
    on_rows: Callable[[list[MessageSummary]], None] | None,
    on_progress: Callable[[int, int], None] | None,
    batches: tuple[int, int],
    urgent: UrgentWork | None = None,
    early: EarlyWindow | None = None,
) -> tuple[int, bool]:
    """Fetch header blocks for ``need`` (newest first), committing the first ``batches[0]``
    and then every ``batches[1]``; ``early`` is a window already on its way, used if it asked
    for exactly these messages.

    Returns how many arrived and whether RETR stood in for TOP.
    """
    uid_of = {identity.listing[uid][0]: uid for uid in need}
    remaining = list(uid_of)
    pending: list[tuple[str, bytes]] = []
    done = 0
    used_retr = False
    batch_size = batches[0]
    try:
        while remaining:
            taken = 0  # of ``remaining``, in this round
            blocks = None
            if early is not None:
                blocks = early.take(remaining)
                if blocks is None:  # it asked for other messages: drop it (it holds the client)
                    await early.close()
                early = None
            if blocks is None:
                blocks = iter_header_blocks(
                    client, remaining, pause=urgent.pending if urgent is not None else None
                )
            async with contextlib.aclosing(blocks):
                async for number, block, whole in blocks:
                    uid = uid_of[number]
                    if whole is not None:  # RETR fallback: keep the body we got anyway
                        store.store_body(uid, whole)
                        used_retr = True
                    pending.append((uid, block))
                    done += 1
                    taken += 1
                    if len(pending) >= batch_size:
                        _commit(store, pending, on_rows)
                        pending = []
                        batch_size = batches[1]
                    if on_progress is not None:
                        on_progress(done, len(need))
            remaining = remaining[taken:]
            if remaining and urgent is not None and urgent.pending():
                if pending:  # what the user opened may be among them: show them first
                    _commit(store, pending, on_rows)
                    pending = []
                await urgent.serve(identity)
    except AnswerTooLong as error:
        # The connection is gone; keep what arrived and mark the one message that flooded,
        # so the next session (which the caller opens) goes on past it.
        _commit(store, pending, on_rows)
        flooded = uid_of.get(error.number) if error.number is not None else None
        if flooded is not None:
            row = store.record_problem(flooded, OVERSIZED_HEADERS)
            if row is not None and on_rows is not None:
                on_rows([row])
        raise
    if pending:
        _commit(store, pending, on_rows)
    return done, used_retr


def _commit(
    store: Store,
    batch: list[tuple[str, bytes]],
    on_rows: Callable[[list[MessageSummary]], None] | None,
) -> None:
    rows = store.add_headers(batch, rows=on_rows is not None)
    if on_rows is not None and rows:
        on_rows(rows)
