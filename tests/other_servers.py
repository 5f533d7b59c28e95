"""Real POP3 servers besides Dovecot, each run privately from the inetd launcher.

* GNU Mailutils ``pop3d`` (Debian ``mailutils-pop3d``) with its default login behaviour: a
  timestamp in every greeting but no APOP secrets, no SASL, a mailbox lock. A virtual domain
  (``passwd-dir``) holds the test user, whose mailbox is a Maildir.
* popa3d (Debian ``popa3d``, which conflicts with ``dovecot-pop3d`` as a package, so ``.ci/run``
  unpacks its .deb): no CAPA, no TLS, no SASL; system accounts only, so the tests add one.

Both speak plaintext on loopback only, so accounts say ``tls = "none"``,
``allow_plaintext = true``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

from tests.inetd import InetdLauncher

MAILUTILS_POP3D = "/usr/sbin/pop3d"
POPA3D_PATHS = ("/opt/popa3d/usr/sbin/popa3d", "/usr/sbin/popa3d")
_DELIVERY = count(1)
NOBODY_UID = 65534


class ServerUnavailable(RuntimeError):
    """The server binary is not installed here."""


def _deliver_maildir(maildir: Path, messages: Iterable[bytes], owner: tuple[int, int]) -> None:
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for data in messages:
        name = f"{int(time.time())}.M{next(_DELIVERY):08d}P{os.getpid()}.tui-mail-test"
        (maildir / "tmp" / name).write_bytes(data)
        os.replace(maildir / "tmp" / name, maildir / "new" / name)
    for path in [maildir.parent, maildir, *maildir.rglob("*")]:
        os.chown(path, *owner)


def _crypt(password: str) -> str:
    salt = os.urandom(6).hex()
    done = subprocess.run(
        ["openssl", "passwd", "-6", "-salt", salt, password],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@dataclass
class Mailutils:
    """A private GNU Mailutils pop3d with one user (``alice@example.org``)."""

    directory: Path
    user: str = "alice@example.org"
    password: str = "mailutils-pw"
    launcher: InetdLauncher | None = None

    @property
    def host(self) -> str:
        return InetdLauncher.host

    @property
    def port(self) -> int:
        assert self.launcher is not None
        return self.launcher.port

    @property
    def maildir(self) -> Path:
        return self.directory / "mail" / "alice" / "INBOX"

    def start(self) -> Mailutils:
        if not os.access(MAILUTILS_POP3D, os.X_OK):
            raise ServerUnavailable(f"GNU Mailutils pop3d not found ({MAILUTILS_POP3D})")
        root = self.directory
        (root / "passwd").mkdir(parents=True, exist_ok=True)
        (root / "locks").mkdir(exist_ok=True)
        (root / "locks").chmod(0o1777)
        home = root / "mail" / "alice"
        entry = f"alice:{_crypt(self.password)}:{NOBODY_UID}:{NOBODY_UID}::{home}:/bin/false\n"
        (root / "passwd" / "example.org").write_text(entry)
        config = root / "pop3d.conf"
        config.write_text(
            "auth { authentication generic; authorization virtdomain; }\n"
            f"virtdomain {{ passwd-dir {root / 'passwd'}; }}\n"
            f"mandatory-locking {{ enable yes; lock-directory {root / 'locks'}; }}\n"
            "logging { syslog no; }\n"
        )
        self.reset_mailbox()
        self.launcher = InetdLauncher(
            [MAILUTILS_POP3D, "--inetd", f"--config-file={config}"]
        ).start()
        return self

    def reset_mailbox(self) -> None:
        if self.launcher is not None:
            self.launcher.wait_idle()  # no session of an earlier test may write after this
        shutil.rmtree(self.directory / "mail", ignore_errors=True)
        _deliver_maildir(self.maildir, [], (NOBODY_UID, NOBODY_UID))
        os.chown(self.directory / "mail", NOBODY_UID, NOBODY_UID)

    def deliver(self, messages: Iterable[bytes]) -> None:
        """As an MTA delivers: LF line ends on disk (Mailutils sizes CRLF files wrongly)."""
        local = [data.replace(b"\r\n", b"\n") for data in messages]
        _deliver_maildir(self.maildir, local, (NOBODY_UID, NOBODY_UID))

    def stop(self) -> None:
        if self.launcher is not None:
            self.launcher.stop()


def find_popa3d() -> str:
    for path in POPA3D_PATHS:
        if os.access(path, os.X_OK):
            return path
    raise ServerUnavailable(
        "popa3d not found; unpack it with `apt-get download popa3d && "
        "dpkg-deb -x popa3d_*.deb /opt/popa3d` (it conflicts with dovecot-pop3d as a package)"
    )


@dataclass
class Popa3d:
    """popa3d from the inetd launcher; its user is a system account with an mbox spool.

    popa3d reads system accounts (``/etc/shadow``) and ``/var/mail/USER``; the test user is
    created for this test run (as root; its name carries the PID, so two runs on one machine
    never share a spool), its spool emptied for each test, and removed when the run ends.
    """

    directory: Path
    user: str = field(default_factory=lambda: f"tuimailpop{os.getpid()}")
    password: str = "popa3d-pw"
    launcher: InetdLauncher | None = None

    @property
    def host(self) -> str:
        return InetdLauncher.host

    @property
    def port(self) -> int:
        assert self.launcher is not None
        return self.launcher.port

    @property
    def spool(self) -> Path:
        return Path("/var/mail") / self.user

    def start(self) -> Popa3d:
        binary = find_popa3d()
        if os.geteuid() != 0:
            raise ServerUnavailable("popa3d needs root (it checks system passwords)")
        import pwd

        # What the package's postinst would do: its own user and an empty chroot directory.
        for name, extra in (("popa3d", ["--system"]), (self.user, [])):
            try:
                pwd.getpwnam(name)
            except KeyError:
                subprocess.run(
                    ["useradd", *extra, "--no-create-home", "--shell", "/bin/false", name],
                    check=True,
                )
        Path("/var/lib/popa3d").mkdir(mode=0o755, parents=True, exist_ok=True)
        subprocess.run(
            ["chpasswd"],
            input=f"{self.user}:{self.password}\n",
            text=True,
            check=True,
        )
        self.reset_mailbox()
        self.launcher = InetdLauncher([binary]).start()
        return self

    def reset_mailbox(self) -> None:
        if self.launcher is not None:
            self.launcher.wait_idle()  # popa3d rewrites the spool after QUIT: let it finish
        self.spool.parent.mkdir(parents=True, exist_ok=True)
        self.spool.write_bytes(b"")
        shutil.chown(self.spool, self.user)
        self.spool.chmod(0o600)

    def deliver(self, messages: Iterable[bytes]) -> None:
        with self.spool.open("ab") as spool:
            for data in messages:
                text = data.replace(b"\r\n", b"\n")
                body = b"\n".join(
                    b">" + line if line.startswith(b"From ") else line for line in text.split(b"\n")
                )
                stamp = time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime()).encode()
                spool.write(b"From tui-mail@example.org " + stamp + b"\n" + body.rstrip(b"\n"))
                spool.write(b"\n\n")

    def stop(self) -> None:
        if self.launcher is not None:
            self.launcher.stop()
        subprocess.run(["userdel", self.user], check=False, stderr=subprocess.DEVNULL)
        self.spool.unlink(missing_ok=True)
