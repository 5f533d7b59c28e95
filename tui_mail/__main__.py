"""Allow ``python -m tui_mail``."""

from tui_mail.cli import main

raise SystemExit(main())
