"""Shared fixtures: test certificates, and one private Dovecot per test session.

Dovecot tests skip when Dovecot is missing on a developer machine but fail in CI (``CI=true``):
CI must never pass by skipping them.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.certs import CertFiles, make_certificates
from tests.dovecot import Dovecot, DovecotAccount, DovecotError, DovecotUnavailable
from tests.other_servers import Mailutils, Popa3d, ServerUnavailable
from tests.postfix import Postfix, PostfixError, PostfixUnavailable


@pytest.fixture(autouse=True)
def _collectable_again() -> Iterator[None]:
    """The reader freezes its long-lived objects out of the collector (session/collector.py):
    undone after each test, or one test's leftovers would stay for the whole run."""
    yield
    gc.unfreeze()


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertFiles:
    """A CA and a 127.0.0.1 server certificate (made once per run)."""
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A private Dovecot on free loopback ports (pop3 + STLS, pop3s), stopped at the end."""
    # Not tmp_path: Dovecot's unprivileged processes must reach this directory, and pytest's
    # 0700 base directory is better left as it is.
    directory = Path(tempfile.mkdtemp(prefix="tui-mail-dovecot-"))
    try:
        server = Dovecot(directory).start()
    except DovecotUnavailable as missing:
        shutil.rmtree(directory, ignore_errors=True)
        if _in_ci():
            pytest.fail(f"CI must run the Dovecot tests: {missing}")
        pytest.skip(str(missing))
    except DovecotError as broken:
        pytest.fail(str(broken))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def dovecot_account(dovecot: Dovecot) -> DovecotAccount:
    """A Dovecot user no other test has touched: an empty mailbox of its own."""
    return dovecot.fresh_account()


@pytest.fixture(scope="session")
def postfix(certs: CertFiles) -> Iterator[Postfix]:
    """A private Postfix submission server (STARTTLS, SASL required) on a free loopback port."""
    directory = Path(tempfile.mkdtemp(prefix="tui-mail-postfix-"))
    try:
        server = Postfix(directory, certs).start()
    except PostfixUnavailable as missing:
        shutil.rmtree(directory, ignore_errors=True)
        if _in_ci():
            pytest.fail(f"CI must run the Postfix tests: {missing}")
        pytest.skip(str(missing))
    except PostfixError as broken:
        pytest.fail(str(broken))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _other_server(kind: type[Mailutils] | type[Popa3d], prefix: str) -> Iterator[Any]:
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    directory.chmod(0o755)  # the servers drop privileges and must reach their files
    try:
        server = kind(directory).start()
    except ServerUnavailable as missing:
        shutil.rmtree(directory, ignore_errors=True)
        if _in_ci():
            pytest.fail(f"CI must run the {kind.__name__} tests: {missing}")
        pytest.skip(str(missing))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def mailutils() -> Iterator[Mailutils]:
    """GNU Mailutils pop3d (default login behaviour) behind the inetd launcher."""
    yield from _other_server(Mailutils, "tui-mail-mailutils-")


@pytest.fixture(scope="session")
def popa3d() -> Iterator[Popa3d]:
    """popa3d (no CAPA, no TLS) behind the inetd launcher."""
    yield from _other_server(Popa3d, "tui-mail-popa3d-")
