"""``tui-mail check``: sync headers and print new/unread counts, for status bars and cron.

It never deletes and never marks anything read. It never prompts either: a password must come
from ``password_command`` or the keyring, because nobody is at a status bar to type it. And it
always ends: the whole run has a deadline (``--deadline``), so a server trickling its answers
cannot make cron jobs pile up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_mail.accounts import Account
    from tui_mail.pop3.connection import ProtocolLog

DEFAULT_DEADLINE = 120.0
#: A server that floods one message's answer drops the session; a new one goes on past it.
MAX_SESSIONS = 5


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 1 <= value <= 86_400:
        raise argparse.ArgumentTypeError("must be between 1 and 86400 seconds")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``tui-mail check``."""
    parser.add_argument(
        "--account",
        dest="check_account",
        metavar="NAME",
        help="account to check (default: the default account)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--accept-uid-change",
        action="store_true",
        help="accept a server-wide UID change (after a server migration)",
    )
    parser.add_argument(
        "--deadline",
        type=_seconds,
        default=DEFAULT_DEADLINE,
        metavar="SECONDS",
        help=f"give up after this long in all (default {DEFAULT_DEADLINE:g}); what was "
        "fetched by then is kept",
    )


@dataclass(frozen=True)
class CheckReport:
    account: str
    new: int
    unread: int
    messages: int
    weak_identity: bool
    degraded: int = 0  # messages that could not be read fully (marked "!" in the reader)
    local_only: int = 0  # kept in the Maildir, no longer on the server ("L" in the reader)

    def line(self) -> str:
        text = f"{self.account}: {self.new} new, {self.unread} unread, {self.messages} messages"
        if self.local_only:
            text += f", {self.local_only} only on this machine"
        if self.degraded:
            text += f" ({self.degraded} could not be read fully)"
        if self.weak_identity:
            text += " (server has no UIDL: messages identified by their headers)"
        return text


def run(args: argparse.Namespace) -> int:
    """0 and one line (or JSON) on success; else one line on stderr (with ``--json`` also
    ``{"account": ..., "error": ...}`` on stdout) and a status scripts can tell apart:
    2 bad config or unknown account, 3 mass UID change (nothing recorded), 1 anything else
    (login, network, secrets), 130 interrupted."""
    from tui_mail.accounts import ConfigError, SecretError, load_config
    from tui_mail.commands.output import report_failure
    from tui_mail.mail.sanitize import sanitize_text
    from tui_mail.session.errors import describe_error
    from tui_mail.session.protocol_log import protocol_log_for

    name = args.check_account or args.account

    def fail(account: str | None, text: str, status: int, *, prefix: bool = True) -> int:
        """One line on stderr; with --json also ``{"account": ..., "error": ...}`` on stdout."""
        report_failure(f"{account}: {text}" if account and prefix else text)
        if args.json:
            print(json.dumps({"account": account, "error": sanitize_text(text, single_line=True)}))
        return status

    try:
        account = load_config().account(name)
    except ConfigError as exc:
        return fail(name, str(exc), 2, prefix=False)  # the error names the file
    try:
        log = protocol_log_for(args.log) if args.log else None
    except OSError as exc:
        return fail(account.name, f"--log {args.log}: {exc.strerror or exc}", 2)
    try:
        report = asyncio.run(
            _check_within(
                args.deadline, account, accept_mass_change=args.accept_uid_change, protocol_log=log
            )
        )
    except KeyboardInterrupt:
        return fail(account.name, "interrupted", 130)
    except DeadlinePassed:
        return fail(
            account.name,
            f"did not finish within {args.deadline:g} s (--deadline); "
            "the headers fetched by then are kept",
            1,
        )
    except MassChangeFound as exc:
        return fail(account.name, str(exc), 3)
    except SecretError as exc:
        return fail(account.name, str(exc), 1)
    except Exception as exc:  # one clear line, never a traceback
        return fail(account.name, describe_error(exc), 1)
    finally:
        if log is not None:
            log.close()
    if args.json:
        print(json.dumps(report.__dict__))
    else:
        print(report.line())
    return 0


class MassChangeFound(Exception):
    """Most UIDs changed at once; applying that silently would flood the ledger."""


class DeadlinePassed(Exception):
    """The whole check took longer than ``--deadline``."""


async def _check_within(
    seconds: float,
    account: Account,
    *,
    accept_mass_change: bool,
    protocol_log: ProtocolLog | None,
) -> CheckReport:
    """:func:`_check`, cancelled (connection dropped, nothing committed) after ``seconds``."""
    try:
        async with asyncio.timeout(seconds) as scope:
            return await _check(
                account, accept_mass_change=accept_mass_change, protocol_log=protocol_log
            )
    except TimeoutError:
        if scope.expired():
            raise DeadlinePassed from None
        raise


async def _check(
    account: Account, *, accept_mass_change: bool, protocol_log: ProtocolLog | None
) -> CheckReport:
    from tui_mail.accounts import SecretProvider
    from tui_mail.pop3.errors import AnswerTooLong, POP3Error
    from tui_mail.session.connect import open_session
    from tui_mail.session.sync import sync_mailbox
    from tui_mail.store.local_copy import LocalCopyError
    from tui_mail.store.repair import open_repairing

    secrets = SecretProvider(prompt=None, notify=lambda text: print(text, file=sys.stderr))
    for attempt in range(1, MAX_SESSIONS + 1):
        client = await open_session(account, secrets, protocol_log=protocol_log)
        try:
            store, repaired = open_repairing(account)
            if repaired:
                print(f"tui-mail: {repaired}", file=sys.stderr)
            with store:
                result = await sync_mailbox(client, store, accept_mass_change=accept_mass_change)
                degraded = store.problem_count()
                try:
                    local_only = len(store.local_only_uids())
                except LocalCopyError:  # the count is not worth failing the check for
                    local_only = 0
        except AnswerTooLong as error:
            await client.abort()
            # That message is marked now; the next session goes on past it.
            if error.number is None or attempt == MAX_SESSIONS:
                raise
            continue
        except BaseException:
            await client.abort()
            raise
        break
    try:
        if result.mass_change is not None:
            raise MassChangeFound(
                f"{result.mass_change.describe()}; nothing was recorded. If the server was "
                "migrated, run `tui-mail check --accept-uid-change` once."
            )
        # No DELE was sent; QUIT ends the session cleanly. With the RETR fallback we abort
        # instead, because some servers (Gmail) hide messages RETR'd in a QUIT-ended session.
        if result.used_retr:
            await client.abort()
        else:
            with contextlib.suppress(POP3Error):  # nothing to commit: the sync is kept anyway
                await client.quit()
    finally:
        await client.abort()
    return CheckReport(
        account=account.name,
        new=result.new,
        unread=result.unread,
        messages=result.total,
        weak_identity=result.weak_identity,
        degraded=degraded,
        local_only=local_only,
    )
