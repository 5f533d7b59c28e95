"""Write the config file (for the set-up screen): private, atomic and re-checked.

The text is rendered, parsed back with the same checks as :func:`load_config`, and only then
swapped in with temp file + fsync + rename, so a crash or a bad account never leaves a
config the program would refuse to start on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from tui_mail.accounts.config import (
    DEFAULT_IDLE_MINUTES,
    Account,
    Config,
    ConfigError,
    parse_config,
)
from tui_mail.accounts.paths import atomic_writer, config_file_path, ensure_private_dir
from tui_mail.vocabulary import default_port

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_HEADER_COMMENT = (
    "# tui-mail accounts. Passwords are not stored here (password_command or keyring).\n"
)


def _toml_string(value: str) -> str:
    """A TOML basic string; escapes quotes, backslashes and every control character."""
    out = ['"']
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def render_config(accounts: Iterable[Account]) -> str:
    """The TOML text for ``accounts``; optional settings at their defaults are left out."""
    parts = [_HEADER_COMMENT]
    for account in accounts:
        lines = [
            f"\n[accounts.{_toml_key(account.name)}]",
            f"host = {_toml_string(account.host)}",
        ]
        if account.port != default_port(account.tls):
            lines.append(f"port = {account.port}")
        lines.append(f"tls = {_toml_string(account.tls)}")
        lines.append(f"user = {_toml_string(account.user)}")
        lines.append(f"auth = {_toml_string(account.auth)}")
        if account.password_command is not None:
            lines.append(f"password_command = {_toml_string(account.password_command)}")
        if account.oauth_token_command is not None:
            lines.append(f"oauth_token_command = {_toml_string(account.oauth_token_command)}")
        if account.cafile is not None:
            lines.append(f"cafile = {_toml_string(str(account.cafile))}")
        if account.allow_plaintext:
            lines.append("allow_plaintext = true")
        if account.default:
            lines.append("default = true")
        if account.prefer_html:
            lines.append("prefer_html = true")
        if account.pipelining != "auto":
            lines.append(f"pipelining = {_toml_string(account.pipelining)}")
        if account.idle_minutes != DEFAULT_IDLE_MINUTES:
            lines.append(f"idle_minutes = {account.idle_minutes}")
        parts.append("\n".join(lines) + "\n")
    return "".join(parts)


def write_config(path: Path | None, accounts: Iterable[Account]) -> Config:
    """Replace the config file with ``accounts`` (0600, atomically); returns what was written.

    Raises :class:`ConfigError` (and writes nothing) if the accounts would not load back.
    """
    path = config_file_path() if path is None else Path(path)
    accounts = list(accounts)
    names = [account.name for account in accounts]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: two accounts share one name")
    text = render_config(accounts)
    config = parse_config(text, path)  # same checks as at start-up, before touching the file
    # A directory that already exists may be the user's own (e.g. dotfiles): leave its mode.
    ensure_private_dir(path.parent, tighten_existing=False)
    with atomic_writer(path) as sink:  # the temp file is created 0600 and renamed over
        sink.write(text.encode("utf-8"))
    return config
