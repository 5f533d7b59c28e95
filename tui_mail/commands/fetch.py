"""``tui-mail fetch``: download every message not stored yet into the account's Maildir.

For cron and for "download everything before I go offline". Like ``check`` it never prompts,
never marks anything read and always ends (``--deadline``); unlike ``check`` it may delete
from the server, but only what the account's retention settings say (``leave_on_server =
false``, ``delete_after_days``) and only once the local copy is durable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from tui_mail.commands.check import DEFAULT_DEADLINE, DeadlinePassed, MassChangeFound, _seconds

if TYPE_CHECKING:
    from tui_mail.accounts import Account
    from tui_mail.pop3.connection import ProtocolLog


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``tui-mail fetch``."""
    parser.add_argument(
        "--account", dest="fetch_account", metavar="NAME", help="account (default: the default one)"
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
        default=DEFAULT_DEADLINE * 10,
        metavar="SECONDS",
        help=f"give up after this long in all (default {DEFAULT_DEADLINE * 10:g}); what was "
        "stored by then is kept, nothing is deleted",
    )


@dataclass(frozen=True)
class FetchReport:
    account: str
    new: int
    stored: int
    on_server: int
    deleted: int
    problems: list[str]

    def line(self) -> str:
        text = f"{self.account}: {self.new} new, {self.stored} stored, {self.on_server} on server"
        if self.deleted:
            text += f" ({self.deleted} deleted from the server)"
        return text


def run(args: argparse.Namespace) -> int:
    """0 and one line (or JSON); problems with single messages on stderr (status 1 if any);
    2 bad config, 3 mass UID change (nothing fetched or deleted), 1 anything else, 130."""
    from tui_mail.accounts import ConfigError, SecretError, load_config
    from tui_mail.commands.output import report_failure
    from tui_mail.mail.sanitize import sanitize_text
    from tui_mail.session.errors import describe_error
    from tui_mail.session.protocol_log import protocol_log_for

    name = args.fetch_account or args.account

    def fail(account: str | None, text: str, status: int, *, prefix: bool = True) -> int:
        report_failure(f"{account}: {text}" if account and prefix else text)
        if args.json:
            print(json.dumps({"account": account, "error": sanitize_text(text, single_line=True)}))
        return status

    try:
        account = load_config().account(name)
    except ConfigError as exc:
        return fail(name, str(exc), 2, prefix=False)
    try:
        log = protocol_log_for(args.log) if args.log else None
    except OSError as exc:
        return fail(account.name, f"--log {args.log}: {exc.strerror or exc}", 2)
    try:
        report = asyncio.run(_fetch_within(args.deadline, account, args.accept_uid_change, log))
    except KeyboardInterrupt:
        return fail(account.name, "interrupted", 130)
    except DeadlinePassed:
        return fail(
            account.name,
            f"did not finish within {args.deadline:g} s (--deadline); what was stored by "
            "then is kept and nothing was deleted",
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
    for problem in report.problems:
        print(
            f"tui-mail: {account.name}: {sanitize_text(problem, single_line=True)}", file=sys.stderr
        )
    if args.json:
        print(json.dumps(asdict(report)))
    else:
        print(report.line())
    return 1 if report.problems else 0


async def _fetch_within(
    seconds: float, account: Account, accept_mass_change: bool, log: ProtocolLog | None
) -> FetchReport:
    try:
        async with asyncio.timeout(seconds) as scope:
            return await _fetch(account, accept_mass_change, log)
    except TimeoutError:
        if scope.expired():
            raise DeadlinePassed from None
        raise


async def _fetch(
    account: Account, accept_mass_change: bool, protocol_log: ProtocolLog | None
) -> FetchReport:
    from tui_mail.accounts import SecretProvider
    from tui_mail.session.connect import open_session
    from tui_mail.session.fetcher import Retention, fetch_mailbox
    from tui_mail.store.repair import open_repairing

    secrets = SecretProvider(prompt=None, notify=lambda text: print(text, file=sys.stderr))
    client = await open_session(account, secrets, protocol_log=protocol_log)
    try:
        store, repaired = open_repairing(account)
        if repaired:
            print(f"tui-mail: {repaired}", file=sys.stderr)
        with store:
            assert store.local is not None  # a configured account always has its Maildir
            result = await fetch_mailbox(
                client,
                store,
                store.local,
                retention=Retention(account.leave_on_server, account.delete_after_days),
                accept_mass_change=accept_mass_change,
            )
    finally:
        await client.abort()
    if result.sync.mass_change is not None:
        raise MassChangeFound(
            f"{result.sync.mass_change.describe()}; nothing was fetched or deleted. If the "
            "server was migrated, run `tui-mail fetch --accept-uid-change` once."
        )
    return FetchReport(
        account=account.name,
        new=result.new,
        stored=result.stored,
        on_server=result.on_server,
        deleted=result.deleted,
        problems=result.problems,
    )
