"""Which UID each message number has in *this* session.

Message numbers are valid for one session only; everything we keep is keyed by UID. The
mapping is rebuilt from UIDL at every login and again right before DELE, so we never delete by
a number whose UID we did not check in the same session. Servers without UIDL get a weak
identity: a hash of the header block and size (the user is told it is weak).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field

from tui_mail.pop3 import POP3Client
from tui_mail.pop3.errors import ServerError
from tui_mail.session.collector import collector_paused
from tui_mail.store.reconcile import ServerEntry

WEAK_PREFIX = "hdr:"
WEAK_BODY_KEEP_BYTES = 64 * 1024 * 1024  # RETR'd messages kept in memory for the body cache


@dataclass
class MailboxIdentity:
    """The server's messages this session, plus what it cost to learn them.

    ``entries`` are LIST + UIDL as the server said them (identical copies may share a UID);
    ``listing`` maps the store's keys to (number, size) once the store has matched them.
    """

    entries: list[ServerEntry]
    weak: bool
    headers: dict[int, bytes] = field(default_factory=dict)  # by number (weak only)
    bodies: dict[int, bytes] = field(default_factory=dict)  # whole messages RETR'd while hashing
    used_retr: bool = False
    listing: dict[str, tuple[int, int]] = field(default_factory=dict)

    def number_of(self, key: str) -> int | None:
        entry = self.listing.get(key)
        return None if entry is None else entry[0]


def weak_uid(headers: bytes, size: int) -> str:
    """Identity for servers without UIDL: the header block plus the size, hashed."""
    digest = hashlib.sha256(headers + b"\0" + str(size).encode()).hexdigest()
    return WEAK_PREFIX + digest[:40]


async def read_identity(
    client: POP3Client, *, progress: Callable[[int, int], None] | None = None
) -> MailboxIdentity:
    """LIST and UIDL (or, without UIDL, hashed TOP headers) for this session."""
    sizes, by_number = await client.list_and_uidl()  # one round trip when pipelining
    if isinstance(by_number, ServerError):
        if client.capabilities.uidl or by_number.code is not None:
            # Promised, or refused with a code ([SYS/TEMP]...): an error, not a missing
            # command. Falling back then would swap every UID for a weak one.
            raise by_number
        return await _weak_identity(client, sizes, progress)
    with collector_paused(keep=True):  # one object per message, kept for the session
        entries = [
            ServerEntry(number, uid, sizes.get(number, 0))
            for number, uid in sorted(by_number.items())
        ]
    return MailboxIdentity(entries=entries, weak=False)


async def _weak_identity(
    client: POP3Client, sizes: dict[int, int], progress: Callable[[int, int], None] | None
) -> MailboxIdentity:
    numbers = sorted(sizes, reverse=True)
    fetched: dict[int, bytes] = {}
    whole_messages: dict[int, bytes] = {}
    kept_bytes = 0
    used_retr = False
    async for number, block, whole in iter_header_blocks(client, numbers):
        fetched[number] = block
        used_retr = used_retr or whole is not None
        if whole is not None and kept_bytes + len(whole) <= WEAK_BODY_KEEP_BYTES:
            whole_messages[number] = whole  # no TOP either: keep what RETR brought
            kept_bytes += len(whole)
        if progress is not None:
            progress(len(fetched), len(numbers))
    entries = [
        ServerEntry(number, weak_uid(fetched[number], sizes[number]), sizes[number])
        for number in sorted(numbers)
    ]
    return MailboxIdentity(
        entries=entries, weak=True, headers=fetched, bodies=whole_messages, used_retr=used_retr
    )


async def iter_header_blocks(
    client: POP3Client, numbers: list[int], *, pause: Callable[[], bool] | None = None
) -> AsyncGenerator[tuple[int, bytes, bytes | None], None]:
    """``(number, header block, whole message or None)`` as they arrive, in ``numbers`` order.

    TOP n 0, pipelined; on a server without TOP, RETR (then the whole message comes along, so
    the caller can keep it rather than fetch it twice). ``pause`` as in ``top_many``: the
    iteration may end early, having yielded a prefix of ``numbers``.
    """
    use_top = client.capabilities.top or not client.capabilities.raw
    if use_top:
        got_any = False
        try:
            async for number, data in client.top_many(numbers, 0, pause=pause):
                got_any = True
                yield number, header_block(data), None
            return
        except ServerError as error:
            if got_any or client.capabilities.top or error.code is not None:
                raise  # TOP worked, was promised, or failed with a code: a real error
    async for number, data in client.retr_many(numbers, pause=pause):
        yield number, header_block(data), data


def header_block(message: bytes) -> bytes:
    """The header block of a message or of ``TOP n 0`` output (up to the first empty line)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = message.find(separator)
        if end != -1:
            return message[: end + len(separator)]
    return message


async def fingerprints_of(client: POP3Client, numbers: list[int]) -> dict[int, str] | None:
    """Header fingerprints (``TOP n 0``) of ``numbers``; None when the server has no TOP.

    Only ever for a few messages: the marked ones before DELE, or the ones whose size changed.
    """
    from tui_mail.store.headers import header_fingerprint

    if not numbers:
        return {}
    caps = client.capabilities
    if not (caps.top or not caps.raw):  # no CAPA at all: TOP may still work
        return None
    seen: dict[int, str] = {}
    try:
        async for number, data in client.top_many(numbers, 0):
            seen[number] = header_fingerprint(header_block(data))
    except ServerError:
        if caps.top:
            raise
        return None
    return seen
