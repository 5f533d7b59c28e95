"""Compile a tree's ``tui_mail`` to bytecode first, as ``pip install`` does for every user.

A process that finds no ``.pyc`` compiles each module it imports from source, and this
machine sets ``PYTHONDONTWRITEBYTECODE=1``, so nothing is ever cached: every start of an
uncompiled source tree paid ~0.2 s compiling our own modules (Textual, installed by pip, is
compiled), which no installed copy pays. The start-up benchmarks call this for each tree
they time, so they measure what users run.
"""

from __future__ import annotations

import compileall
from pathlib import Path


def compile_tree(tree: Path) -> None:
    """Write ``__pycache__`` for every module of ``tree/tui_mail`` (quietly; idempotent)."""
    if not compileall.compile_dir(tree / "tui_mail", quiet=1):
        raise SystemExit(f"cannot compile {tree / 'tui_mail'}")
