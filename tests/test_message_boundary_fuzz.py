"""Real headers, mutated, through the whole path: store -> list row -> preview, nothing escapes.

The seeds are the corpus messages (Japanese, hostile, broken structure). Hypothesis mutates
their Date, From, Subject and sizes the way broken and hostile mailers do (offsets of days,
years 1 and 9999, nested comments and quotes, encoded words with odd charsets, 5,000-digit
numbers, raw 8-bit bytes) and the result is stored, listed in two zones and previewed.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_mail.mail.degraded import render_message_safely
from tui_mail.mail.sanitize import unsafe_characters
from tui_mail.store import Store
from tui_mail.ui.columns import column_layout
from tui_mail.ui.list_model import MessageListModel, SortOrder
from tui_mail.ui.widgets.message_list import _row_cells

CORPUS = Path(__file__).parent / "corpus"
SEEDS = sorted(path.read_bytes() for path in CORPUS.glob("*.eml") if path.stat().st_size < 64_000)

days = st.sampled_from(["Mon", "Fri", "Xyz", ""])
months = st.sampled_from(["Jan", "Dec", "Feb", "Foo"])
years = st.sampled_from(["1", "0001", "1970", "2024", "9999", "10000", "99999999999"])
zones = st.sampled_from(
    ["+0000", "-0000", "-3000", "+2400", "+9959", "-2359", "JST", "XYZ", "+09:00", ""]
)
dates = st.one_of(
    st.builds(
        "{}, {} {} {} {}:{}:{} {}".format,
        days,
        st.integers(0, 99),
        months,
        years,
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 99),
        zones,
    ),
    st.text(max_size=60),
    st.sampled_from(["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00-23:59"]),
)
nesting = st.integers(0, 1200)
addresses = st.one_of(
    st.builds(lambda n, a: "(" * n + a, nesting, st.emails()),
    st.builds(lambda n: '"' + "\\" * n + '" <a@b>', st.integers(0, 500)),
    st.builds(lambda n: "<" * n + "a@b" + ">" * n, st.integers(0, 500)),
    st.builds(lambda n: "=?utf-8?b?" + "KA==" * n + "?= <a@b>", st.integers(0, 300)),
    st.builds(lambda n: "a@b, " * n, st.integers(0, 2000)),
    st.text(max_size=80),
)
subjects = st.one_of(
    st.builds(
        lambda c, t: f"=?{c}?q?{t}?=",
        st.sampled_from(["utf-8", "x-bogus", "iso-2022-jp", "utf-7", ""]),
        st.text(max_size=40),
    ),
    st.builds(lambda n: "=?utf-8?q?a?= " * n, st.integers(0, 3000)),
    st.text(max_size=200),
)
raw_bytes = st.binary(max_size=200)
sizes = st.one_of(st.integers(0, 10**15 - 1), st.just(10**15 - 1))


def mutate(seed: bytes, field: bytes, value: bytes) -> bytes:
    """``seed`` with its first ``field`` header replaced by (or given) ``value``."""
    head, sep, body = seed.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = seed.partition(b"\n\n")
    lines = [
        line for line in head.split(b"\n") if not line.lower().startswith(field.lower() + b":")
    ]
    lines.insert(0, field + b": " + value)
    return b"\n".join(lines) + (sep or b"\r\n\r\n") + body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    date=dates,
    sender=addresses,
    subject=subjects,
    junk=raw_bytes,
    size=sizes,
    zone=st.sampled_from(["Asia/Tokyo", "America/Los_Angeles"]),
)
def test_no_mutated_header_escapes_the_per_message_boundary(
    tmp_path_factory: pytest.TempPathFactory,
    seed: bytes,
    date: str,
    sender: str,
    subject: str,
    junk: bytes,
    size: int,
    zone: str,
) -> None:
    message = seed
    message = mutate(message, b"Date", date.encode("utf-8", "surrogateescape"))
    message = mutate(message, b"From", sender.encode("utf-8", "surrogatepass"))
    message = mutate(message, b"Subject", subject.encode("utf-8", "surrogatepass") + junk)
    old_zone = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        directory = tmp_path_factory.mktemp("fuzz")
        with Store.open("h", 995, "u", data_dir=directory) as store:
            store.reconcile({"bad": (1, size), "good": (2, 100)})
            rows = store.add_headers([("bad", message), ("good", seed)])
            assert {row.uid for row in rows} == {"bad", "good"}
            listed = store.summaries()  # a later start reads the cached values back
        model = MessageListModel()
        model.replace_all(listed)
        for order in SortOrder:
            model.set_order(order)
        now = datetime.now().astimezone()
        for row in listed:
            cells = _row_cells(row, column_layout(80), now)
            assert not any(unsafe_characters(cell, single_line=True) for cell in cells)
        rendered = render_message_safely(message).as_text()
        assert not unsafe_characters(rendered.replace("\n", ""))
    finally:
        if old_zone is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old_zone
        time.tzset()
