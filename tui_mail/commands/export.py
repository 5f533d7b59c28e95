"""``tui-mail export FILE``: the messages kept in the account's Maildir, as one mbox.

Offline and read-only: it never connects, never changes the store, never marks anything read.
The file is mboxrd (``store/mbox.py``), 0600, written whole or not at all, and an existing
file is never replaced without ``--force``. Each message's From_ line carries the time it was
stored here, so the mbox sorts as the mail arrived.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_mail.store import Store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``tui-mail export``."""
    parser.add_argument(
        "file", metavar="FILE", help="the mbox to write (not replaced unless --force)"
    )
    parser.add_argument(
        "--account",
        dest="export_account",
        metavar="NAME",
        help="account to export (default: the default account)",
    )
    parser.add_argument(
        "--local-only",
        action="store_true",
        help="only the messages the server no longer has (marked L in the reader)",
    )
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


@dataclass(frozen=True)
class ExportReport:
    account: str
    file: str
    messages: int
    unreadable: int

    def line(self) -> str:
        text = f"{self.account}: {self.messages} messages written to {self.file} (mbox)"
        if self.unreadable:
            text += f"; {self.unreadable} local copies could not be read and were left out"
        return text


def run(args: argparse.Namespace) -> int:
    """0 and one line (or JSON); 1 when the file cannot be written (or some copy could not
    be read), 2 bad config or unknown account or an account without a Maildir."""
    from tui_mail.accounts import ConfigError, load_config
    from tui_mail.commands.output import report_failure
    from tui_mail.mail.sanitize import sanitize_text
    from tui_mail.session.errors import describe_error
    from tui_mail.store import Store

    name = args.export_account or args.account

    def fail(account: str | None, text: str, status: int) -> int:
        report_failure(f"{account}: {text}" if account else text)
        if args.json:
            print(json.dumps({"account": account, "error": sanitize_text(text, single_line=True)}))
        return status

    try:
        account = load_config().account(name)
    except ConfigError as exc:
        return fail(None, str(exc), 2)
    target = Path(args.file).expanduser()
    try:
        with Store.for_account(account) as store:
            report = _export(store, account.name, target, args.local_only, args.force)
    except FileExistsError:
        return fail(account.name, f"{target} exists (--force replaces it)", 1)
    except _NoMaildir:
        return fail(account.name, "this account keeps no local copies (no Maildir)", 2)
    except Exception as exc:  # one clear line, never a traceback
        return fail(account.name, describe_error(exc), 1)
    print(json.dumps(asdict(report)) if args.json else report.line())
    if report.unreadable:
        print(f"tui-mail: {report.line()}", file=sys.stderr)
        return 1
    return 0


class _NoMaildir(Exception):
    """The store has no local copies to export."""


def _export(
    store: Store, account: str, target: Path, local_only: bool, force: bool
) -> ExportReport:
    from tui_mail.store.mbox import MboxWriter

    local = store.local
    if local is None:
        raise _NoMaildir
    copies = local.copies()  # oldest stored first
    if local_only:
        wanted = store.local_only_uids()
        copies = [copy for copy in copies if copy.uid in wanted]
    unreadable = 0

    def messages() -> Iterator[tuple[bytes, float]]:
        nonlocal unreadable
        for copy in copies:
            try:
                yield copy.path.read_bytes(), copy.stored_at
            except OSError:
                unreadable += 1

    with MboxWriter(target, overwrite=force) as writer:
        for raw, stored_at in messages():
            writer.add(raw, stored_at)
        done = writer.commit()
    return ExportReport(account, str(target), done.messages, unreadable)
