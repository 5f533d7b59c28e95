"""``tui-mail serverinfo``: what a server offers, before the user writes a config.

Like ``mpop --serverinfo``: connect, never log in, print the greeting, TLS details and the
capabilities in words. Failures are one clear line and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from tui_mail.commands.output import report_failure
from tui_mail.session.errors import describe_error

TLS_CHOICES = ("implicit", "starttls", "none")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``tui-mail serverinfo``."""
    parser.add_argument(
        "host", help="server name or address, optionally with the port: HOST:PORT, [IPv6]:PORT"
    )
    parser.add_argument("--port", type=int, help="port (default: 995 for implicit TLS, else 110)")
    parser.add_argument(
        "--tls",
        choices=TLS_CHOICES,
        default="implicit",
        help="implicit TLS (default), STLS upgrade, or none",
    )
    parser.add_argument("--cafile", help="extra CA certificate(s) to trust (PEM)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds (default 20)")


def run(args: argparse.Namespace) -> int:
    """Print the report; 0 on success, 1 with one line on stderr on failure."""
    from tui_mail.pop3 import TLSMode, default_port

    try:
        host, written_port = split_host_port(args.host)
    except ValueError as exc:
        report_failure(f"serverinfo: {exc}")
        return 2
    if written_port is not None and args.port is not None and written_port != args.port:
        report_failure(f"serverinfo: {args.host} and --port {args.port} disagree; give one")
        return 2
    port = written_port or args.port or default_port(TLSMode(args.tls))
    try:
        lines = asyncio.run(_probe(host, port, args.tls, args.cafile, args.timeout))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line, never a traceback
        report_failure(f"serverinfo: {describe_error(exc)}")
        return 1
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def split_host_port(text: str) -> tuple[str, int | None]:
    """``pop.example.org:995`` -> (host, 995); ``[::1]:995``; a bare IPv6 address has no port."""
    text = text.strip()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r}: write an IPv6 address as [ADDRESS] or [ADDRESS]:PORT")
        return host, _port(rest[1:], text) if rest else None
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, _port(port, text)
    return text, None


def _port(word: str, text: str) -> int:
    if not word.isdigit() or not 1 <= int(word) <= 65535:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535")
    return int(word)


async def _probe(host: str, port: int, tls: str, cafile: str | None, timeout: float) -> list[str]:
    from tui_mail.pop3 import POP3Client
    from tui_mail.session.server_probe import close_politely

    client = await POP3Client.connect(host, port, tls=tls, cafile=cafile, timeout=timeout)
    try:
        mode = {"implicit": "implicit TLS", "starttls": "STLS", "none": "no TLS"}[tls]
        lines = [
            f"server:       {host}:{port} ({mode})",
            f"greeting:     {_printable(client.greeting)}",
        ]
        if client.tls_version:
            lines.append(f"tls:          {client.tls_version}")
            lines.extend(_certificate_lines(client.peer_certificate))
        else:
            lines.append("tls:          none (passwords would cross the network in the clear)")
        if client.apop_timestamp:
            lines.append("apop:         offered (greeting carries a timestamp)")
        caps = client.capabilities
        if caps.raw:
            lines.append("capabilities:")
            lines.extend(f"  {_printable(line)}" for line in caps.describe())
        else:
            lines.append("capabilities: none announced (server does not support CAPA)")
        return lines
    finally:
        await close_politely(client)


def _certificate_lines(cert: dict[str, Any] | None) -> list[str]:
    from tui_mail.session.server_probe import certificate_summary

    summary = certificate_summary(cert)
    if summary is None:
        return []
    lines = [
        f"subject:      {_printable(summary.subject)}",
        f"issuer:       {_printable(summary.issuer)}",
    ]
    if summary.expires:
        lines.append(f"expires:      {summary.expires}")
    alt_names = [
        value
        for kind, value in (cert or {}).get("subjectAltName", ())
        if kind in ("DNS", "IP Address")
    ]
    if alt_names:
        lines.append(f"names:        {_printable(', '.join(alt_names))}")
    return lines


def _printable(text: str) -> str:
    """Server text is untrusted too: no control characters reach the terminal."""
    from tui_mail.mail.sanitize import sanitize_text

    return sanitize_text(text, single_line=True)
