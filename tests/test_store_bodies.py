"""The body cache: streamed atomic writes, safe file names, LRU eviction, offline reads."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_mail.store import Listing, Store, StoreError, body_file_name
from tui_mail.store.bodies import SWEEP_MIN_AGE


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1  # every use is later than the one before
        return self.now


def listing(*uids: str) -> Listing:
    return {uid: (number, 100) for number, uid in enumerate(uids, start=1)}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    with Store.open("h", 995, "u", data_dir=tmp_path, body_cache_bytes=250, clock=clock) as opened:
        opened.reconcile(listing("a", "b", "c", "d", "../x"))
        yield opened


def files_in(store: Store) -> list[str]:
    return sorted(entry.name for entry in store.bodies.directory.iterdir())


def test_streamed_body_is_readable_offline(store: Store, tmp_path: Path) -> None:
    with store.bodies.writer("a") as sink:
        for chunk in (b"Subject: x\r\n", b"\r\n", b"body\r\n"):
            sink.write(chunk)
    assert store.bodies.read("a") == b"Subject: x\r\n\r\nbody\r\n"
    path = store.bodies.path("a")
    assert path is not None and path.name == body_file_name("a")
    store.close()
    with Store.open("h", 995, "u", data_dir=tmp_path) as reopened:
        assert reopened.bodies.read("a") == b"Subject: x\r\n\r\nbody\r\n"


def test_file_names_never_come_from_the_uid(store: Store) -> None:
    path = store.bodies.store("../x", b"evil")
    assert path.parent == store.bodies.directory
    assert ".." not in path.name and len(path.name) == 64 + len(".eml")
    assert body_file_name("a") != body_file_name("A")


def test_failed_download_leaves_no_trace_and_keeps_the_old_body(store: Store) -> None:
    store.bodies.store("a", b"complete old copy")
    with pytest.raises(ConnectionError), store.bodies.writer("a") as sink:
        sink.write(b"half of the new co")
        raise ConnectionError("link dropped")
    assert store.bodies.read("a") == b"complete old copy"
    assert files_in(store) == [body_file_name("a")]  # no temp file left behind


def test_body_of_unknown_uid_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="reconcile first"):
        store.bodies.store("never-listed", b"x")
    assert files_in(store) == []


def test_least_recently_used_bodies_are_evicted(store: Store) -> None:
    for uid in "abc":
        store.bodies.store(uid, b"x" * 100)  # limit 250: the third write evicts "a"
    assert not store.bodies.contains("a")
    assert store.bodies.read("b") is not None  # "b" now used more recently than "c"
    store.bodies.store("d", b"x" * 100)
    assert [store.bodies.contains(uid) for uid in "abcd"] == [False, True, False, True]
    assert store.bodies.total_bytes() == 200
    assert len(files_in(store)) == 2


def test_a_body_bigger_than_the_limit_is_kept_until_the_next(store: Store) -> None:
    store.bodies.store("a", b"x" * 100)
    store.bodies.store("b", b"y" * 1000)
    assert store.bodies.read("b") == b"y" * 1000 and not store.bodies.contains("a")
    store.bodies.store("c", b"z" * 10)
    assert not store.bodies.contains("b") and store.bodies.contains("c")


def test_vanished_and_deleted_messages_leave_the_body_cache(store: Store) -> None:
    store.bodies.store("a", b"1")
    store.bodies.store("b", b"2")
    store.reconcile(listing("b", "c", "d", "../x"))
    store.deletions_done(["b"])
    assert not store.bodies.contains("a") and not store.bodies.contains("b")
    assert files_in(store) == []


def test_a_file_removed_behind_our_back_is_a_miss(store: Store) -> None:
    path = store.bodies.store("a", b"data")
    path.unlink()
    assert store.bodies.read("a") is None
    assert not store.bodies.contains("a")
    truncated = store.bodies.store("b", b"longer data")
    truncated.write_bytes(b"short")
    assert store.bodies.path("b") is None


def test_orphans_and_stale_temp_files_are_swept_when_old(store: Store) -> None:
    directory = store.bodies.directory
    orphan = directory / body_file_name("b")  # a crash between rename and commit
    stale_temp = directory / ".tmp-abc"  # a crash mid-download
    young_temp = directory / ".tmp-def"  # maybe another process writing right now
    for path in (orphan, stale_temp, young_temp):
        path.write_bytes(b"partial")
    old = time.time() - SWEEP_MIN_AGE - 10
    os.utime(orphan, (old, old))
    os.utime(stale_temp, (old, old))
    kept = store.bodies.store("a", b"kept")
    assert store.bodies.sweep() == 2
    assert files_in(store) == sorted([kept.name, young_temp.name])
