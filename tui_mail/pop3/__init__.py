"""POP3 client for tui-mail: verified TLS, pipelining, streaming, safe with secrets."""

from tui_mail.pop3.capabilities import Capabilities
from tui_mail.pop3.client import POP3Client
from tui_mail.pop3.tls import default_port, make_ssl_context
from tui_mail.vocabulary import TlsMode

#: ``await connect(host, ...)`` is ``POP3Client.connect(host, ...)``.
connect = POP3Client.connect

__all__ = ["Capabilities", "POP3Client", "TlsMode", "connect", "default_port", "make_ssl_context"]
