"""Only the UI layer may import Textual: the core must stay usable (and fuzzable) without it."""

import subprocess
import sys

import pytest

CORE_PACKAGES = [
    "tui_mail.pop3",
    "tui_mail.pop3.client",
    "tui_mail.pop3.protocol",
    "tests.pop3server",
    "tui_mail.store",
    "tui_mail.mail",
    "tui_mail.accounts",
    "tui_mail.session",
]


@pytest.mark.parametrize("module", CORE_PACKAGES)
def test_core_module_does_not_load_textual(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} loaded {out.stdout.strip()}"


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
