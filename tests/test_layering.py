"""The layers hold: the core never loads Textual, and the import contracts in pyproject are kept.

``lint-imports`` (import-linter, configured in ``pyproject.toml``) checks the static import graph
in CI; the subprocess test below checks what really loads at run time, for every core module.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import tui_mail

ROOT = Path(__file__).resolve().parent.parent
CORE_PACKAGES = [
    "pop3",
    "store",
    "mail",
    "accounts",
    "session",
    "demo",
    "vocabulary",
    "wording",
    "compose",
    "smtp",
]


def core_modules() -> list[str]:
    """Every module of the core packages, found on disk (a new module is checked at once)."""
    found: list[str] = []
    for package in CORE_PACKAGES:
        name = f"tui_mail.{package}"
        found.append(name)
        path = [str(Path(tui_mail.__file__).parent / package)]
        found += [module.name for module in pkgutil.walk_packages(path, f"{name}.")]
    return found


def test_every_core_package_is_walked() -> None:
    modules = core_modules()
    assert "tui_mail.session.mail_session" in modules
    assert "tui_mail.session.errors" in modules
    assert "tui_mail.demo.server" in modules
    assert len(modules) >= 50


@pytest.mark.parametrize("package", CORE_PACKAGES)
def test_core_module_does_not_load_textual(package: str) -> None:
    modules = [name for name in core_modules() if name.split(".")[1] == package]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "    bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "    bad += sorted(m for m in sys.modules if m.startswith(('tui_mail.ui', 'tui_mail.commands')))\n"
        "    if bad:\n"
        "        print(name, ','.join(bad))\n"
        "        break\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{out.stdout.strip()}"


def test_import_contracts_are_kept() -> None:
    """The same check as ``lint-imports`` in CI, so a broken layer fails locally too."""
    code = "import sys\nfrom importlinter.cli import lint_imports\nsys.exit(lint_imports())\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stdout[-3000:]
    assert "0 broken" in out.stdout


def test_parsing_the_command_line_loads_neither_textual_nor_the_renderer() -> None:
    """``tui-mail check`` runs from shell prompts and status bars: its start-up stays light."""
    code = (
        "import sys\n"
        "from tui_mail.cli import build_parser\n"
        "build_parser().parse_args(['check'])\n"
        "heavy = ('textual', 'lxml', 'tui_mail.mail.render', 'tui_mail.ui')\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(heavy))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
