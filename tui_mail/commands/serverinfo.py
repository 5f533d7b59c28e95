"""``tui-mail serverinfo``: what a server offers, before the user writes a config.

Like ``mpop --serverinfo``: connect, never log in, print the greeting, TLS details and the
capabilities in words. Failures are one clear line and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from tui_mail.commands.errors import describe_error, report_failure

TLS_CHOICES = ("implicit", "starttls", "none")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``tui-mail serverinfo``."""
    parser.add_argument("host", help="server name or address")
    parser.add_argument(
        "--port",
        type=int,
        help="port (default: 995 for implicit TLS, else 110; with --smtp 587, or 465 implicit)",
    )
    parser.add_argument(
        "--tls",
        choices=TLS_CHOICES,
        default=None,
        help="implicit TLS (default; with --smtp: starttls), STLS/STARTTLS upgrade, or none",
    )
    parser.add_argument(
        "--smtp",
        action="store_true",
        help="probe an SMTP submission server: EHLO capabilities, STARTTLS, AUTH methods",
    )
    parser.add_argument("--cafile", help="extra CA certificate(s) to trust (PEM)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds (default 20)")


def run(args: argparse.Namespace) -> int:
    """Print the report; 0 on success, 1 with one line on stderr on failure."""
    from tui_mail.pop3 import TLSMode, default_port

    if args.smtp:
        return _run_smtp(args)
    tls = args.tls or "implicit"
    port = args.port or default_port(TLSMode(tls))
    try:
        lines = asyncio.run(_probe(args.host, port, tls, args.cafile, args.timeout))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line, never a traceback
        report_failure(f"serverinfo: {describe_error(exc)}")
        return 1
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _run_smtp(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tui_mail.accounts.sending import default_smtp_port
    from tui_mail.smtp.probe import probe_smtp

    tls = args.tls or "starttls"
    port = args.port or default_smtp_port(tls)
    cafile = Path(args.cafile) if args.cafile else None
    try:
        report = probe_smtp(args.host, port, tls, cafile=cafile, timeout=args.timeout)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line, never a traceback
        report_failure(f"serverinfo: {describe_error(exc)}")
        return 1
    mode = {"implicit": "implicit TLS", "starttls": "STARTTLS", "none": "no TLS"}[tls]
    lines = [f"server:       {args.host}:{port} (SMTP, {mode})", f"greeting:     {report.greeting}"]
    if report.tls_version:
        lines.append(f"tls:          {report.tls_version}")
        lines.extend(_certificate_lines(report.certificate))
    else:
        lines.append(
            "tls:          none (the login and the mail would cross the network in the clear)"
        )
    if report.before_tls:
        lines.append("before STARTTLS:")
        lines.extend(f"  {line}" for line in report.before_tls)
    lines.append("capabilities:" if report.capabilities else "capabilities: none (no ESMTP)")
    lines.extend(f"  {line}" for line in report.capabilities)
    methods = report.auth_methods
    usable = [m for m in methods if m in ("PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER")]
    lines.append(
        "login:        "
        + (", ".join(methods) if methods else "no AUTH offered")
        + (f" (tui-mail can use: {', '.join(usable)})" if usable else "")
    )
    lines.append(
        "8bit:         "
        + (
            "8BITMIME offered: 8-bit text is sent as it is"
            if report.offers("8BITMIME")
            else "no 8BITMIME: 8-bit text is sent quoted-printable"
        )
    )
    sys.stdout.write("\n".join(_printable(line) for line in lines) + "\n")
    return 0


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
