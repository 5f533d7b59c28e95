"""The config file: accounts in TOML, checked strictly before anything runs.

The program never runs on a half-understood config: an unknown key, a wrong type, a
missing required key, an unknown enum value or a setting that would be silently ignored is
a :class:`ConfigError` naming the file, the line and the key (``FILE:LINE: KEY: problem``).
Values are not echoed back except for short enum words, since a misplaced password could sit
in any of them.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from tui_mail.accounts.file_safety import command_program, unsafe_because
from tui_mail.accounts.paths import config_file_path, data_root
from tui_mail.accounts.sending import SENDING_KEYS, Sending, check_sending
from tui_mail.accounts.toml_lines import KeyPath, key_lines, line_of
from tui_mail.vocabulary import (
    AUTH_MECHANISMS,
    OAUTH_MECHANISMS,
    PIPELINING_MODES,
    TLS_MODES,
    AuthMechanism,
    PipeliningMode,
    TlsMode,
    default_port,
)

MAX_ACCOUNT_NAME = 64
#: Close an idle connection (no QUIT) after this many minutes, so locking servers let others in.
DEFAULT_IDLE_MINUTES = 5
MAX_IDLE_MINUTES = 24 * 60
MAX_DELETE_AFTER_DAYS = 36_500


class ConfigError(Exception):
    """The config cannot be used; ``str()`` is one line naming file, line and key."""


class ConfigNotFound(ConfigError):
    """There is no config file yet (the set-up screen can offer to write one)."""


@dataclass(frozen=True)
class Account:
    """One POP3 account as configured; ``port`` is already resolved from ``tls``."""

    name: str
    host: str
    port: int
    tls: TlsMode
    user: str
    auth: AuthMechanism = "auto"
    password_command: str | None = None
    oauth_token_command: str | None = None
    cafile: Path | None = None
    allow_plaintext: bool = False
    default: bool = False
    prefer_html: bool = False  # show the HTML part of multipart/alternative mail, as text
    pipelining: PipeliningMode = "auto"  # auto: as the server announces (CAPA PIPELINING)
    idle_minutes: int = DEFAULT_IDLE_MINUTES  # 0: stay connected (NOOP keepalive)
    leave_on_server: bool = True  # False: delete from the server what is stored locally
    delete_after_days: int | None = (
        None  # with leave_on_server: delete locally stored mail older than this
    )
    sending: Sending = field(default_factory=Sending)  # from, smtp, maildir, charset, signature

    def maildir_path(self, data_dir: Path | None = None) -> Path:
        """The account's Maildir: ``maildir`` if set, else ``DATA_DIR/mail/ACCOUNT``."""
        if self.sending.maildir is not None:
            return self.sending.maildir
        return data_root(data_dir) / "mail" / self.name

    @property
    def uses_oauth(self) -> bool:
        """True when the secret is an OAuth token (from ``oauth_token_command``)."""
        return self.auth in OAUTH_MECHANISMS

    @property
    def keyring_user(self) -> str:
        """The keyring user name: ``USER@HOST:PORT`` (one entry per server login)."""
        return f"{self.user}@{self.host}:{self.port}"


@dataclass(frozen=True)
class Config:
    """All accounts, in file order, and the reader's settings.

    ``keys`` is the ``[keys]`` table (binding id to ``"key[,key]"``), checked here for form
    only: the reader knows the ids and key names and reports problems through
    :meth:`key_error`, which names the line like every other config error.
    """

    path: Path
    accounts: Mapping[str, Account] = field(default_factory=dict)
    mouse: bool | None = None  # None: on, except over SSH
    keys: Mapping[str, str] = field(default_factory=dict)
    key_lines: Mapping[str, int] = field(default_factory=dict)

    def key_error(self, binding_id: str, problem: str) -> ConfigError:
        """A problem with ``[keys]`` entry ``binding_id``, as ``FILE:LINE: keys.ID: problem``."""
        line = self.key_lines.get(binding_id)
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        return ConfigError(f"{where}: keys.{binding_id}: {problem}")

    def account(self, name: str | None = None) -> Account:
        """The named account, or the default one (the only one, or the one with default = true)."""
        names = ", ".join(self.accounts) or "none"
        if name is not None:
            try:
                return self.accounts[name]
            except KeyError:
                raise ConfigError(
                    f"{self.path}: no account named {name!r} (accounts: {names})"
                ) from None
        if not self.accounts:
            raise ConfigError(f"{self.path}: no accounts configured; add an [accounts.NAME] table")
        if len(self.accounts) == 1:
            return next(iter(self.accounts.values()))
        for account in self.accounts.values():
            if account.default:
                return account
        raise ConfigError(
            f"{self.path}: {len(self.accounts)} accounts and none has default = true; "
            f"name one (accounts: {names})"
        )


def load_config(path: Path | None = None) -> Config:
    """Read and check the config (``$TUI_MAIL_CONFIG`` or the user config dir by default)."""
    path = config_file_path() if path is None else Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigNotFound(
            f"{path}: no config file; create it with an [accounts.NAME] table"
        ) from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    problem = unsafe_because(path)
    if problem is not None:
        # The file names commands we run (password_command): others must not edit it.
        raise ConfigError(
            f"{path}: bad owner or permissions: {problem}; refusing to run the commands it "
            f"names (fix with: chmod 600 {path}, chmod go-w its directory)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not valid UTF-8") from None
    return parse_config(text, path)


_TOML_POSITION = re.compile(r"^(.*) \(at line (\d+), column (\d+)\)$")


def parse_config(text: str, path: Path) -> Config:
    """Check config ``text`` (read from ``path``, which only names it in errors)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = _TOML_POSITION.match(message)
        if position:
            problem, line, column = position.groups()
            raise ConfigError(f"{path}:{line}: invalid TOML: {problem} (column {column})") from None
        raise ConfigError(f"{path}: invalid TOML: {message}") from None
    return _Checker(path, key_lines(text)).config(document)


_TYPE_WORDS: dict[type, str] = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    float: "a number",
    dict: "a table",
    list: "an array",
}


def _type_word(value: object) -> str:
    return _TYPE_WORDS.get(type(value), "a date or time")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(char)[0] == "C" for char in text)


_TOP_LEVEL_KEYS = ("accounts", "mouse", "keys")
_KNOWN_KEYS = (
    "host",
    "port",
    "tls",
    "user",
    "auth",
    "password_command",
    "oauth_token_command",
    "cafile",
    "allow_plaintext",
    "default",
    "prefer_html",
    "pipelining",
    "idle_minutes",
    "leave_on_server",
    "delete_after_days",
    *SENDING_KEYS,
)


class _Checker:
    """Turns the parsed document into a Config, or raises the first problem found."""

    def __init__(self, path: Path, lines: dict[KeyPath, int]) -> None:
        self.path = path
        self.lines = lines

    def error(self, key: KeyPath, problem: str) -> ConfigError:
        line = line_of(self.lines, key)
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        dotted = ".".join(
            part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else repr(part) for part in key
        )
        return ConfigError(f"{where}: {dotted}: {problem}")

    def config(self, document: dict[str, object]) -> Config:
        for key in document:
            if key not in _TOP_LEVEL_KEYS:
                raise self.error(
                    (key,),
                    "unknown key (the file holds [accounts.NAME] tables, [keys] and mouse)",
                )
        tables = document.get("accounts", {})
        if not isinstance(tables, dict):
            raise self.error(("accounts",), f"must be a table, not {_type_word(tables)}")
        accounts: dict[str, Account] = {}
        default_name: str | None = None
        for name, table in tables.items():
            account = self.account(name, table)
            if account.default:
                if default_name is not None:
                    raise self.error(
                        ("accounts", name, "default"),
                        f"account {default_name!r} is already the default",
                    )
                default_name = name
            accounts[name] = account
        mouse = cast(bool, self.typed((), document, "mouse", bool)) if "mouse" in document else None
        table = document.get("keys", {})
        if not isinstance(table, dict):
            raise self.error(("keys",), f"must be a table, not {_type_word(table)}")
        keys: dict[str, str] = {}
        key_lines: dict[str, int] = {}
        self.keys(("keys",), table, keys, key_lines)
        return Config(self.path, accounts, mouse=mouse, keys=keys, key_lines=key_lines)

    def keys(
        self,
        where: KeyPath,
        table: dict[str, object],
        keys: dict[str, str],
        key_lines: dict[str, int],
    ) -> None:
        """``[keys]``: ``mail.delete = "D"`` (TOML reads the dotted id as nested tables).

        Only the form is checked here; the reader checks the ids and key names.
        """
        for name, value in table.items():
            path = (*where, name)
            if isinstance(value, dict):
                self.keys(path, value, keys, key_lines)
                continue
            binding_id = ".".join(path[1:])
            if type(value) is not str:
                raise self.error(path, f"must be a string, not {_type_word(value)}")
            names = [part.strip() for part in value.split(",")]
            if not value.strip() or any(not key or _has_control(key) for key in names):
                raise self.error(path, 'must name keys separated by commas, e.g. "d,delete"')
            keys[binding_id] = ",".join(names)
            line = line_of(self.lines, path)
            if line is not None:
                key_lines[binding_id] = line

    def account(self, name: str, table: object) -> Account:
        where: KeyPath = ("accounts", name)
        if not isinstance(table, dict):
            raise self.error(where, f"must be a table of settings, not {_type_word(table)}")
        if not name.strip() or name != name.strip() or _has_control(name):
            raise self.error(where, "account names must be printable, without edge spaces")
        if len(name) > MAX_ACCOUNT_NAME:
            raise self.error(where, f"account names are at most {MAX_ACCOUNT_NAME} characters")
        for key in table:
            if key not in _KNOWN_KEYS:
                raise self.error((*where, key), self._unknown_key_problem(key))
        for key in ("host", "user"):
            if key not in table:
                raise self.error(where, f"missing required key {key!r}")

        host = self.text(where, table, "host")
        if "://" in host or "/" in host or any(char.isspace() for char in host):
            raise self.error((*where, "host"), "write the host name only, e.g. pop.example.org")
        user = self.text(where, table, "user")
        tls = cast(TlsMode, self.choice(where, table, "tls", TLS_MODES, "implicit"))
        auth = cast(AuthMechanism, self.choice(where, table, "auth", AUTH_MECHANISMS, "auto"))
        port = self.port(where, table, tls)
        password_command = self.command(where, table, "password_command")
        token_command = self.command(where, table, "oauth_token_command")
        cafile = self.cafile(where, table)
        allow_plaintext = self.flag(where, table, "allow_plaintext")
        is_default = self.flag(where, table, "default")
        prefer_html = self.flag(where, table, "prefer_html")
        pipelining = cast(
            PipeliningMode, self.choice(where, table, "pipelining", PIPELINING_MODES, "auto")
        )
        idle_minutes = self.idle_minutes(where, table)
        leave_on_server = self.flag(where, table, "leave_on_server", default=True)
        delete_after_days = self.delete_after_days(where, table, leave_on_server)
        sending = check_sending(self, where, table)

        if tls == "none" and not allow_plaintext:
            raise self.error(
                (*where, "tls"),
                'tls = "none" sends the login unencrypted; use "implicit" or "starttls", '
                "or set allow_plaintext = true",
            )
        if allow_plaintext and tls != "none":
            raise self.error(
                (*where, "allow_plaintext"),
                f'only applies with tls = "none" (this account uses {tls!r}); remove it',
            )
        if auth in OAUTH_MECHANISMS:
            if token_command is None:
                raise self.error((*where, "auth"), f"{auth} needs oauth_token_command")
            if password_command is not None:
                raise self.error(
                    (*where, "password_command"),
                    f"not used with auth = {auth!r} (the token comes from oauth_token_command)",
                )
        elif token_command is not None:
            raise self.error(
                (*where, "oauth_token_command"),
                'only used with auth = "xoauth2" or "oauthbearer"',
            )
        return Account(
            name=name,
            host=host,
            port=port,
            tls=tls,
            user=user,
            auth=auth,
            password_command=password_command,
            oauth_token_command=token_command,
            cafile=cafile,
            allow_plaintext=allow_plaintext,
            default=is_default,
            prefer_html=prefer_html,
            pipelining=pipelining,
            idle_minutes=idle_minutes,
            leave_on_server=leave_on_server,
            delete_after_days=delete_after_days,
            sending=sending,
        )

    @staticmethod
    def _unknown_key_problem(key: str) -> str:
        if key.lower() in {"password", "pass", "passwd", "secret", "token"}:
            return (
                "unknown key; passwords do not belong in the config file: "
                "use password_command or the keyring"
            )
        return "unknown key (known: " + ", ".join(_KNOWN_KEYS) + ")"

    def typed(self, where: KeyPath, table: dict[str, object], key: str, kind: type) -> object:
        value = table[key]
        if type(value) is not kind:  # exact: TOML true must not pass as the integer 1
            raise self.error((*where, key), f"must be {_TYPE_WORDS[kind]}, not {_type_word(value)}")
        return value

    def text(self, where: KeyPath, table: dict[str, object], key: str) -> str:
        value = cast(str, self.typed(where, table, key, str))
        if not value.strip():
            raise self.error((*where, key), "must not be empty")
        if _has_control(value):
            raise self.error((*where, key), "must not contain control characters")
        return value

    def optional_text(self, where: KeyPath, table: dict[str, object], key: str) -> str | None:
        return self.text(where, table, key) if key in table else None

    def command(self, where: KeyPath, table: dict[str, object], key: str) -> str | None:
        """A command to run; a program named by path must be as private as this file."""
        command = self.optional_text(where, table, key)
        program = command_program(command) if command is not None else None
        problem = unsafe_because(program) if program is not None else None
        if problem is not None:
            raise self.error(
                (*where, key), f"{program}: bad owner or permissions: {problem}; refusing to run it"
            )
        return command

    def choice(
        self,
        where: KeyPath,
        table: dict[str, object],
        key: str,
        allowed: tuple[str, ...],
        fallback: str,
    ) -> str:
        if key not in table:
            return fallback
        value = cast(str, self.typed(where, table, key, str))
        if value not in allowed:
            # Echo short words only: a long value could be a misplaced secret.
            shown = f"{value!r} " if len(value) <= 20 and not _has_control(value) else ""
            raise self.error((*where, key), f"{shown}is not one of: " + ", ".join(allowed))
        return value

    def flag(
        self, where: KeyPath, table: dict[str, object], key: str, *, default: bool = False
    ) -> bool:
        return cast(bool, self.typed(where, table, key, bool)) if key in table else default

    def port(self, where: KeyPath, table: dict[str, object], tls: str) -> int:
        if "port" not in table:
            return default_port(tls)
        value = cast(int, self.typed(where, table, "port", int))
        if not 1 <= value <= 65535:
            raise self.error((*where, "port"), "must be between 1 and 65535")
        return value

    def idle_minutes(self, where: KeyPath, table: dict[str, object]) -> int:
        if "idle_minutes" not in table:
            return DEFAULT_IDLE_MINUTES
        value = cast(int, self.typed(where, table, "idle_minutes", int))
        if not 0 <= value <= MAX_IDLE_MINUTES:
            raise self.error(
                (*where, "idle_minutes"), f"must be between 0 and {MAX_IDLE_MINUTES} (0: never)"
            )
        return value

    def delete_after_days(
        self, where: KeyPath, table: dict[str, object], leave_on_server: bool
    ) -> int | None:
        if "delete_after_days" not in table:
            return None
        if not leave_on_server:
            raise self.error(
                (*where, "delete_after_days"),
                "only applies with leave_on_server = true (false already deletes what is stored)",
            )
        value = cast(int, self.typed(where, table, "delete_after_days", int))
        if not 1 <= value <= MAX_DELETE_AFTER_DAYS:
            raise self.error(
                (*where, "delete_after_days"), f"must be between 1 and {MAX_DELETE_AFTER_DAYS}"
            )
        return value

    def cafile(self, where: KeyPath, table: dict[str, object]) -> Path | None:
        return self.path_value(where, table, "cafile", must_exist=True)

    def path_value(
        self, where: KeyPath, table: dict[str, object], key: str, *, must_exist: bool
    ) -> Path | None:
        """A path setting, relative to the config file (not the cwd); ``~`` expanded."""
        if key not in table:
            return None
        path = Path(self.text(where, table, key)).expanduser()
        if not path.is_absolute():
            path = self.path.parent / path
        if must_exist:
            if not path.is_file():
                raise self.error((*where, key), "no such file")
            if not os.access(path, os.R_OK):
                raise self.error((*where, key), "file is not readable")
        return path
