"""A scriptable, fault-injecting POP3 server for tests and benchmarks (never shipped).

See :mod:`tests.pop3server.server` for how to use it; ``python -m tests.pop3server`` serves a
Maildir from the repository root.
"""

from tests.pop3server.server import (
    CONNECT,
    At,
    DropFault,
    ErrorFault,
    Faults,
    FloodFault,
    Mailbox,
    POP3TestServer,
    SessionRecord,
    StoredMessage,
    main,
)

__all__ = [
    "CONNECT",
    "At",
    "DropFault",
    "ErrorFault",
    "Faults",
    "FloodFault",
    "Mailbox",
    "POP3TestServer",
    "SessionRecord",
    "StoredMessage",
    "main",
]
