"""``tui-mail`` itself: open an account (or the demo) in the Textual reader.

Everything that can ask the user something on the terminal (the password prompt) happens here,
before the full-screen app starts; the session in the app then never prompts.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tui_mail.accounts import (
    Account,
    ConfigError,
    SecretError,
    SecretProvider,
    load_config,
    terminal_prompt,
)

ASSETS = Path(__file__).resolve().parent.parent.parent / "assets"
DEMO_MAIL = ASSETS / "demo"


def run(args: argparse.Namespace) -> int:
    """Open the reader; returns the exit status."""
    if args.demo:
        with _demo_account() as (account, data_dir, secrets):
            return _open_reader(account, secrets, data_dir, mouse=not args.no_mouse)
    try:
        account = load_config().account(args.account)
    except ConfigError as exc:
        print(f"tui-mail: {exc}", file=sys.stderr)
        return 2
    secrets = SecretProvider(prompt=terminal_prompt, confirm=_confirm,
                             notify=lambda text: print(text, file=sys.stderr))
    try:
        secrets.secret(account)  # ask now, on the plain terminal; the session reuses it
    except SecretError as exc:
        print(f"tui-mail: {exc} (showing the cached mailbox only)", file=sys.stderr)
    except (KeyboardInterrupt, EOFError):
        return 130
    return _open_reader(account, secrets, None, mouse=not args.no_mouse)


def _confirm(question: str) -> bool:
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _open_reader(account: Account, secrets: SecretProvider, data_dir: Path | None, *,
                 mouse: bool) -> int:
    from tui_mail.session.mail_session import MailSession
    from tui_mail.store import Store
    from tui_mail.ui.app import run_app
    from tui_mail.ui.rendering import MailRenderer

    with Store.for_account(account, data_dir=data_dir) as store:
        session = MailSession(account, store, secrets)
        return run_app(session, mouse=mouse, renderer=MailRenderer())


@contextlib.contextmanager
def _demo_account() -> Iterator[tuple[Account, Path, SecretProvider]]:
    """A POP3 test server on a free loopback port with the sample mail, and a throw-away store."""
    from tui_mail.pop3.testserver import POP3TestServer

    messages = [path.read_bytes() for path in sorted(DEMO_MAIL.glob("*.eml"))]
    if not messages:
        raise SystemExit(f"tui-mail: no sample mail found in {DEMO_MAIL}")
    server = POP3TestServer(messages, user="demo", password="demo")  # noqa: S106 - sample account
    with tempfile.TemporaryDirectory(prefix="tui-mail-demo-") as tmp, server.background():
        account = Account(name="demo", host=server.host, port=server.port, tls="none",
                          user="demo", allow_plaintext=True)
        secrets = SecretProvider()
        secrets.accept_typed_password(account, server.password, remember=False)
        yield account, Path(tmp), secrets
