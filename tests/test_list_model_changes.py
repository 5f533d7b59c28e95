"""The list model applies a sync's changes (``ListChanged``) incrementally, equal to a rebuild.

Both paths are forced in turn: one row at a time (``bisect``) and the batch merge used when a
sync adds or removes thousands of rows; filters and sort orders change in between.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_mail.store.models import MessageSummary
from tui_mail.ui.list_model import MessageListModel, SortOrder

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
UIDS = [f"u{i}" for i in range(16)]


def make_row(uid: str, minutes: int, **changes: object) -> MessageSummary:
    base = MessageSummary(
        uid=uid,
        size=100,
        date=NOW - timedelta(minutes=minutes),
        sender="Sender",
        subject="subject",
        unread=False,
        arrival=minutes,
    )
    return base.with_(**changes)


def shown(model: MessageListModel) -> list[str]:
    return [model.uid_at(i) for i in range(len(model))]


rows = st.lists(
    st.builds(
        make_row,
        st.sampled_from(UIDS),
        st.integers(min_value=0, max_value=8),
        subject=st.sampled_from(["alpha", "beta", "Alpha beta"]),
        sender=st.sampled_from(["Amy", "bob", "Carol"]),
        size=st.integers(min_value=0, max_value=3),
        unread=st.booleans(),
        marked_delete=st.booleans(),
        date=st.sampled_from([None, NOW]) | st.just(NOW - timedelta(days=1)),
    ),
    max_size=16,
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("apply"), rows, st.lists(st.sampled_from(UIDS), max_size=8)),
        st.tuples(st.just("filter"), st.sampled_from(["", "alpha", "beta", "bob"])),
        st.tuples(st.just("order"), st.sampled_from(list(SortOrder))),
    ),
    max_size=8,
)


@pytest.mark.parametrize("bulk_fraction", [0, 10**9], ids=["one-by-one", "merge"])
@settings(max_examples=250, deadline=None)
@given(initial=rows, plan=steps)
def test_applied_changes_equal_a_full_rebuild(
    bulk_fraction: int, initial: list[MessageSummary], plan: list[tuple[object, ...]]
) -> None:
    model = MessageListModel()
    model.BULK_FRACTION = bulk_fraction
    model.replace_all(initial)
    truth = {row.uid: row for row in initial}
    needle = ""
    for step in plan:
        if step[0] == "apply":
            changed, removed = step[1], step[2]
            assert isinstance(changed, list) and isinstance(removed, list)
            model.apply(changed, removed)
            for uid in removed:
                truth.pop(uid, None)
            truth.update({row.uid: row for row in changed})
        elif step[0] == "filter":
            needle = str(step[1])
            model.set_filter(needle)
        else:
            order = step[1]
            assert isinstance(order, SortOrder)
            model.set_order(order)
    fresh = MessageListModel(model.order)
    fresh.replace_all(truth.values())
    fresh.set_filter(needle)
    assert shown(model) == shown(fresh)
    assert (model.total, model.unread, model.marked) == (fresh.total, fresh.unread, fresh.marked)
    for index, uid in enumerate(shown(model)):
        assert model.index_of(uid) == index
        assert model.row_at(index) == truth[uid]


def test_a_large_batch_merges_without_recomputing_every_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """2,000 new rows and 1,000 gone out of 10,000: only the new rows get a sort key."""
    model = MessageListModel()
    model.replace_all(make_row(f"k{n:05d}", n) for n in range(10_000))
    model.set_filter("subject")
    computed: list[str] = []
    import tui_mail.ui.list_model as list_model

    real = list_model.sort_key

    def counting(row: MessageSummary, order: SortOrder) -> tuple[object, ...]:
        computed.append(row.uid)
        return real(row, order)

    monkeypatch.setattr(list_model, "sort_key", counting)
    added = [make_row(f"n{n:05d}", n, subject="new subject") for n in range(2_000)]
    model.apply(added, [f"k{n:05d}" for n in range(0, 10_000, 10)])
    assert len(computed) == 2_000
    assert model.total == 11_000 and len(model) == 11_000
    assert shown(model)[:3] == ["n00000", "k00001", "n00001"]  # one minute: the UID decides


def test_removing_and_re_adding_in_one_batch_keeps_the_row() -> None:
    model = MessageListModel()
    model.replace_all([make_row("a", 1), make_row("b", 2)])
    model.apply([make_row("a", 3, unread=True)], ["a", "b", "missing"])
    assert shown(model) == ["a"] and model.unread == 1 and model.total == 1
