"""tui-mail: a terminal mail reader for POP3 mailboxes."""

__version__ = "0.1.0"
