"""The set-up screen's fields turned into an :class:`Account`, with messages for the user.

Kept apart from the widgets so the rules (what is required, which settings go together, what
an account is called) read in one place and are testable without a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tui_mail.accounts import Account
from tui_mail.accounts.config import MAX_ACCOUNT_NAME
from tui_mail.accounts.providers import Provider, domain_of, provider_for_address
from tui_mail.session.server_probe import Advice, ServerReport

LoginKind = Literal["password", "oauth"]


class FormProblem(ValueError):
    """A field needs the user's attention; ``field`` is the widget id to focus."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SetupFields:
    """What the user entered (strings as typed; empty means "not given")."""

    address: str = ""
    user: str = ""
    cafile: str = ""
    name: str = ""
    login: LoginKind = "password"
    password: str = ""
    password_command: str = ""
    token_command: str = ""
    allow_plaintext: bool = False


def suggest_name(address: str, taken: Collection[str] = ()) -> str:
    """A short account name: the provider's (``gmail``) or the domain's first label."""
    provider = provider_for_address(address)
    if provider is not None:
        base = provider.key
    else:
        domain = domain_of(address)
        base = domain.split(".")[0] if domain else "mail"
    base = re.sub(r"[^a-z0-9_-]+", "-", base.lower()).strip("-")[:40] or "mail"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}-{number}", number + 1
    return name


def resolve_cafile(text: str) -> Path | None:
    """The CA file as an absolute path, or None; raises FormProblem if it is not a file."""
    text = text.strip()
    if not text:
        return None
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    if not path.is_file():
        raise FormProblem(f"CA file not found: {path}", "cafile")
    return path


def build_account(
    fields: SetupFields, report: ServerReport, *, taken: Collection[str] = ()
) -> Account:
    """The account to test and save; raises :class:`FormProblem` naming the field to fix."""
    name = fields.name.strip() or suggest_name(fields.address, taken)
    if len(name) > MAX_ACCOUNT_NAME or not name.isprintable():
        raise FormProblem(
            f"the account name must be printable, at most {MAX_ACCOUNT_NAME} characters", "name"
        )
    if name in taken:
        raise FormProblem(f"an account named {name!r} exists already; choose another name", "name")
    user = fields.user.strip()
    if not user:
        raise FormProblem("enter the user name (usually the whole e-mail address)", "user")
    if report.tls == "none" and not fields.allow_plaintext:
        raise FormProblem(
            "this server offers no encryption; tick the box to log in anyway (trusted network "
            "only) or use another server",
            "allow_plaintext",
        )
    cafile = resolve_cafile(fields.cafile)
    plaintext = report.tls == "none"
    if fields.login == "oauth":
        token_command = fields.token_command.strip()
        if not token_command:
            raise FormProblem(
                "enter a command that prints a fresh OAuth2 access token", "token_command"
            )
        return Account(
            name=name,
            host=report.host,
            port=report.port,
            tls=report.tls,
            user=user,
            auth=report.oauth_auth(),
            oauth_token_command=token_command,
            cafile=cafile,
            allow_plaintext=plaintext,
        )
    password_command = fields.password_command.strip()
    if not password_command and not fields.password:
        raise FormProblem("enter the password (or a command that prints it)", "password")
    return Account(
        name=name,
        host=report.host,
        port=report.port,
        tls=report.tls,
        user=user,
        auth="auto",
        password_command=password_command or None,
        cafile=cafile,
        allow_plaintext=plaintext,
    )


def refusal_advice(account: Account, provider: Provider | None, server_text: str) -> Advice:
    """Why a login was refused, with the provider-specific fix when we know one."""
    text = f"Login refused: {server_text}"
    if account.uses_oauth:
        text += (
            " The token was fetched again once and still refused: check the token "
            "command's account and scope."
        )
    elif provider is not None and provider.app_passwords:
        text += f" {provider.name} needs an app password here, not your normal one."
    elif provider is not None and provider.oauth_only:
        text += f" {provider.name} accepts only OAuth2 tokens over POP."
    return Advice(text, warning=True)


def secret_advice(account: Account, keyring_usable: bool) -> Advice:
    """Where the secret will come from next time; on a box without keyring, what to do."""
    if account.uses_oauth:
        return Advice(
            "The token command worked; tui-mail runs it at every login, and once "
            "more if the server refuses an expired token."
        )
    if account.password_command is not None:
        return Advice("The password comes from your command; nothing was stored.")
    if keyring_usable:
        return Advice(
            f"Password saved in the system keyring (service tui-mail, user {account.keyring_user})."
        )
    return Advice(
        "No system keyring is usable here (usual over SSH), so the password was not saved: "
        "tui-mail will ask for it at each start. To avoid that, enter a command that prints "
        f"it under 'or command' (e.g. pass show mail/{account.name}) and test again; it is "
        "stored as password_command.",
        warning=True,
    )
