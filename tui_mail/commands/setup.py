"""``tui-mail setup``: add an account with the set-up screen (the first run opens it too).

The config file is only ever appended to (a hand-written one keeps its comments); a config
the program cannot read is reported, never overwritten.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``tui-mail setup`` takes only the global options (``--log``, ``--mouse/--no-mouse``)."""


def run(args: argparse.Namespace) -> int:
    """0 once an account is saved; 1 if the user left; 2 if the config is unusable."""
    from tui_mail.accounts import ConfigError, config_file_path
    from tui_mail.accounts.config_append import existing_config
    from tui_mail.commands.reader import mouse_wanted, open_protocol_log

    path = config_file_path()
    try:
        current = existing_config(path)
    except ConfigError as exc:
        print(
            f"tui-mail: {exc}\ntui-mail: fix the file (or move it away) and run "
            "`tui-mail setup` again",
            file=sys.stderr,
        )
        return 2
    log = open_protocol_log(args.log)
    if log is None:
        return 2
    from tui_mail.ui.setup_app import run_setup

    try:
        result = run_setup(
            config_path=path,
            taken_names=tuple(current.accounts) if current else (),
            protocol_log=log,
            mouse=mouse_wanted(args, None),
        )
    finally:
        log.close()
    if result is None:
        print("tui-mail: set-up left; nothing was saved.", file=sys.stderr)
        return 1
    account = result.account
    how = "tui-mail" if account.default else f"tui-mail --account {account.name}"
    print(f"Saved account {account.name!r} in {path} (readable only by you).\nRead it with: {how}")
    return 0
