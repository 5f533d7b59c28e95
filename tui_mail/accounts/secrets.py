"""Where a login secret comes from: command, then keyring, then a masked prompt.

Order for passwords: ``password_command`` when set (a failing command is an error, not a
reason to fall back: the user asked for it); else the system keyring (service ``tui-mail``,
user ``USER@HOST:PORT``); else the prompt, which offers to save into the keyring only when a
usable keyring exists, and saves only after the server accepted the password. OAuth tokens
come only from ``oauth_token_command``.

Headless boxes (SSH, no Secret Service) have only keyring's fail backend: nothing raises, and
the user is told once per process how to set ``password_command``. Once per process (not
once ever) because without a fix the user types the password every session anyway, and a
reminder that disappeared after the first run would leave them without the hint.

Secrets are cached in memory for the process so reconnects do not ask again;
:meth:`SecretProvider.login_rejected` drops them, and ``refresh=True`` re-runs a token command.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tui_mail.accounts.config import Account
from tui_mail.accounts.paths import config_file_path
from tui_mail.accounts.secret_command import DEFAULT_TIMEOUT, SecretError, run_secret_command

KEYRING_SERVICE = "tui-mail"

SecretSource = Literal["password_command", "keyring", "prompt", "oauth_token_command"]
AccountKey = tuple[str, int, str]


@dataclass(frozen=True)
class Secret:
    """A password or token, with where it came from. ``repr``/``str`` never show the value."""

    value: str = field(repr=False)
    source: SecretSource

    def __str__(self) -> str:
        return f"<secret from {self.source}>"


def _key(account: Account) -> AccountKey:
    return (account.host.lower(), account.port, account.user)


def terminal_prompt(text: str) -> str:
    """A masked prompt on the controlling terminal (for the command line)."""
    return getpass.getpass(text)


class _ProcessNotices:
    """Things told to the user at most once per process, whatever the provider instance."""

    keyring_advice_given = False


class SecretProvider:
    """Finds login secrets for accounts; one per process (or per UI session) is enough.

    ``prompt(text) -> str`` asks for a password (masked); None means non-interactive (cron,
    ``tui-mail check``), where a missing password is a :class:`SecretError`.
    ``confirm(question) -> bool`` asks whether to save a typed password in the keyring.
    ``notify(text)`` shows the user a one-line notice.
    """

    def __init__(
        self,
        *,
        prompt: Callable[[str], str] | None = None,
        confirm: Callable[[str], bool] | None = None,
        notify: Callable[[str], None] = lambda text: None,
        config_path: Path | None = None,
        command_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._prompt = prompt
        self._confirm = confirm
        self._notify = notify
        self._config_path = config_path
        self._command_timeout = command_timeout
        self._cache: dict[AccountKey, Secret] = {}
        self._save_after_login: dict[AccountKey, Secret] = {}
        self._keyring_refused: set[AccountKey] = set()
        self._keyring: Any = None  # the backend, resolved on first use
        self._keyring_usable: bool | None = None

    # -- the chain ---------------------------------------------------------------------

    def secret(self, account: Account, *, refresh: bool = False) -> Secret:
        """The password, or the OAuth token when the account's ``auth`` is an OAuth mechanism."""
        if account.uses_oauth:
            return self.token(account, refresh=refresh)
        return self.password(account)

    def token(self, account: Account, *, refresh: bool = False) -> Secret:
        """The OAuth token from ``oauth_token_command``; ``refresh=True`` runs it again."""
        if account.oauth_token_command is None:
            raise SecretError(f"account {account.name!r} has no oauth_token_command")
        cached = self._cache.get(_key(account))
        if cached is not None and not refresh:
            return cached
        value = run_secret_command(
            account.oauth_token_command,
            setting="oauth_token_command",
            account_name=account.name,
            timeout=self._command_timeout,
        ).strip()
        if not value:
            raise SecretError(
                f"oauth_token_command of account {account.name!r} printed a blank line"
            )
        secret = Secret(value, "oauth_token_command")
        self._cache[_key(account)] = secret
        return secret

    def password(self, account: Account) -> Secret:
        """The password from the command, the keyring, or the prompt (in that order)."""
        found = self.lookup_password(account)
        if found is not None:
            return found
        if self._prompt is None:
            raise SecretError(self._no_password_text(account))
        self.advise_if_no_keyring(account)
        value = self._prompt(f"Password for {account.user}@{account.host}: ")
        remember = False
        if value and self.keyring_usable() and self._confirm is not None:
            remember = self._confirm("Save this password in the system keyring?")
        return self.accept_typed_password(account, value, remember=remember)

    def lookup_password(self, account: Account) -> Secret | None:
        """Command or keyring, without prompting (for a UI that asks in its own dialog)."""
        key = _key(account)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if account.password_command is not None:
            secret = Secret(
                run_secret_command(
                    account.password_command,
                    setting="password_command",
                    account_name=account.name,
                    timeout=self._command_timeout,
                ),
                "password_command",
            )
        elif key not in self._keyring_refused and (value := self._keyring_get(account)):
            secret = Secret(value, "keyring")
        else:
            return None
        self._cache[key] = secret
        return secret

    def accept_typed_password(self, account: Account, value: str, *, remember: bool) -> Secret:
        """Take a password the user typed; ``remember`` saves it after a successful login."""
        if not value:
            raise SecretError(f"no password entered for account {account.name!r}")
        if "\0" in value or "\r" in value or "\n" in value:
            raise SecretError("a password cannot contain line breaks or NUL characters")
        key = _key(account)
        secret = Secret(value, "prompt")
        self._cache[key] = secret
        if remember and self.keyring_usable():
            self._save_after_login[key] = secret
        else:
            self._save_after_login.pop(key, None)
        return secret

    def accept_retyped_password(self, account: Account, value: str) -> Secret:
        """A password typed again after the server refused one (in the reader's dialog).

        If the refused one came from the keyring, the new one replaces it there once the
        server accepts it; otherwise it is kept in memory for this process only.
        """
        replace_keyring = _key(account) in self._keyring_refused
        return self.accept_typed_password(account, value, remember=replace_keyring)

    # -- after the login ---------------------------------------------------------------

    def notify_with(self, notify: Callable[[str], None]) -> None:
        """Send later notices elsewhere: once the full-screen reader owns the terminal, a
        line on stderr would be lost, so the session routes them to the status area."""
        self._notify = notify

    def login_succeeded(self, account: Account, secret: Secret) -> None:
        """Save a typed password in the keyring if the user asked (only now is it known good)."""
        key = _key(account)
        if self._save_after_login.get(key) != secret:
            return
        del self._save_after_login[key]
        self._keyring_refused.discard(key)
        try:
            self._backend().set_password(KEYRING_SERVICE, account.keyring_user, secret.value)
        except Exception as error:  # backends raise anything (D-Bus, locked...): no traceback
            self._keyring_failed(account, error)
        else:
            self._notify(f"Password for {account.keyring_user} saved in the system keyring.")

    def login_rejected(self, account: Account, secret: Secret) -> None:
        """The server refused ``secret`` ([AUTH]): forget it so the next attempt gets another.

        A refused keyring password is skipped for the rest of the process (the prompt takes
        over and, if saved, replaces it); a refused token is fetched again by re-running the
        token command; a refused command password comes from the command again (the caller
        should report rather than loop).
        """
        key = _key(account)
        if self._cache.get(key) == secret:
            del self._cache[key]
        self._save_after_login.pop(key, None)
        if secret.source == "keyring":
            self._keyring_refused.add(key)

    # -- keyring -----------------------------------------------------------------------

    def keyring_usable(self) -> bool:
        """True when a real keyring backend is configured and has not failed in this process."""
        if self._keyring_usable is None:
            self._backend()
        return bool(self._keyring_usable)

    def _backend(self) -> Any:
        if self._keyring is None:
            import keyring  # late: it costs ~0.15 s and most runs never need it
            from keyring.backends import fail, null

            self._keyring = keyring.get_keyring()
            self._keyring_usable = not isinstance(self._keyring, fail.Keyring | null.Keyring)
        return self._keyring

    def _keyring_get(self, account: Account) -> str | None:
        if not self.keyring_usable():
            return None
        try:
            value = self._backend().get_password(KEYRING_SERVICE, account.keyring_user)
        except Exception as error:  # e.g. a locked or unreachable Secret Service
            self._keyring_failed(account, error)
            return None
        return value if isinstance(value, str) and value else None

    def _keyring_failed(self, account: Account, error: Exception) -> None:
        self._keyring_usable = False
        # Only the type: a backend's message is not ours to vet.
        self._advise(account, f"The system keyring failed ({type(error).__name__}).")

    def advise_if_no_keyring(self, account: Account) -> None:
        """Before asking for a password: tell once per process how to avoid asking.

        :meth:`password` calls it; a UI that asks in its own dialog calls it first.
        """
        if not self.keyring_usable():
            self._advise(account, "No system keyring is available (usual over SSH).")

    def _advise(self, account: Account, reason: str) -> None:
        if _ProcessNotices.keyring_advice_given:
            return
        _ProcessNotices.keyring_advice_given = True
        self._notify(f"{reason} {self._password_command_hint(account)}")

    def _password_command_hint(self, account: Account) -> str:
        path = self._config_path or config_file_path()
        return (
            f"To avoid typing the password, add to [accounts.{account.name}] in {path} a "
            f'command that prints it, e.g. password_command = "pass show mail/{account.name}"'
        )

    def _no_password_text(self, account: Account) -> str:
        where = (
            "no password_command, no keyring entry"
            if self.keyring_usable()
            else ("no password_command and no system keyring")
        )
        return (
            f"no password for account {account.name!r} ({where}) and no terminal to ask on. "
            + self._password_command_hint(account)
        )
