"""Notes under a message with nested MIME: one line per problem, not one per level."""

from __future__ import annotations

from tui_mail.mail import render_message
from tui_mail.mail.notes import merged_notes

CUT_SHORT = (
    b'From: a@example.org\nSubject: t\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="A"\n'
    b'\n--A\nContent-Type: multipart/alternative; boundary="B"\n\n--B\nContent-Type: text/plain\n'
    b"Content-Transfer-Encoding: 8bit\n\ncaf\xe9\n--B\nContent-Type: text/plain\n"
    b"Content-Transfer-Encoding: 8bit\n\ncaf\xe9 2\n--A\nContent-Type: multipart/mixed; "
    b'boundary="C"\n\n--C\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\nhi\xe9\n'
)


def test_a_message_cut_short_inside_nested_parts_says_so_once() -> None:
    notes = render_message(CUT_SHORT).defects
    cut = [note for note in notes if "closing boundary" in note]
    assert cut == [
        "multipart/mixed ends without its closing boundary (the message may be cut short); "
        "so do 2 parts inside it"
    ]
    charset = [note for note in notes if "no charset declared" in note]
    assert charset == ["part 1.2, part 2.1: no charset declared; shown as windows-1252"]


def test_merging_keeps_distinct_problems_and_counts_many_parts() -> None:
    found = [(f"part {n}", "unknown charset “x”; shown as UTF-8") for n in range(1, 6)]
    found.append(("part 9", "something else"))
    assert merged_notes(found) == [
        "part 1, part 2, part 3 and 2 more: unknown charset “x”; shown as UTF-8",
        "part 9: something else",
    ]
    assert merged_notes([("", "one problem")]) == ["one problem"]
