"""Throw-away TLS certificates for the test servers, made with the ``openssl`` command.

A private CA signs a server certificate for ``IP:127.0.0.1`` and ``DNS:localhost``. The CA
carries the extensions strict verifiers want (critical basicConstraints, keyUsage, key
identifiers), so the same files work with Python's stricter X.509 checks in newer versions.
Clients trust the server only when given ``cafile``: that is what makes "refused without the CA
file, accepted with it" testable.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

_OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no

[dn]
CN = tui-mail test

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""

_EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


@dataclass(frozen=True)
class CertFiles:
    """PEM files: the CA a client must trust, and the server's certificate and key."""

    cafile: Path
    certfile: Path
    keyfile: Path

    def server_context(self) -> ssl.SSLContext:
        """A server-side context presenting the certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certfile, self.keyfile)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the test CA."""
        return ssl.create_default_context(cafile=str(self.cafile))


def _openssl(*args: str | Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed to make test certificates")
    subprocess.run([openssl, *map(str, args)], check=True, capture_output=True)


def make_certificates(directory: Path) -> CertFiles:
    """Create a CA and a 127.0.0.1 server certificate in ``directory`` (made if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "openssl.cnf"
    config.write_text(_OPENSSL_CONFIG)
    ca_key, ca_cert = directory / "ca-key.pem", directory / "ca.pem"
    key, request, cert = directory / "key.pem", directory / "server.csr", directory / "cert.pem"
    _openssl(
        "req",
        "-x509",
        "-config",
        config,
        "-extensions",
        "ca_ext",
        *_EC_KEY,
        "-keyout",
        ca_key,
        "-out",
        ca_cert,
        "-days",
        "3650",
        "-subj",
        "/CN=tui-mail test CA",
    )
    _openssl(
        "req",
        "-new",
        "-config",
        config,
        *_EC_KEY,
        "-keyout",
        key,
        "-out",
        request,
        "-subj",
        "/CN=127.0.0.1",
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        request,
        "-CA",
        ca_cert,
        "-CAkey",
        ca_key,
        "-set_serial",
        "2",
        "-days",
        "825",
        "-extfile",
        config,
        "-extensions",
        "server_ext",
        "-out",
        cert,
    )
    return CertFiles(cafile=ca_cert, certfile=cert, keyfile=key)
