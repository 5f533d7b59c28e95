"""Render the whole rendering corpus (tests/corpus/*.eml) in one process: the render cost.

Baseline in the same run: CPython's ``email`` package (``policy.default``) parsing each
message and fetching the text of its preferred body. Quote the ratio; machines are noisy.
Each side runs ``--rounds`` times and the best round counts.

    python benchmarks/render_corpus.py [--rounds 5] [DIR]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import time
from datetime import UTC
from pathlib import Path

from tui_mail.mail import render_message

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"


def tui_mail_round(messages: list[bytes]) -> None:
    for raw in messages:
        render_message(raw, tz=UTC).as_text()


def stdlib_round(messages: list[bytes]) -> None:
    for raw in messages:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        try:
            body = parsed.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
            if body is not None:
                body.get_content()
        except (LookupError, ValueError, KeyError, AttributeError, TypeError):
            pass


def best(rounds: int, run: object, messages: list[bytes]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run(messages)  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=CORPUS)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    messages = [path.read_bytes() for path in sorted(args.directory.glob("*.eml"))]
    size = sum(len(raw) for raw in messages)
    ours = best(args.rounds, tui_mail_round, messages)
    stdlib = best(args.rounds, stdlib_round, messages)
    print(f"{len(messages)} messages, {size / 1e6:.1f} MB, best of {args.rounds} rounds")
    print(f"tui-mail render : {ours:.3f} s")
    print(f"stdlib email    : {stdlib:.3f} s  ({stdlib / ours:.1f}x tui-mail)")


if __name__ == "__main__":
    main()
