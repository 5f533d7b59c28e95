"""A private Dovecot 2.3 POP3 server on free loopback ports, for tests and benchmarks.

    dovecot = Dovecot(directory).start()      # pop3 (with STLS) and pop3s (implicit TLS)
    dovecot.deliver([message_bytes, ...])     # visible at the next login
    ...connect to dovecot.host, dovecot.pop3s_port with cafile=dovecot.cafile...
    dovecot.stop()                            # kill $(cat run/master.pid)

Everything lives in ``directory``: config, certificates, logs, sockets and the mail homes. Only
``127.0.0.1`` is listened on. Dovecot must run as root (it switches to its own users), which is
the case in CI. The accounts are a pool (``user1`` .. ``userN``, plus ``lockuser`` whose session
lock is on) so each test can take a fresh, empty mailbox without restarting Dovecot.

From a script outside pytest, with the repository root on ``sys.path``: ``from tests.dovecot import Dovecot``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from tests.certs import CertFiles, make_certificates

DOVECOT_CANDIDATES = ("/usr/sbin/dovecot", "dovecot")
MAIL_USER, MAIL_GROUP = "nobody", "nogroup"
LOCKED_USER = "lockuser"
UIDL_U_USER = "uidluser"  # pop3_uidl_format = %u: UIDs are bare IMAP UIDs, reused after index loss
_DELIVERY_COUNTER = itertools.count(1)  # Maildir names sort in delivery order


class DovecotUnavailable(RuntimeError):
    """Dovecot cannot run here: not installed, or not root (skip locally, fail in CI)."""


class DovecotError(RuntimeError):
    """Dovecot is there but unusable (wrong version, bad directory, failed to start)."""


def find_dovecot() -> str:
    """Path of the dovecot binary, or DovecotUnavailable."""
    for candidate in DOVECOT_CANDIDATES:
        path = shutil.which(candidate)
        if path is not None:
            return path
    raise DovecotUnavailable("dovecot is not installed (Debian: apt-get install dovecot-pop3d)")


def dovecot_version(binary: str) -> tuple[int, int]:
    """(major, minor) from ``dovecot --version``; 2.4 changed the whole config syntax."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    match = re.match(r"(\d+)\.(\d+)", out.stdout.strip())
    if match is None:
        raise DovecotError(f"cannot read the Dovecot version from {out.stdout.strip()!r}")
    return int(match.group(1)), int(match.group(2))


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


_CONFIG = """\
instance_name = tui-mail-test-{tag}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/log/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{certfile}
ssl_key = <{keyfile}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login apop cram-md5 scram-sha-1 scram-sha-256
auth_failure_delay = 0
auth_verbose = yes
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
  default_fields = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = 1
pop3_uidl_format = %08Xu%08Xv
pop3_lock_session = no
# Repeated failures from one IP would slow every later login (tests fail logins on purpose).
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {pop3s_port}
    ssl = yes
  }}
}}
"""


@dataclass
class DovecotAccount:
    """One mail user of the private Dovecot, with its Maildir."""

    user: str
    password: str
    home: Path

    @property
    def maildir(self) -> Path:
        """The user's Maildir (created by :meth:`deliver` or by Dovecot at first login)."""
        return self.home / "Maildir"

    def deliver(self, messages: Iterable[bytes]) -> list[Path]:
        """Drop messages into ``Maildir/new`` in order; they appear at the next login."""
        for sub in ("new", "cur", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        delivered = []
        stamp = int(time.time())
        for data in messages:
            name = f"{stamp}.M{next(_DELIVERY_COUNTER):08d}P{os.getpid()}.tui-mail-test"
            staging = self.maildir / "tmp" / name
            staging.write_bytes(data)
            final = self.maildir / "new" / name
            staging.rename(final)
            delivered.append(final)
        _chown_tree(self.home)
        return delivered

    def reset_mailbox(self) -> None:
        """Remove the home directory: an empty mailbox with a new UIDVALIDITY (new UIDLs)."""
        shutil.rmtree(self.home, ignore_errors=True)

    def lose_index(self) -> None:
        """Remove Dovecot's UID list and indexes, as a crash or a restore does.

        Dovecot then numbers the messages from 1 again (a new UIDVALIDITY); with
        ``pop3_uidl_format = %u`` old UIDs come back meaning other messages.
        """
        # Removing the dovecot-* files alone is not enough (Dovecot 2.3 still remembers the
        # next UID), so the index is replaced by one numbering the messages from 1, as a
        # rebuilt or restored index does.
        names = sorted(path.name.split(":", 1)[0] for path in self.message_files())
        for path in self.maildir.iterdir():
            if path.name.startswith("dovecot"):
                path.unlink()
        validity = int(time.time())
        lines = [f"3 V{validity} N{len(names) + 1}"]
        lines += [f"{uid} :{name}" for uid, name in enumerate(names, 1)]
        (self.maildir / "dovecot-uidlist").write_text("\n".join(lines) + "\n")
        _chown_tree(self.home)

    def message_files(self) -> list[Path]:
        """Message files currently in the Maildir (``new`` and ``cur``)."""
        return sorted(
            p
            for sub in ("new", "cur")
            if (self.maildir / sub).is_dir()
            for p in (self.maildir / sub).iterdir()
            if p.is_file()
        )


def _chown_tree(top: Path) -> None:
    """Hand a home directory to the mail user Dovecot runs the pop3 process as.

    A pop3 process of the previous session may still be renaming its ``dovecot-uidlist.tmp``
    while we walk: a file that vanished under us needs no chown.
    """
    for path in [top, *top.rglob("*")]:
        with contextlib.suppress(FileNotFoundError):
            shutil.chown(path, MAIL_USER, MAIL_GROUP)


def _make_reachable(root: Path) -> None:
    """Let Dovecot's unprivileged processes traverse to ``root``.

    Temporary directories (``mkdtemp``, pytest's ``tmp_path``) are 0700; inside the system temp
    directory we add search permission (o+x, no listing) to our own such directories.
    Elsewhere we only explain, rather than loosen permissions the user chose.
    """
    temp = Path(tempfile.gettempdir()).resolve()
    for parent in [root, *root.parents]:
        mode = parent.stat().st_mode
        if mode & 0o001:
            continue
        if temp in parent.parents and parent.stat().st_uid == os.geteuid():
            parent.chmod(stat.S_IMODE(mode) | 0o001)
        else:
            raise DovecotError(
                f"{parent} is not searchable by other users, so Dovecot's unprivileged "
                f"processes cannot reach {root}; use a directory under {temp}"
            )


class Dovecot:
    """Start/stop a private Dovecot and hand out accounts; the default account is ``user1``."""

    host = "127.0.0.1"

    def __init__(
        self, directory: str | Path, *, accounts: int = 200, binary: str | None = None
    ) -> None:
        self.directory = Path(directory).resolve()
        self.binary = binary
        self.pop3_port = 0
        self.pop3s_port = 0
        self._certs: CertFiles | None = None
        self._pool = [
            DovecotAccount(f"user{n}", f"secret-{n}-pw", self.directory / "home" / f"user{n}")
            for n in range(1, accounts + 1)
        ]
        self.locked_account = DovecotAccount(
            LOCKED_USER, "locked-pw", self.directory / "home" / LOCKED_USER
        )
        self.plain_uid_account = DovecotAccount(
            UIDL_U_USER, "uidlu-pw", self.directory / "home" / UIDL_U_USER
        )
        self._next_fresh = 1  # user1 is the default account, never handed out as fresh
        self._pid: int | None = None

    # The default account, for simple callers

    @property
    def account(self) -> DovecotAccount:
        """The default account (``user1``)."""
        return self._pool[0]

    @property
    def user(self) -> str:
        return self.account.user

    @property
    def password(self) -> str:
        return self.account.password

    @property
    def maildir(self) -> Path:
        return self.account.maildir

    def deliver(self, messages: Iterable[bytes]) -> list[Path]:
        """Deliver to the default account."""
        return self.account.deliver(messages)

    def reset_mailbox(self) -> None:
        """Empty the default account's mailbox (new UIDVALIDITY)."""
        self.account.reset_mailbox()

    def fresh_account(self) -> DovecotAccount:
        """An account no test has used yet in this Dovecot's life (empty mailbox)."""
        if self._next_fresh >= len(self._pool):
            raise DovecotError(f"all {len(self._pool)} accounts used; raise accounts=")
        account = self._pool[self._next_fresh]
        self._next_fresh += 1
        account.reset_mailbox()
        return account

    @property
    def cafile(self) -> Path:
        """The CA certificate a client needs to trust this server."""
        if self._certs is None:
            raise DovecotError("not started")
        return self._certs.cafile

    @property
    def log_path(self) -> Path:
        return self.directory / "log" / "dovecot.log"

    # Life cycle

    def start(self, timeout: float = 15.0) -> Self:
        """Write the config, start the master, wait until both ports greet."""
        binary = self.binary or find_dovecot()
        version = dovecot_version(binary)
        if version >= (2, 4):
            raise DovecotError(
                f"Dovecot {version[0]}.{version[1]} found at {binary}, but tests/dovecot.py "
                "writes Dovecot 2.3 configuration (2.4 changed the syntax). Install Dovecot 2.3 "
                "(Debian 12 dovecot-pop3d) or port the config in tests/dovecot.py."
            )
        if os.geteuid() != 0:
            raise DovecotUnavailable("the private Dovecot must be started as root (as in CI)")
        self._prepare_directory()
        self.pop3_port, self.pop3s_port = free_port(), free_port()
        while self.pop3s_port == self.pop3_port:
            self.pop3s_port = free_port()
        config = self.directory / "dovecot.conf"
        assert self._certs is not None
        config.write_text(
            _CONFIG.format(
                tag=os.getpid(),
                root=self.directory,
                certfile=self._certs.certfile,
                keyfile=self._certs.keyfile,
                mail_user=MAIL_USER,
                mail_group=MAIL_GROUP,
                pop3_port=self.pop3_port,
                pop3s_port=self.pop3s_port,
            )
        )
        # The master daemonizes and keeps its stdio: a pipe here would never reach EOF.
        startup_log = self.directory / "log" / "startup.log"
        with startup_log.open("wb") as output:
            result = subprocess.run(
                [binary, "-c", str(config)], stdin=subprocess.DEVNULL, stdout=output, stderr=output
            )
        if result.returncode != 0:
            raise DovecotError(
                f"dovecot failed to start: {startup_log.read_text().strip()}\n{self._log_tail()}"
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self._pid = self._pid or self._read_pid()
            self.stop()
            raise
        return self

    def _prepare_directory(self) -> None:
        root = self.directory
        for sub in ("run", "state", "log", "home"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        # Dovecot's auth and login processes run unprivileged and must reach these files.
        root.chmod(0o755)
        _make_reachable(root)
        shutil.chown(root / "home", MAIL_USER, MAIL_GROUP)
        self._certs = make_certificates(root / "certs")
        lines = [f"{a.user}:{{PLAIN}}{a.password}::::::" for a in self._pool]
        lines.append(
            f"{LOCKED_USER}:{{PLAIN}}{self.locked_account.password}::::::"
            "userdb_pop3_lock_session=yes"
        )
        lines.append(
            f"{UIDL_U_USER}:{{PLAIN}}{self.plain_uid_account.password}::::::"
            "userdb_pop3_uidl_format=%%u"  # %% : passwd-file expands variables itself
        )
        passwd = root / "passwd"
        passwd.write_text("\n".join(lines) + "\n")
        passwd.chmod(0o644)

    def _read_pid(self) -> int | None:
        try:
            text = (self.directory / "run" / "master.pid").read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else None

    def _wait_ready(self, timeout: float) -> None:
        """Wait for the PID file (written after the master forks) and a greeting."""
        deadline = time.monotonic() + timeout
        while True:
            if self._pid is None:
                self._pid = self._read_pid()
            try:
                with socket.create_connection((self.host, self.pop3_port), timeout=2) as sock:
                    if sock.recv(512).startswith(b"+OK") and self._pid is not None:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise DovecotError(f"dovecot did not greet within {timeout} s\n{self._log_tail()}")
            time.sleep(0.05)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no dovecot log)"

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the master by its PID (``kill $(cat run/master.pid)``) and wait for it."""
        pid, self._pid = self._pid, None
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
