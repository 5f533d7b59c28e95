"""Time from starting Python to the reader's first frame (headless, 80x24), and its imports.

Each run is a fresh interpreter that imports what ``tui-mail`` imports for the reader (CLI,
session, store repair, app, renderer, composer) and paints the app over an empty in-memory
session (``tests/fake_session.py``): no network, no disk, so what is left is start-up work.
``--baseline DIR`` runs the same probe against another checkout (e.g. a worktree of the commit
before the lazy imports) in the same run; ratios are what to quote, machines are noisy.

    python benchmarks/first_frame.py [--runs 7] [--baseline /path/to/older/checkout]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bytecode import compile_tree  # noqa: E402

PROBE = """
import asyncio, sys, time
started = float(sys.argv[1])
import tui_mail.cli, tui_mail.commands.reader, tui_mail.store.repair
from tui_mail.session.mail_session import MailSession
from tui_mail.smtp.outbox import Outbox
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.compose_actions import Composer
from tui_mail.ui.rendering import MailRenderer
from tests.fake_session import FakeSession
imported = time.time() - started
MailRenderer()
app = TuiMailApp(FakeSession(summaries=[]), account_name="bench", outcome_delay=0)

async def first_frame() -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        print(imported, time.time() - started, "lxml" in sys.modules)

asyncio.run(first_frame())
"""


def probe(tree: Path) -> tuple[float, float, bool]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, repr(time.time())],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    imported, frame, lxml = done.stdout.split()
    return float(imported), float(frame), lxml == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--baseline", type=Path, default=None)
    args = parser.parse_args()
    trees = [("this tree", ROOT)]
    if args.baseline is not None:
        trees.insert(0, ("baseline", args.baseline.resolve()))
    for _, tree in trees:
        compile_tree(tree)  # bytecode as installed (benchmarks/bytecode.py)
        probe(tree)  # warm the file cache
    results: dict[str, list[tuple[float, float, bool]]] = {label: [] for label, _ in trees}
    for _ in range(args.runs):  # interleaved, so a burst of load hits both alike
        for label, tree in trees:
            results[label].append(probe(tree))
    frames = {}
    for label, tree in trees:
        runs = results[label]
        imported = statistics.median(r[0] for r in runs)
        frames[label] = statistics.median(r[1] for r in runs)
        print(
            f"{label:9}: imports {imported:5.3f} s, first frame {frames[label]:5.3f} s "
            f"(median of {args.runs}; lxml loaded: {runs[-1][2]})  [{tree}]"
        )
    if args.baseline is not None:
        print(f"first frame, baseline / this tree: {frames['baseline'] / frames['this tree']:.2f}x")


if __name__ == "__main__":
    main()
