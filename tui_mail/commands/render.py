"""``tui-mail render FILE``: print a message exactly as the preview pane shows it.

Users view saved .eml files with it and paste its output into bug reports, so it prints
UTF-8 whatever the locale says, renders anything mail-like however broken (exit 0), and
fails with one clear line on stderr only when the file cannot be read (exit 1).
``--attachment N`` prints attachment N as text, as ``v`` shows it in the reader (exit 1 with
one line when the message lists no attachment N).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC
from typing import BinaryIO, TextIO

from tui_mail.mail.sanitize import sanitize_text
from tui_mail.mail.source import MAX_READ_BYTES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``tui-mail render``."""
    parser.add_argument("file", metavar="FILE", help="a message (.eml); - reads standard input")
    parser.add_argument(
        "--html", action="store_true", help="prefer the HTML alternative over plain text"
    )
    parser.add_argument(
        "--utc", action="store_true", help="show the date in UTC instead of local time"
    )
    parser.add_argument(
        "--attachment",
        type=int,
        metavar="N",
        help="show attachment N (as numbered in the output) as text, as v does in the reader",
    )


def _render(stream: BinaryIO, args: argparse.Namespace) -> str:
    # Imported here: parsing any tui-mail command line must not load the renderer (and lxml).
    from tui_mail.mail.degraded import render_message_safely
    from tui_mail.mail.render import render_attachment

    tz = UTC if args.utc else None
    if args.attachment is not None:
        return render_attachment(stream, args.attachment, tz=tz).as_text()
    return render_message_safely(stream, prefer_html=args.html, tz=tz).as_text()


def run(args: argparse.Namespace) -> int:
    """Print the rendered message; 0 for any message, 1 when FILE cannot be read."""
    name = "standard input" if args.file == "-" else args.file
    try:
        if args.file == "-":
            text = _render(sys.stdin.buffer, args)
        else:
            with open(args.file, "rb") as stream:
                text = _render(stream, args)
    except KeyboardInterrupt:
        return 130
    except IndexError as exc:  # --attachment N that the message does not list
        _write_utf8(sys.stderr, f"tui-mail render: {exc}\n")
        return 1
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        shown = sanitize_text(name, single_line=True)
        _write_utf8(sys.stderr, f"tui-mail render: cannot read {shown}: {reason}\n")
        return 1
    _write_utf8(sys.stdout, text)
    return 0


def _write_utf8(stream: TextIO, text: str) -> None:
    """UTF-8 bytes whatever the locale (a C locale would otherwise escape the Japanese)."""
    binary = getattr(stream, "buffer", None)
    if binary is None:
        stream.write(text)
    else:
        stream.flush()
        binary.write(text.encode("utf-8", "replace"))
        binary.flush()


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m tui_mail.commands.render``."""
    parser = argparse.ArgumentParser(
        prog="tui-mail render",
        description="Print a message as the preview pane shows it "
        f"(standard input is read up to {MAX_READ_BYTES >> 20} MiB).",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
