"""``tui-mail fetch`` that kills itself (SIGKILL, no clean-up of any kind) at a named moment.

``python -m tests.fetch_crash_driver STEP N [fetch arguments]``: at the N-th time the fetch
reaches STEP (see ``tui_mail.store.local_copy.checkpoint``; ``quit-sent`` is the moment QUIT
has left for the server and its answer has not come back) the process dies as kill -9 does.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import tui_mail.session.fetcher as fetcher
import tui_mail.store.local_copy as local_copy
from tui_mail.cli import main
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.protocol import Expect, encode_command

STEP, NTH = sys.argv[1], int(sys.argv[2])
seen = 0


def die_at(step: str) -> None:
    global seen
    if step == STEP:
        seen += 1
        if seen == NTH:
            os.kill(os.getpid(), signal.SIGKILL)


async def quit_then_die(self: POP3Client) -> None:
    self._conn.send([encode_command("QUIT")], Expect.SINGLE)
    time.sleep(0.2)  # the bytes are on the wire (asyncio wrote them at once), the answer not read
    die_at("quit-sent")


local_copy.checkpoint = die_at
fetcher.checkpoint = die_at  # type: ignore[attr-defined]
if STEP == "quit-sent":
    POP3Client.quit = quit_then_die  # type: ignore[method-assign]
sys.argv = ["tui-mail", "fetch", *sys.argv[3:]]
raise SystemExit(main())
