"""Add one account to the config file, keeping what the user wrote by hand.

The first account is written with :func:`write_config`. Later ones are appended as a new
``[accounts.NAME]`` table to the existing text, so comments and layout survive; the whole
result is parsed with the start-up checks before it atomically replaces the file (0600).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tui_mail.accounts.config import Account, Config, ConfigError, load_config, parse_config
from tui_mail.accounts.config_write import render_config, write_config
from tui_mail.accounts.paths import atomic_writer, config_file_path


def existing_config(path: Path | None = None) -> Config | None:
    """The current config, None if there is no file; a broken file raises ConfigError."""
    path = config_file_path() if path is None else Path(path)
    if not path.exists():
        return None
    return load_config(path)


def add_account(path: Path | None, account: Account) -> Config:
    """Save ``account`` as a new table; returns the config as it now loads.

    With no account marked default yet, the new one becomes the default, so ``tui-mail``
    without ``--account`` still knows which to open. Raises ConfigError (writing nothing)
    if the name is taken or the result would not load.
    """
    path = config_file_path() if path is None else Path(path)
    current = existing_config(path)
    if current is None or not current.accounts:
        return write_config(path, [dataclasses.replace(account, default=True)])
    if account.name in current.accounts:
        raise ConfigError(f"{path}: an account named {account.name!r} already exists")
    if not any(existing.default for existing in current.accounts.values()):
        account = dataclasses.replace(account, default=True)
    elif account.default:
        account = dataclasses.replace(account, default=False)
    old_text = path.read_text(encoding="utf-8")
    table = render_config([account]).split("\n", 1)[1]  # without the header comment
    text = old_text + ("" if old_text.endswith("\n") else "\n") + table
    config = parse_config(text, path)  # the same checks as at start-up, before writing
    with atomic_writer(path) as sink:
        sink.write(text.encode("utf-8"))
    return config
