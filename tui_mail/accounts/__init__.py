"""Accounts: the config file and the secrets chain (command, keyring, prompt)."""

from tui_mail.accounts.config import (
    Account,
    Config,
    ConfigError,
    ConfigNotFound,
    load_config,
    parse_config,
)
from tui_mail.accounts.config_write import render_config, write_config
from tui_mail.accounts.paths import config_file_path, data_root
from tui_mail.accounts.secret_command import SecretError, run_secret_command
from tui_mail.accounts.secrets import (
    KEYRING_SERVICE,
    Secret,
    SecretProvider,
    SecretSource,
    terminal_prompt,
)
from tui_mail.vocabulary import (
    AUTH_MECHANISMS,
    OAUTH_MECHANISMS,
    TLS_MODES,
    AuthMechanism,
    TlsMode,
    default_port,
)

__all__ = [
    "AUTH_MECHANISMS",
    "KEYRING_SERVICE",
    "OAUTH_MECHANISMS",
    "TLS_MODES",
    "Account",
    "AuthMechanism",
    "Config",
    "ConfigError",
    "ConfigNotFound",
    "Secret",
    "SecretError",
    "SecretProvider",
    "SecretSource",
    "TlsMode",
    "config_file_path",
    "data_root",
    "default_port",
    "load_config",
    "parse_config",
    "render_config",
    "run_secret_command",
    "terminal_prompt",
    "write_config",
]
