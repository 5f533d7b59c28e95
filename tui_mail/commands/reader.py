"""``tui-mail`` itself: open an account (or the demo) in the Textual reader.

Everything that can ask the user something on the terminal (the password prompt) happens here,
before the full-screen app starts; the session in the app then never prompts. Without a config
file the set-up screen comes first and hands over the account it saved (and the password it
tested, so nobody types it twice).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tui_mail.accounts import (
    Account,
    Config,
    ConfigError,
    ConfigNotFound,
    SecretError,
    SecretProvider,
    config_file_path,
    data_root,
    load_config,
    terminal_prompt,
)

if TYPE_CHECKING:
    from tui_mail.session.protocol_log import ProtocolLogWriter
    from tui_mail.ui.compose_actions import Composer
    from tui_mail.ui.rendering import MessageRenderer


def run(args: argparse.Namespace) -> int:
    """Open the reader (the set-up screen first when there is no config); the exit status."""
    log = open_protocol_log(args.log)
    if log is None:
        return 2
    try:
        return _run(args, log)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback: one line, and where to look further
        from tui_mail.commands.output import report_failure
        from tui_mail.session.errors import describe_error

        report_failure(f"{describe_error(exc)} (run with --log FILE to see more)")
        return 1
    finally:
        log.close()


def mouse_wanted(
    args: argparse.Namespace, configured: bool | None, environ: Mapping[str, str] = os.environ
) -> bool:
    """``--mouse/--no-mouse``, else the config's ``mouse``, else on except over SSH.

    Over SSH every mouse movement is a packet, and a captured mouse makes selecting text
    need Shift, so a reader started from an SSH login leaves the mouse alone by default.
    """
    flag = getattr(args, "mouse", None)
    if flag is None and getattr(args, "no_mouse", False):
        flag = False
    if flag is not None:
        return bool(flag)
    if configured is not None:
        return configured
    return not environ.get("SSH_CONNECTION")


def _run(args: argparse.Namespace, log: ProtocolLogWriter) -> int:
    if args.demo:
        with _demo_account() as (account, data_dir, secrets):
            mouse = mouse_wanted(args, None)
            if args.log is None:  # L in the demo writes into the demo's throw-away directory
                from tui_mail.session.protocol_log import ProtocolLogWriter

                with contextlib.closing(
                    ProtocolLogWriter(data_dir / "protocol.log", enabled=False)
                ) as demo_log:
                    return _open_reader(account, secrets, data_dir, demo_log, mouse=mouse)
            return _open_reader(account, secrets, data_dir, log, mouse=mouse)
    try:
        config = load_config()
        account = config.account(args.account)
        keymap = _keymap(config)
    except ConfigNotFound:
        return _first_run(log, mouse=mouse_wanted(args, None))
    except ConfigError as exc:
        print(f"tui-mail: {exc}", file=sys.stderr)
        return 2
    mouse = mouse_wanted(args, config.mouse)
    secrets = SecretProvider(
        prompt=terminal_prompt, confirm=_confirm, notify=lambda text: print(text, file=sys.stderr)
    )
    try:
        secrets.secret(account)  # ask now, on the plain terminal; the session reuses it
    except SecretError as exc:
        print(f"tui-mail: {exc} (showing the cached mailbox only)", file=sys.stderr)
    except (KeyboardInterrupt, EOFError):
        return 130
    return _open_reader(account, secrets, None, log, mouse=mouse, keymap=keymap)


def _keymap(config: Config) -> dict[str, str]:
    """The config's ``[keys]`` checked against the reader's bindings (ConfigError if wrong)."""
    if not config.keys:
        return {}
    from tui_mail.ui.keymap import checked_keymap

    return checked_keymap(config)


def _first_run(log: ProtocolLogWriter, *, mouse: bool) -> int:
    """No config yet: the set-up screen, then straight into the new account."""
    from tui_mail.ui.setup_app import run_setup

    result = run_setup(config_path=config_file_path(), protocol_log=log, mouse=mouse)
    if result is None:
        print(
            "tui-mail: no account is set up yet. Run `tui-mail setup`, or write the "
            f"config file by hand ({config_file_path()}; see the README).",
            file=sys.stderr,
        )
        return 1
    print(
        f"tui-mail: saved account {result.account.name!r} in {config_file_path()}", file=sys.stderr
    )
    return _open_reader(result.account, result.secrets, None, log, mouse=mouse)


def open_protocol_log(path: str | None) -> ProtocolLogWriter | None:
    """The writer for ``--log FILE`` (off until toggled without it); None after an error."""
    from tui_mail.session.protocol_log import protocol_log_for

    try:
        return protocol_log_for(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"tui-mail: cannot write the protocol log {path}: {reason}", file=sys.stderr)
        return None


def _confirm(question: str) -> bool:
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _open_reader(
    account: Account,
    secrets: SecretProvider,
    data_dir: Path | None,
    log: ProtocolLogWriter,
    *,
    mouse: bool,
    keymap: dict[str, str] | None = None,
) -> int:
    from tui_mail.session.mail_session import MailSession
    from tui_mail.session.threaded import SessionThread

    log.note(
        f"account {account.name}: {account.host}:{account.port} tls={account.tls} "
        f"auth={account.auth}"
    )
    from tui_mail.accounts.paths import ensure_private_dir
    from tui_mail.store import StoreReadOnly
    from tui_mail.store.lock import AccountInUse, AccountLock
    from tui_mail.store.repair import account_directory, open_repairing
    from tui_mail.store.schema import classify_store_error, is_local_storage_error

    directory = account_directory(account, data_dir)
    try:
        ensure_private_dir(directory)
        lock = AccountLock.acquire(directory)
    except AccountInUse as busy:
        print(
            f"tui-mail: account {account.name!r} is {busy}; quit that one first "
            "(`tui-mail check` works alongside it)",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        if not is_local_storage_error(exc):
            raise
        reason = str(classify_store_error(exc, directory.parent))
        return _open_read_only(
            account, directory, reason, _renderer(account), mouse=mouse, keymap=keymap
        )
    with lock:
        try:
            store, repaired = open_repairing(account, data_dir)
        except StoreReadOnly as exc:
            return _open_read_only(
                account, directory, str(exc), _renderer(account), mouse=mouse, keymap=keymap
            )
        with store:
            session = SessionThread(  # the store and the connection off the UI's loop
                MailSession(
                    account,
                    store,
                    secrets,
                    protocol_log=log,
                    notices=[repaired] if repaired else (),
                )
            )
            # Connecting, logging in and listing overlap loading the UI (~0.4 s of imports
            # before the first frame); what the session reports meanwhile waits for the app.
            session.start()
            try:
                from tui_mail.ui.app import run_app

                return run_app(
                    session,
                    mouse=mouse,
                    renderer=_renderer(account),
                    protocol_log=log,
                    composer=make_composer(account, data_dir, log),
                    keymap=keymap,
                )
            finally:
                session.close()  # before the store closes, whatever happened to the app


def _renderer(account: Account) -> MessageRenderer:
    from tui_mail.ui.rendering import MailRenderer

    return MailRenderer(prefer_html=account.prefer_html)


def _open_read_only(
    account: Account,
    directory: Path,
    reason: str,
    renderer: MessageRenderer,
    *,
    mouse: bool,
    keymap: dict[str, str] | None = None,
) -> int:
    """The data directory cannot be written: show the cached mailbox, change nothing."""
    print(f"tui-mail: read-only: {reason}; showing the cached mailbox only", file=sys.stderr)
    return _run_read_only(account, directory, reason, renderer, mouse=mouse, keymap=keymap)


def _run_read_only(
    account: Account,
    directory: Path,
    reason: str,
    renderer: MessageRenderer,
    *,
    mouse: bool,
    keymap: dict[str, str] | None = None,
) -> int:
    from tui_mail.session.read_only import ReadOnlySession
    from tui_mail.store.read_only import ReadOnlyCache
    from tui_mail.ui.app import run_app

    cache = ReadOnlyCache(directory)
    try:
        return run_app(
            ReadOnlySession(account.name, cache, reason),
            mouse=mouse,
            renderer=renderer,
            keymap=keymap,
        )
    finally:
        cache.close()


def make_composer(
    account: Account, data_dir: Path | None, log: ProtocolLogWriter | None
) -> Composer:
    """Drafts in the account's Maildir, submission by its [smtp] table (if it has one).

    The SMTP secrets provider never prompts on the terminal (the full-screen app owns it):
    the app asks in its own masked dialog when no command or keyring entry has the password.
    """
    from tui_mail.smtp.outbox import Outbox
    from tui_mail.smtp.submit import Submitter, smtp_target
    from tui_mail.ui.compose_actions import Composer

    secrets = SecretProvider()
    submitter = None
    if account.sending.smtp is not None:
        submitter = Submitter(smtp_target(account), secrets, protocol_log=log)
    outbox = Outbox(account, account.maildir_path(data_dir), submitter)
    return Composer(
        account, outbox, secrets, work_dir=data_root(data_dir) / "compose" / account.name
    )


@contextlib.contextmanager
def _demo_account() -> Iterator[tuple[Account, Path, SecretProvider]]:
    """The demo POP3 server on a free loopback port with the sample mail, and a throw-away store."""
    from tui_mail.demo import DemoServer, sample_messages

    server = DemoServer(sample_messages(), user="demo", password="demo")  # noqa: S106 - sample account
    with tempfile.TemporaryDirectory(prefix="tui-mail-demo-") as tmp, server.background():
        account = Account(
            name="demo",
            host=server.host,
            port=server.port,
            tls="none",
            user="demo",
            allow_plaintext=True,
        )
        secrets = SecretProvider()
        secrets.accept_typed_password(account, server.password, remember=False)
        yield account, Path(tmp), secrets
