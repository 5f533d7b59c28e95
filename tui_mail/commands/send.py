"""``tui-mail send [--account NAME] FILE|-``: submit a prepared message, for scripts.

The same path as the reader's `y`: stored in the account's ``.Drafts`` first, submitted with
the account's SMTP settings (verified TLS, the secrets chain), then moved to ``.Sent``. A
failure leaves it in ``.Drafts`` and exits 1 with one line saying why; the reader offers to
continue it. Recipients come from To, Cc and Bcc; Bcc is removed from what is sent.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``tui-mail send``."""
    parser.add_argument(
        "--account", dest="send_account", metavar="NAME", help="account to send with"
    )
    parser.add_argument("file", metavar="FILE", help="an RFC 5322 message; - reads stdin")


def run(args: argparse.Namespace) -> int:
    """0 when the server accepted the message (for at least one recipient), else 1 or 2."""
    from tui_mail.accounts import ConfigError, SecretProvider, load_config, terminal_prompt
    from tui_mail.commands.output import report_failure
    from tui_mail.session.protocol_log import protocol_log_for
    from tui_mail.smtp.outbox import MAX_PREPARED, Outbox
    from tui_mail.smtp.submit import SubmissionError, Submitter, smtp_target
    from tui_mail.store.maildir import MaildirError

    try:
        account = load_config().account(getattr(args, "send_account", None) or args.account)
        target = smtp_target(account)
    except (ConfigError, SubmissionError) as error:
        report_failure(str(error))
        return 2
    try:
        if args.file == "-":
            data = sys.stdin.buffer.read(MAX_PREPARED + 1)
        else:
            with Path(args.file).open("rb") as file:
                data = file.read(MAX_PREPARED + 1)
    except OSError as error:
        report_failure(f"cannot read {args.file}: {error.strerror or error}")
        return 2
    if len(data) > MAX_PREPARED:
        report_failure(f"{args.file}: larger than {MAX_PREPARED // (1024 * 1024)} MB")
        return 2
    if not data.strip():
        report_failure(f"{args.file}: empty message")
        return 2
    interactive = sys.stdin.isatty() and args.file != "-"
    secrets = SecretProvider(
        prompt=terminal_prompt if interactive else None,
        notify=lambda text: print(text, file=sys.stderr),
    )
    try:
        log = protocol_log_for(args.log) if args.log else None
    except OSError as error:
        report_failure(f"cannot open the log {args.log}: {error.strerror or error}")
        return 2
    try:
        outbox = Outbox(
            account, account.maildir_path(), Submitter(target, secrets, protocol_log=log)
        )
        outcome = outbox.send_prepared(data)
    except MaildirError as error:
        report_failure(f"not sent: the draft could not be stored first ({error})")
        return 1
    finally:
        if log is not None:
            log.close()
    if outcome.sent:
        print(outcome.text)
        return 0
    report_failure(outcome.text)
    return 1
