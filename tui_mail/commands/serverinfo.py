"""``tui-mail serverinfo``: what a server offers, before the user writes a config.

Like ``mpop --serverinfo``: connect, never log in, print the greeting, TLS details and the
capabilities in words. A certificate that is not trusted is shown in full (subject, issuer,
validity, SHA-256 fingerprint) so the user can judge it, and ``--save-cert FILE`` writes it as
PEM for ``cafile``; verification itself never turns off. A server that does not announce
PIPELINING gets a short, harmless probe, and the report says whether ``pipelining = "on"``
would work. Failures are one clear line and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_mail.commands.output import report_failure
from tui_mail.session.errors import describe_error
from tui_mail.vocabulary import TLS_MODES, default_port

if TYPE_CHECKING:
    from tui_mail.pop3 import POP3Client
    from tui_mail.pop3.certificate import CertificateDetails


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``tui-mail serverinfo``."""
    parser.add_argument(
        "host", help="server name or address, optionally with the port: HOST:PORT, [IPv6]:PORT"
    )
    parser.add_argument(
        "--port",
        type=int,
        help="port (default: 995 for implicit TLS, else 110; with --smtp 587, or 465 implicit)",
    )
    parser.add_argument(
        "--tls",
        choices=TLS_MODES,
        default=None,
        help="implicit TLS (default; with --smtp: starttls), STLS/STARTTLS upgrade, or none",
    )
    parser.add_argument(
        "--smtp",
        action="store_true",
        help="probe an SMTP submission server: EHLO capabilities, STARTTLS, AUTH methods",
    )
    parser.add_argument("--cafile", help="extra CA certificate(s) to trust (PEM)")
    parser.add_argument(
        "--save-cert",
        metavar="FILE",
        help="write the server's certificate to FILE (PEM), for the account's cafile",
    )
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds (default 20)")


class _Untrusted(Exception):
    """Verification failed; the certificate was fetched separately to be shown."""

    def __init__(self, reason: str, details: CertificateDetails | None, why_not: str) -> None:
        super().__init__(reason)
        self.details = details
        self.why_not = why_not  # when the certificate could not even be read


def run(args: argparse.Namespace) -> int:
    """Print the report; 0 on success, 1 with one line on stderr on failure."""

    try:
        host, written_port = split_host_port(args.host)
    except ValueError as exc:
        report_failure(f"serverinfo: {exc}")
        return 2
    if written_port is not None and args.port is not None and written_port != args.port:
        report_failure(f"serverinfo: {args.host} and --port {args.port} disagree; give one")
        return 2
    args.host = host  # the reports name the host and the port apart
    args.port = written_port or args.port
    if args.smtp:
        return _run_smtp(args)
    args.tls = args.tls or "implicit"
    port = args.port or default_port(args.tls)
    try:
        lines, details = asyncio.run(_probe(host, port, args.tls, args.cafile, args.timeout))
    except KeyboardInterrupt:
        return 130
    except _Untrusted as untrusted:
        return _report_untrusted(args, port, untrusted)
    except Exception as exc:  # one clear line, never a traceback
        report_failure(f"serverinfo: {describe_error(exc)}")
        return 1
    sys.stdout.write("\n".join(lines) + "\n")
    if args.save_cert:
        if details is None:
            report_failure("serverinfo: no certificate to save (the connection has no TLS)")
            return 1
        return _save(details, Path(args.save_cert))
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


def _report_untrusted(args: argparse.Namespace, port: int, untrusted: _Untrusted) -> int:
    details = untrusted.details
    if details is None:
        report_failure(f"serverinfo: {untrusted} (and {untrusted.why_not})")
        return 1
    lines = [f"server:       {args.host}:{port}", "certificate:  NOT TRUSTED"]
    lines.extend(_printable(line) for line in details.lines())
    if not details.matches_host(args.host):
        lines.append(
            f"warning:      the certificate is not for {_printable(args.host)}: trusting it "
            "will not help; connect by one of its names instead"
        )
    if args.save_cert:
        status = _save(details, Path(args.save_cert))
        if status:
            return status
        lines.append(
            f"saved:        {args.save_cert}; if the fingerprint is the one your server shows "
            f'(ask its administrator), set cafile = "{args.save_cert}" in the account'
        )
    else:
        lines.append(
            "to trust it:  compare the fingerprint with the server's own, then run again with "
            '--save-cert FILE and set cafile = "FILE" in the account'
        )
    sys.stdout.write("\n".join(lines) + "\n")
    report_failure(f"serverinfo: {untrusted}")
    return 1


def _save(details: CertificateDetails, path: Path) -> int:
    from tui_mail.accounts.paths import atomic_writer

    try:
        with atomic_writer(path.expanduser().absolute()) as sink:
            sink.write(details.pem.encode("ascii"))
    except OSError as exc:
        report_failure(f"serverinfo: cannot write {path}: {exc.strerror or exc}")
        return 1
    return 0


def _run_smtp(args: argparse.Namespace) -> int:
    from tui_mail.accounts.sending import default_smtp_port
    from tui_mail.smtp.probe import probe_smtp

    tls = args.tls or "starttls"
    port = args.port or default_smtp_port(tls)
    if args.save_cert:
        report_failure("serverinfo: --save-cert is for POP3 servers; use it without --smtp")
        return 2
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


async def _probe(
    host: str, port: int, tls: str, cafile: str | None, timeout: float
) -> tuple[list[str], CertificateDetails | None]:
    from tui_mail.pop3 import POP3Client
    from tui_mail.pop3.errors import TLSFailure
    from tui_mail.session.server_probe import close_politely

    try:
        client = await POP3Client.connect(host, port, tls=tls, cafile=cafile, timeout=timeout)
    except TLSFailure as exc:
        if not isinstance(exc.__cause__, ssl.SSLCertVerificationError):
            raise
        raise await _untrusted(host, port, tls, timeout, exc) from None
    details = _verified_details(client)
    try:
        lines = _report(client, host, port, tls, details)
        if not client.capabilities.pipelining:
            lines.extend(await _pipelining_lines(client, timeout))
        return lines, details
    finally:
        await close_politely(client)


async def _untrusted(
    host: str, port: int, tls: str, timeout: float, failure: Exception
) -> _Untrusted:
    from tui_mail.pop3.certificate import fetch_certificate

    try:
        details = await fetch_certificate(host, port, tls, timeout=timeout)
    except Exception as exc:
        return _Untrusted(describe_error(failure), None, describe_error(exc))
    return _Untrusted(describe_error(failure), details, "")


def _verified_details(client: POP3Client) -> CertificateDetails | None:
    from tui_mail.pop3.certificate import CertificateDetails

    der = client.peer_certificate_der
    return CertificateDetails.from_der(der) if der else None


def _report(
    client: POP3Client, host: str, port: int, tls: str, details: CertificateDetails | None
) -> list[str]:
    mode = {"implicit": "implicit TLS", "starttls": "STLS", "none": "no TLS"}[tls]
    lines = [
        f"server:       {host}:{port} ({mode})",
        f"greeting:     {_printable(client.greeting)}",
    ]
    if client.tls_version:
        lines.append(f"tls:          {client.tls_version}")
        lines.extend(_certificate_lines(client.peer_certificate))
        if details is not None:
            lines.append(f"sha256:       {details.fingerprint}")
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


async def _pipelining_lines(client: POP3Client, timeout: float) -> list[str]:
    """Not announced: does a short pipelined exchange work? Then suggest ``on``."""
    typo = any(line.upper().split()[0] == "PIPELINE" for line in client.capabilities.raw)
    announced = ' (it announces "PIPELINE", a misspelling)' if typo else ""
    if await client.probe_pipelining(timeout=min(timeout, 5.0)):
        return [
            f"pipelining:   not announced{announced}, but 3 pipelined commands were answered "
            'in order: set pipelining = "on" in the account for much faster listing'
        ]
    return [
        f"pipelining:   not announced{announced}, and a pipelined probe was not answered; "
        'keep pipelining = "auto"'
    ]


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
