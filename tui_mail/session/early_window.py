"""The first window of TOPs goes out before the listing is reconciled, when a store is empty.

Between UIDL + LIST and the first rows, the ledger learns the listing in one transaction: at
10,000 messages that is tens of milliseconds of SQLite that grows with the mailbox, followed
by a round trip for the first TOPs. When the store holds no message, every listed one needs
its headers, newest first, so those TOPs are known as soon as UIDL and LIST are parsed: they
are sent then, and the round trip runs while the ledger is written (issue 14: nothing that is
O(mailbox) between login and the first rows).

Nothing is decided from the answers until the reconcile has mapped this session's numbers to
keys (the UIDs come from this session's UIDL either way), and they are used only if the sync
wants exactly these numbers in this order; otherwise they are dropped unread (the client
skips abandoned answers before its next command). TOP changes nothing on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable

from tui_mail.pop3 import POP3Client
from tui_mail.session.identity import iter_header_blocks

Block = tuple[int, bytes, bytes | None]  # number, header block, whole message (RETR) or None


class EarlyWindow:
    """Header blocks of ``numbers`` requested now, read later through :meth:`take`."""

    def __init__(
        self, client: POP3Client, numbers: list[int], pause: Callable[[], bool] | None
    ) -> None:
        self.numbers = numbers
        self._blocks = iter_header_blocks(client, numbers, pause=pause)
        # The task runs the iteration up to its first answer: it sends the first window of
        # commands at once, then waits for the server while the caller reconciles.
        self._first = asyncio.create_task(self._first_block())
        self._taken = False
        self._closed = False

    @classmethod
    async def send(
        cls, client: POP3Client, numbers: list[int], pause: Callable[[], bool] | None = None
    ) -> EarlyWindow:
        """Start the window and give its task the turn that writes the commands."""
        window = cls(client, numbers, pause)
        await asyncio.sleep(0)
        return window

    def take(self, numbers: list[int]) -> AsyncGenerator[Block, None] | None:
        """The blocks, if the caller wants exactly ``numbers`` (in this order); else None.

        Once taken, closing the returned iterator (or :meth:`close`) closes the window.
        """
        if self._taken or numbers != self.numbers:
            return None
        self._taken = True
        return self._answers()

    async def _first_block(self) -> Block:
        return await anext(self._blocks)

    async def _answers(self) -> AsyncGenerator[Block, None]:
        async with contextlib.aclosing(self._blocks):
            try:
                yield await self._first
            except StopAsyncIteration:  # paused before sending anything
                return
            async for block in self._blocks:
                yield block

    async def close(self) -> None:
        """Stop the window: its task ended, unread answers left for the client to skip.

        Safe to call more than once, and after :meth:`take` (a taken iterator that was never
        started, or left half-read, still releases the client here).
        """
        if self._closed:
            return
        self._closed = self._taken = True
        if not self._first.done():
            self._first.cancel()
        await asyncio.wait([self._first])  # never raises: the outcome is read below
        if not self._first.cancelled():
            self._first.exception()  # an error here is the next command's to meet, not ours
        await self._blocks.aclose()
