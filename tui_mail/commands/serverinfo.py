"""``tui-mail serverinfo``: what a server offers, before the user writes a config.

Like ``mpop --serverinfo``: connect, never log in, print the greeting, TLS details and the
capabilities in words. Failures are one clear line and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys
from datetime import UTC, datetime
from typing import Any

from tui_mail.commands.errors import describe_error, report_failure

TLS_CHOICES = ("implicit", "starttls", "none")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``tui-mail serverinfo``."""
    parser.add_argument("host", help="server name or address")
    parser.add_argument("--port", type=int, help="port (default: 995 for implicit TLS, else 110)")
    parser.add_argument("--tls", choices=TLS_CHOICES, default="implicit",
                        help="implicit TLS (default), STLS upgrade, or none")
    parser.add_argument("--cafile", help="extra CA certificate(s) to trust (PEM)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds (default 20)")


def run(args: argparse.Namespace) -> int:
    """Print the report; 0 on success, 1 with one line on stderr on failure."""
    from tui_mail.pop3 import TLSMode, default_port

    port = args.port or default_port(TLSMode(args.tls))
    try:
        lines = asyncio.run(_probe(args.host, port, args.tls, args.cafile, args.timeout))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line, never a traceback
        report_failure(f"serverinfo: {describe_error(exc)}")
        return 1
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


async def _probe(host: str, port: int, tls: str, cafile: str | None, timeout: float) -> list[str]:
    from tui_mail.pop3 import POP3Client

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
        await _close_politely(client)


async def _close_politely(client: Any) -> None:
    """QUIT before login commits nothing; fall back to a plain close if the server is gone."""
    try:
        await client.quit()
    except Exception:
        await client.abort()


def _certificate_lines(cert: dict[str, Any] | None) -> list[str]:
    if not cert:
        return []
    lines = [
        f"subject:      {_name(cert.get('subject', ()))}",
        f"issuer:       {_name(cert.get('issuer', ()))}",
    ]
    not_after = cert.get("notAfter")
    if not_after:
        expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), tz=UTC)
        days = (expires - datetime.now(tz=UTC)).days
        when = f"in {days} days" if days >= 0 else f"{-days} days ago"
        lines.append(f"expires:      {expires:%Y-%m-%d %H:%M} UTC ({when})")
    alt_names = [value for kind, value in cert.get("subjectAltName", ())
                 if kind in ("DNS", "IP Address")]
    if alt_names:
        lines.append(f"names:        {', '.join(alt_names)}")
    return lines


def _name(rdns: Any) -> str:
    """Turn getpeercert()'s nested tuples into ``CN=..., O=...``."""
    short = {"commonName": "CN", "organizationName": "O", "countryName": "C",
             "organizationalUnitName": "OU", "localityName": "L", "stateOrProvinceName": "ST"}
    parts = [f"{short.get(key, key)}={value}" for rdn in rdns for key, value in rdn]
    return _printable(", ".join(parts)) or "(empty)"


def _printable(text: str) -> str:
    """Server text is untrusted too: no control characters reach the terminal."""
    from tui_mail.mail.sanitize import sanitize_text

    return sanitize_text(text, single_line=True)
