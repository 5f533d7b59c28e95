"""The reader's first screen does not import what only opening a message needs.

The MIME renderer, the HTML parser (lxml) and reply quoting load on first use; the first
frame (the cached list) waits for none of them (issue 14: start-up time).
"""

from __future__ import annotations

import json
import subprocess
import sys

FIRST_SCREEN = (
    "import tui_mail.cli, tui_mail.commands.reader, tui_mail.store.repair\n"
    "from tui_mail.session.mail_session import MailSession\n"
    "from tui_mail.ui.app import TuiMailApp, run_app\n"
    "from tui_mail.ui.rendering import MailRenderer\n"
    "from tui_mail.ui.compose_actions import Composer\n"
    "from tui_mail.smtp.outbox import Outbox\n"
    "MailRenderer()\n"
)
DEFERRED = (
    "lxml",
    "tui_mail.mail.html",
    "tui_mail.mail.render",
    "tui_mail.compose.reply",
    "tui_mail.mail.attachments",  # saving and the attachment view import it when used
    "tui_mail.mail.structure",
)


def loaded_after(code: str) -> set[str]:
    probe = code + "import json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout))


def test_the_first_screen_leaves_the_renderer_and_lxml_unloaded() -> None:
    loaded = loaded_after(FIRST_SCREEN)
    assert "textual.app" in loaded and "tui_mail.ui.app" in loaded  # the probe did import
    assert [name for name in DEFERRED if name in loaded] == []


def test_the_renderer_still_loads_when_a_message_is_opened() -> None:
    opened = FIRST_SCREEN + (
        "import pathlib, tempfile\n"
        "path = pathlib.Path(tempfile.mkdtemp()) / 'm'\n"
        "path.write_bytes(b'Subject: hi\\r\\nContent-Type: text/html\\r\\n\\r\\n<p>hello</p>\\r\\n')\n"
        "assert 'hello' in MailRenderer().render(path).as_text()\n"
    )
    loaded = loaded_after(opened)
    assert {"lxml", "tui_mail.mail.render", "tui_mail.mail.attachments"} <= loaded
