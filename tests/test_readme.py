"""The README's two set-up commands are the contract with a newcomer; CI runs the second."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SETUP = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]


def commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", SETUP, flags=re.S)


def test_exactly_two_single_line_setup_commands() -> None:
    found = commands()
    assert len(found) == 2
    assert all("\n" not in command for command in found)
    demo, tests = found
    assert demo.endswith("tui-mail --demo")
    assert "pytest" in tests
    assert all(command.startswith("python3 -m venv .venv && ") for command in found)


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "Run the tests:" in ci  # .ci/run reads the command from the README itself
    assert 'bash -c "$TEST_COMMAND"' in ci
    assert "Run the tests:\n\n```sh\n" + commands()[1] + "\n```" in README
