"""A private Postfix (Debian's ``postfix``) for submission tests, on a free loopback port.

Everything lives in one directory: config, queue, Cyrus SASL database, log and the delivered
mail. The submission port requires STARTTLS before AUTH (``smtpd_tls_auth_only``) and AUTH
before relaying; every recipient at example.net / example.jp is delivered by Postfix's
``virtual`` agent into one Maildir, so tests read what a real MTA made of our message.
Needs root (Postfix's daemons run as the ``postfix`` user), as CI is.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.certs import CertFiles
from tests.smtpserver import PASSWORD, USER, free_port

POSTFIX = Path("/usr/sbin/postfix")
SASLPASSWD = Path("/usr/sbin/saslpasswd2")
REALM = "smtp.test"

_MASTER_CF = """\
{port} inet n - n - - smtpd
  -o syslog_name=postfix/submission
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
virtual unix - n n - - virtual
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""

_MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = {realm}
mydestination =
local_recipient_maps =
relay_domains =
virtual_mailbox_domains = example.net example.jp
virtual_mailbox_base = {dir}/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = 1
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_local_domain = {realm}
cyrus_sasl_config_path = {dir}/conf/sasl
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions =
  check_recipient_access inline:{{{{ refused.example = REJECT 5.1.1 no such user here }}}},
  permit_sasl_authenticated, reject
default_transport = discard
smtpd_client_restrictions = permit_sasl_authenticated, permit
smtpd_helo_required = no
disable_dns_lookups = yes
smtp_dns_support_level = disabled
biff = no
"""


class PostfixUnavailable(Exception):
    """Postfix (or Cyrus SASL's saslpasswd2) is not installed."""


class PostfixError(Exception):
    """Postfix is installed but did not start; the message has its log."""


class Postfix:
    """``start()``, then ``port`` and :meth:`delivered`; ``stop()`` at the end."""

    def __init__(self, directory: Path, certs: CertFiles) -> None:
        self.dir = directory
        self.certs = certs
        self.port = free_port()
        self.conf = directory / "conf"

    def start(self) -> Postfix:
        if not POSTFIX.exists() or not SASLPASSWD.exists():
            raise PostfixUnavailable("postfix and sasl2-bin are not installed (apt-get install)")
        if os.geteuid() != 0:
            raise PostfixUnavailable("a private Postfix needs root")
        user = pwd.getpwnam("postfix")
        os.chmod(self.dir, 0o755)  # the postfix user walks into it
        self.conf.mkdir()
        for name in ("mail", "data", "queue"):
            (self.dir / name).mkdir()
        sasl = self.conf / "sasl"  # Debian's Postfix reads $config_directory/sasl/smtpd.conf
        sasl.mkdir()
        tls = self.dir / "tls"
        tls.mkdir()
        cert, key = tls / "cert.pem", tls / "key.pem"
        shutil.copy(self.certs.certfile, cert)
        shutil.copy(self.certs.keyfile, key)
        (self.conf / "master.cf").write_text(_MASTER_CF.format(port=self.port))
        (self.conf / "main.cf").write_text(
            _MAIN_CF.format(
                dir=self.dir,
                realm=REALM,
                uid=user.pw_uid,
                gid=user.pw_gid,
                cert=cert,
                key=key,
            )
        )
        sasldb = sasl / "sasldb2"
        (sasl / "smtpd.conf").write_text(
            f"pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\n"
            f"sasldb_path: {sasldb}\n"
        )
        subprocess.run(
            [str(SASLPASSWD), "-c", "-p", "-f", str(sasldb), "-u", REALM, USER],
            input=PASSWORD.encode(),
            check=True,
            capture_output=True,
        )
        for path in (self.dir / "mail", self.dir / "data", sasldb):
            os.chown(path, user.pw_uid, user.pw_gid)
        os.chown(self.dir / "queue", 0, 0)
        os.chown(key, user.pw_uid, user.pw_gid)
        env = {**os.environ, "MAIL_CONFIG": str(self.conf)}
        result = subprocess.run(
            [str(POSTFIX), "-c", str(self.conf), "start"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if result.returncode != 0:
            raise PostfixError(f"postfix start failed: {result.stderr}{self.log()}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise PostfixError(f"postfix did not listen on {self.port}: {self.log()}")

    def log(self) -> str:
        path = self.dir / "maillog"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def delivered(self) -> list[bytes]:
        """Messages Postfix delivered so far (the one Maildir for every recipient)."""
        new = self.dir / "mail" / "inbox" / "new"
        if not new.exists():
            return []
        return [path.read_bytes() for path in sorted(new.iterdir())]

    def stop(self) -> None:
        subprocess.run(
            [str(POSTFIX), "-c", str(self.conf), "stop"],
            capture_output=True,
            check=False,
            env={**os.environ, "MAIL_CONFIG": str(self.conf)},
        )
