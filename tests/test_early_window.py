"""A cold sync sends its first TOPs before the ledger is written; nothing else changes.

Checked on the client's own protocol log (what was written, in order, against when the store
reconciled) and on the server's record of commands: the same TOPs, each once, newest first,
and a window that is not used leaves the session in step for the next command.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.pop3server import POP3TestServer
from tests.test_sync import logged_in as logged_in_as_in_sync
from tests.test_sync import message, tops
from tui_mail.pop3 import POP3Client
from tui_mail.session.early_window import EarlyWindow
from tui_mail.session.identity import header_block
from tui_mail.session.sync import SyncResult, sync_mailbox
from tui_mail.store import Store, StoreError

HANG_GUARD = 30.0  # seconds: only turns a deadlock into a failure, never a timing claim


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open("127.0.0.1", 110, "user", data_dir=tmp_path) as opened:
        yield opened


@asynccontextmanager
async def logged_in(server: POP3TestServer, wire: list[str]) -> AsyncIterator[POP3Client]:
    """A logged-in client that notes each command it writes in ``wire``."""

    def log(direction: str, line: str) -> None:
        if direction == "C":
            wire.append(line)

    async with logged_in_as_in_sync(server, protocol_log=log) as client:
        yield client


async def sync_logged(server: POP3TestServer, store: Store, **options: Any) -> list[str]:
    """Commands as the client wrote them, with ``reconcile`` where the store reconciled."""
    wire: list[str] = []
    reconcile = store.reconcile

    def noted(*args: Any, **kwargs: Any) -> Any:
        wire.append("reconcile")
        return reconcile(*args, **kwargs)

    store.reconcile = noted  # type: ignore[method-assign]
    try:
        async with logged_in(server, wire) as client:
            result: SyncResult = await asyncio.wait_for(
                sync_mailbox(client, store, **options), HANG_GUARD
            )
    finally:
        del store.reconcile
    assert result.applied
    return wire[wire.index("UIDL") :]


async def test_a_cold_sync_asks_for_the_newest_headers_before_reconciling(store: Store) -> None:
    async with POP3TestServer([message(i) for i in range(1, 8)]) as server:
        wire = await sync_logged(server, store)
    assert wire[: wire.index("reconcile")] == ["UIDL", *(f"TOP {n} 0" for n in range(7, 0, -1))]
    assert tops(server) == [f"TOP {n} 0" for n in range(7, 0, -1)]  # each once, newest first
    rows = store.summaries()
    assert [row.subject for row in rows] == [f"message {i}" for i in range(1, 8)]


async def test_the_early_window_is_one_screen_then_the_usual_windows(store: Store) -> None:
    async with POP3TestServer([message(i) for i in range(1, 121)]) as server:
        wire = await sync_logged(server, store)
        early = wire[1 : wire.index("reconcile")]
        assert early == [f"TOP {n} 0" for n in range(120, 80, -1)]  # FIRST_WINDOW of them
        assert tops(server) == [f"TOP {n} 0" for n in range(120, 0, -1)]
    assert len(store.summaries()) == 120 and store.problem_count() == 0


async def test_a_warm_sync_reconciles_before_any_top(store: Store) -> None:
    async with POP3TestServer([message(i) for i in range(1, 6)]) as server:
        await sync_logged(server, store)
        server.add_message(message(6))
        wire = await sync_logged(server, store)
    assert wire[:2] == ["UIDL", "reconcile"]
    assert wire[2:] == ["TOP 6 0", "QUIT"]  # only the new one, after the ledger knew it


async def test_a_store_of_gone_rows_checks_sizes_first_and_does_not_hang(store: Store) -> None:
    async with POP3TestServer([message(1)]) as server:
        await sync_logged(server, store)
        uid = server.uids()[0]
        server.mailbox.commit_deletions([uid])
        await sync_logged(server, store)  # the store now holds only a gone row
        server.add_message(message(1, b"Other mail under a recycled UID.\r\n"), uid=uid)
        wire = await sync_logged(server, store)
    # The known UID came back with another size: its headers are compared before the
    # reconcile, so no early window may hold the connection then.
    assert wire[:3] == ["UIDL", "TOP 1 0", "reconcile"]
    assert [row.uid for row in store.summaries()] == [uid]


async def test_a_failed_reconcile_leaves_the_session_in_step(store: Store) -> None:
    wire: list[str] = []

    def broken(*_: object, **__: object) -> None:
        raise StoreError("disk full")

    async with POP3TestServer([message(i) for i in range(1, 4)]) as server:
        async with logged_in(server, wire) as client:
            store.reconcile = broken  # type: ignore[method-assign,assignment]
            with pytest.raises(StoreError):
                await asyncio.wait_for(sync_mailbox(client, store), HANG_GUARD)
            del store.reconcile
            assert "TOP 3 0" in wire  # the early window had gone out
            # Its answers are skipped: the next command reads its own answer.
            assert header_block(await client.top(1)).startswith(b"From: Sender 1 ")
    assert server.deleted_uids == []


async def _listed(client: POP3Client) -> list[int]:
    sizes, _ = await client.list_and_uidl()
    return sorted(sizes, reverse=True)


async def test_a_window_not_taken_is_dropped_and_the_next_command_works() -> None:
    async with POP3TestServer([message(i) for i in range(1, 6)]) as server:
        async with logged_in(server, []) as client:
            numbers = await _listed(client)
            window = await EarlyWindow.send(client, numbers)
            assert window.take(numbers[1:]) is None  # other messages: not these answers
            await asyncio.wait_for(window.close(), HANG_GUARD)
            assert window.take(numbers) is None  # closed for good
            assert header_block(await client.top(2)).startswith(b"From: Sender 2 ")
            assert not client.closed


async def test_a_window_left_after_its_first_answer_leaves_the_session_in_step() -> None:
    async with POP3TestServer([message(i) for i in range(1, 6)]) as server:
        async with logged_in(server, []) as client:
            numbers = await _listed(client)
            window = await EarlyWindow.send(client, numbers)
            blocks = window.take(numbers)
            assert blocks is not None
            async with aclosing(blocks):
                async for number, block, whole in blocks:
                    assert (number, whole) == (5, None)
                    assert block.startswith(b"From: Sender 5 ")
                    break
            await window.close()  # already taken: nothing more to do
            assert header_block(await client.top(1)).startswith(b"From: Sender 1 ")
            assert not client.closed


async def test_a_paused_window_yields_nothing_and_holds_nothing() -> None:
    async with POP3TestServer([message(i) for i in range(1, 4)]) as server:
        async with logged_in(server, []) as client:
            numbers = await _listed(client)
            window = await EarlyWindow.send(client, numbers, pause=lambda: True)
            blocks = window.take(numbers)
            assert blocks is not None
            assert [item async for item in blocks] == []
            assert header_block(await client.top(3)).startswith(b"From: Sender 3 ")
        assert tops(server) == ["TOP 3 0"]


async def test_a_window_taken_but_never_read_is_released_by_close() -> None:
    async with POP3TestServer([message(i) for i in range(1, 4)]) as server:
        async with logged_in(server, []) as client:
            numbers = await _listed(client)
            window = await EarlyWindow.send(client, numbers)
            assert window.take(numbers) is not None  # a sync that failed before reading it
            await asyncio.wait_for(window.close(), HANG_GUARD)
            top = client.top(2)
            assert header_block(await asyncio.wait_for(top, HANG_GUARD)).startswith(
                b"From: Sender 2 "
            )
