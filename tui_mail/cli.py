"""Command-line entry point: the reader by default, plus small commands for scripts.

Sub-commands import their modules lazily so ``tui-mail check`` in a shell prompt does not pay
for Textual's import time.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from tui_mail import __version__

# sub-command -> (module with add_arguments(parser) and run(args) -> int, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "setup": ("tui_mail.commands.setup", "add an account: finds the server, tests the login"),
    "serverinfo": ("tui_mail.commands.serverinfo", "probe a POP3 server without logging in"),
    "check": ("tui_mail.commands.check", "count new and unread mail (for status bars and cron)"),
    "fetch": ("tui_mail.commands.fetch", "download all new mail into the account's Maildir"),
    "render": ("tui_mail.commands.render", "print a saved message as the preview pane shows it"),
    "send": ("tui_mail.commands.send", "send a prepared message by the account's SMTP server"),
    "export": ("tui_mail.commands.export", "write the locally kept messages as one mbox"),
}

EPILOG = """\
examples:
  tui-mail                          open the default account (set-up screen on first run)
  tui-mail --demo                   try it on a local test server with sample mail
  tui-mail setup                    add an account: server, TLS, login test, keyring
  tui-mail --account work           open the account named work
  tui-mail --log pop3.log           record the POP3 conversation (secrets shown as ***)
  tui-mail serverinfo pop.example.org
  tui-mail check --json             new/unread counts for a status bar
  tui-mail fetch                    store all new mail in the account's Maildir (for cron)
  tui-mail render saved.eml         show a saved message as text
  tui-mail export mail.mbox         the messages kept locally, as one mbox
  tui-mail send message.eml         submit a prepared message (kept in Drafts if it fails)
  tui-mail serverinfo --smtp smtp.example.org   what an SMTP server offers

files (Linux defaults):
  config    $TUI_MAIL_CONFIG, else ~/.config/tui-mail/config.toml (keys: see README)
  data      $TUI_MAIL_DATA_DIR, else ~/.local/share/tui-mail (cache; 0700)
"""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, so ``--help`` shows every sub-command."""
    parser = argparse.ArgumentParser(
        prog="tui-mail",
        description="A terminal mail reader for POP3 mailboxes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tui-mail {__version__}")
    parser.add_argument("--account", metavar="NAME", help="account from the config file")
    parser.add_argument(
        "--demo", action="store_true", help="serve sample mail from a local test server and open it"
    )
    parser.add_argument(
        "--mouse",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="capture the mouse or not (default: the config's mouse key, else on except "
        "over SSH, where every movement is traffic and selecting text would need Shift)",
    )
    parser.add_argument(
        "--log",
        metavar="FILE",
        help="append the POP3 conversation to FILE (0600) for a bug report: "
        "passwords, tokens and AUTH data become ***, message data its "
        "size",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module_name).add_arguments(sub)
    return parser


def no_core_dumps() -> None:
    """A crash must not leave the password (or mail) in a core file: RLIMIT_CORE 0."""
    try:
        import resource
    except ImportError:  # not on POSIX: nothing to do
        return
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and run the chosen command; returns the exit status."""
    no_core_dumps()  # first: the reader, check and setup all hold a password at some point
    args = build_parser().parse_args(argv)
    try:
        if args.command is not None:
            module_name = SUBCOMMANDS[args.command][0]
            status: int = importlib.import_module(module_name).run(args)
            return status
        from tui_mail.commands.reader import run as run_reader

        return run_reader(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # every command: one line and a hint, never a traceback
        from tui_mail.commands.output import report_failure
        from tui_mail.session.errors import describe_error

        report_failure(f"{describe_error(exc)} (run with --log FILE to see more)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
