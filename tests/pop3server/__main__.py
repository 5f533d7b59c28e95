"""``python -m tests.pop3server --maildir DIR``: serve a Maildir over POP3 on 127.0.0.1."""

import sys

from tests.pop3server.server import main

sys.exit(main())
