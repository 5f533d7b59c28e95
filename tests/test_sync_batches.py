"""The first batch of headers is what fits on a screen; the rest come in large batches.

Rows appear after the fewest answers (first rows do not wait for a big batch), and a large
mailbox costs few transactions. Checked on what ``on_rows`` is told and what the store and
the check command do without a list to feed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pop3server import POP3TestServer
from tests.test_sync import message, sync
from tui_mail.session.sync import FIRST_BATCH, HEADER_BATCH
from tui_mail.store import MessageSummary, Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open("127.0.0.1", 110, "user", data_dir=tmp_path) as opened:
        yield opened


async def test_a_small_first_batch_then_large_ones(store: Store) -> None:
    batches: list[list[MessageSummary]] = []
    async with POP3TestServer([message(i) for i in range(1, 33)]) as server:
        result = await sync(server, store, on_rows=batches.append, first_batch=5, batch_size=10)
    assert result.headers_fetched == 32
    assert [len(batch) for batch in batches] == [5, 10, 10, 7]
    # The first batch is the newest messages: what the list shows at the top.
    assert sorted(row.arrival for row in batches[0]) == [28, 29, 30, 31, 32]


async def test_the_first_batch_is_never_larger_than_the_others(store: Store) -> None:
    batches: list[list[MessageSummary]] = []
    async with POP3TestServer([message(i) for i in range(1, 10)]) as server:
        await sync(server, store, on_rows=batches.append, first_batch=50, batch_size=4)
    assert [len(batch) for batch in batches] == [4, 4, 1]


def test_the_defaults_are_a_screen_then_large() -> None:
    assert 20 <= FIRST_BATCH <= 60 < HEADER_BATCH


async def test_without_a_list_the_store_does_not_read_rows_back(store: Store) -> None:
    async with POP3TestServer([message(i) for i in range(1, 4)]) as server:
        await sync(server, store)
    key = store.summaries()[0].uid
    block = b"From: a@example.org\r\nSubject: again\r\n\r\n"
    assert store.add_headers([(key, block)], rows=False) == []
    assert [row.subject for row in store.add_headers([(key, block)])] == ["again"]
    assert store.problem_count() == 0
    huge = b"Subject: huge\r\nX-Pad: " + b"a" * (300 << 10) + b"\r\n\r\n"  # cut: a problem
    store.add_headers([(key, huge)], rows=False)
    assert store.problem_count() == 1 == sum(1 for row in store.summaries() if row.problem)


def test_the_first_window_of_tops_is_the_first_batch() -> None:
    """The first rows need one round trip of TOPs: the window starts at a screen's worth."""
    from tui_mail.pop3.window import FIRST_WINDOW, AdaptiveWindow

    assert AdaptiveWindow(512).size == FIRST_WINDOW == FIRST_BATCH
    assert AdaptiveWindow(16).size == 16  # never above the maximum
