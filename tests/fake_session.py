"""An in-memory :class:`SessionControl` for UI tests and for trying the UI by hand.

It behaves like the real session from the UI's side: it reports the cached list, "connects",
serves commands from a queue in order, writes bodies to files, keeps read state and marks, and
on ``apply_deletions`` deletes only marked UIDs it still has (the rest are ``not_found``).
Every call is recorded in :attr:`FakeSession.calls` so tests can assert what the UI asked.

Run ``python -m tests.fake_session [--count N] [--no-mouse]`` to try the app with it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from tui_mail.mail.headers import full_header_lines
from tui_mail.session.events import (
    BodyFailed,
    BodyReady,
    ConnectionState,
    DeletionsApplied,
    HeadersReady,
    ListChanged,
    ListReplaced,
    LocalCopiesRemoved,
    Progress,
    SessionEvent,
    StateChanged,
)
from tui_mail.store.models import MessageSummary

Report = Callable[[SessionEvent], None]
PROGRESS_STEP = 256 * 1024  # a body larger than this reports Progress while "downloading"


@dataclass
class FakeSession:
    """A working mailbox in memory; ``bodies`` maps UID to raw message bytes."""

    summaries: list[MessageSummary]
    bodies: dict[str, bytes] = field(default_factory=dict)
    account_name: str = "test"
    body_dir: Path | None = None
    tls_version: str = "TLSv1.3"
    incoming: list[MessageSummary] = field(default_factory=list)  # appears on refresh
    vanished: set[str] = field(default_factory=set)  # gone from the server (another client)
    failing: set[str] = field(default_factory=set)  # RETR fails for these
    hold_bodies: bool = False  # keep body requests pending until release_bodies()
    calls: list[tuple[object, ...]] = field(default_factory=list)
    finished: bool = False
    confirmed: set[str] | None = None  # the UIDs the last apply_deletions was confirmed for

    def __post_init__(self) -> None:
        self._rows = {row.uid: row for row in self.summaries}
        self._queue: asyncio.Queue[tuple[str, object]] | None = None
        self._held: list[str] = []
        self._report: Report | None = None
        self._early: list[tuple[str, object]] = []
        if self.body_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="tui-mail-fake-")
            self.body_dir = Path(self._tmp.name)

    # -- SessionControl ------------------------------------------------------------------------

    async def run(self, report: Report) -> None:
        self.calls.append(("run",))
        self._report = report
        self._queue = asyncio.Queue()
        for command in self._early:
            self._queue.put_nowait(command)
        report(StateChanged(ConnectionState.CONNECTING))
        report(ListReplaced(list(self._rows.values())))
        report(StateChanged(ConnectionState.ONLINE, self.tls_version))
        try:
            while True:
                name, argument = await self._queue.get()
                if name == "shutdown":
                    return
                if await self._serve(name, argument, report):
                    return
        finally:
            self.finished = True

    def request_refresh(self) -> None:
        self.calls.append(("request_refresh",))
        self._enqueue("refresh", None)

    def request_body(self, uid: str) -> None:
        self.calls.append(("request_body", uid))
        self._enqueue("body", uid)

    def request_headers(self, uid: str) -> None:
        self.calls.append(("request_headers", uid))
        raw = self.bodies.get(uid)
        if self._report is not None:
            self._report(HeadersReady(uid, None if raw is None else full_header_lines(raw)))

    def set_read(self, uid: str, read: bool) -> None:
        self.calls.append(("set_read", uid, read))
        if uid in self._rows:
            self._rows[uid] = self._rows[uid].with_(unread=not read)

    def set_marked(self, uid: str, marked: bool) -> None:
        self.calls.append(("set_marked", uid, marked))
        if uid in self._rows:
            self._rows[uid] = self._rows[uid].with_(marked_delete=marked)

    def apply_deletions(self, *, then_quit: bool, uids: Collection[str] | None = None) -> None:
        self.calls.append(("apply_deletions", then_quit))
        self.confirmed = None if uids is None else set(uids)
        self._enqueue("apply", then_quit)

    def remove_local(self, uids: Collection[str]) -> None:
        """Local-only rows go at once (no server involved); others are kept."""
        self.calls.append(("remove_local", sorted(uids)))
        self._enqueue("remove_local", list(uids))

    def cancel_body(self) -> None:
        self.calls.append(("cancel_body",))

    def provide_password(self, password: str | None) -> None:
        self.calls.append(("provide_password", password))

    def shutdown(self) -> None:
        self.calls.append(("shutdown",))
        self._enqueue("shutdown", None)

    # -- test helpers ------------------------------------------------------------------------

    def calls_named(self, name: str) -> list[tuple[object, ...]]:
        return [call for call in self.calls if call[0] == name]

    def report(self, event: SessionEvent) -> None:
        """Send an event as if the session produced it (e.g. a batch of new headers)."""
        assert self._report is not None, "run() has not started"
        self._report(event)

    def release_bodies(self) -> None:
        held, self._held = self._held, []
        for uid in held:
            self._enqueue("body", uid)

    def row(self, uid: str) -> MessageSummary:
        return self._rows[uid]

    # -- internals ---------------------------------------------------------------------------

    def _enqueue(self, name: str, argument: object) -> None:
        if self._queue is None:
            self._early.append((name, argument))
        else:
            self._queue.put_nowait((name, argument))

    async def _serve(self, name: str, argument: object, report: Report) -> bool:
        """Handle one command; True when the session should end."""
        if name == "refresh":
            report(StateChanged(ConnectionState.CONNECTING))
            added = [row for row in self.incoming if row.uid not in self._rows]
            updated = [row for row in self.incoming if row.uid in self._rows]
            for row in self.incoming:
                self._rows[row.uid] = row
            self.incoming = []
            if added or updated:  # as the real session: only what changed (ListChanged)
                report(ListChanged(added=added, updated=updated))
            report(StateChanged(ConnectionState.ONLINE, self.tls_version))
        elif name == "body":
            assert isinstance(argument, str)
            self._serve_body(argument, report)
        elif name == "remove_local":
            assert isinstance(argument, list)
            removed = [uid for uid in argument if uid in self._rows and self._rows[uid].local_only]
            for uid in removed:
                del self._rows[uid]
            kept = [uid for uid in argument if uid not in removed]
            report(LocalCopiesRemoved(removed=removed, kept=kept))
        elif name == "apply":
            marked = [
                uid
                for uid, row in self._rows.items()
                if row.marked_delete and (self.confirmed is None or uid in self.confirmed)
            ]
            deleted = [uid for uid in marked if uid not in self.vanished]
            not_found = [uid for uid in marked if uid in self.vanished]
            for uid in deleted:
                del self._rows[uid]
            report(DeletionsApplied(deleted=deleted, not_found=not_found))
            if argument:  # then_quit
                return True
        await asyncio.sleep(0)
        return False

    def _serve_body(self, uid: str, report: Report) -> None:
        if self.hold_bodies:
            self._held.append(uid)
            return
        raw = self.bodies.get(uid)
        if raw is None or uid in self.failing:
            report(BodyFailed(uid, "-ERR no such message"))
            return
        if len(raw) > PROGRESS_STEP:
            for done in range(0, len(raw), PROGRESS_STEP):
                report(Progress("message", done, len(raw)))
            report(Progress("message", len(raw), len(raw)))
        assert self.body_dir is not None
        path = self.body_dir / f"{len(list(self.body_dir.iterdir()))}.eml"
        path.write_bytes(raw)
        report(BodyReady(uid, path))


# -- sample mailboxes -------------------------------------------------------------------------

HOSTILE_SUBJECTS = (
    "Re: invoice [/] due",
    "[ @click=app.quit]click me",
    "[b]x",
    "[@click=app.bell]bell[/]",
    "title \x1b]0;pwned\x07 change",
)


def make_message(
    uid: str,
    *,
    sender: str,
    subject: str,
    body: str,
    when: datetime,
    attachments: Iterable[tuple[str, bytes]] = (),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "me@example.org"
    message["Subject"] = subject.replace("\x1b", "").replace("\x07", "")
    message["Date"] = when.strftime("%a, %d %b %Y %H:%M:%S %z")
    message["Message-ID"] = f"<{uid}@example.org>"
    message.set_content(body)
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)


def sample_mailbox(count: int, now: datetime | None = None) -> FakeSession:
    """A mailbox of ``count`` messages: Japanese, hostile subjects, attachments, a big one."""
    now = now or datetime.now(UTC)
    senders = ("Alice Example", "Bob <bob@example.org>", "山田 太郎", "Carol", "Dave Ops")
    subjects = (
        "Quarterly report",
        "会議の議事録について（第３回）",
        "Lunch?",
        "Build failed on main",
        *HOSTILE_SUBJECTS,
    )
    rows: list[MessageSummary] = []
    bodies: dict[str, bytes] = {}
    for number in range(1, count + 1):
        uid = f"UID{number:08d}"
        when = now - timedelta(hours=(count - number) * 7)
        sender = senders[number % len(senders)]
        subject = subjects[number % len(subjects)]
        if number <= 2000 or number > count - 50:
            attachments = [("report.pdf", b"%PDF-1.4 fake")] if number % 7 == 0 else []
            text = f"Hello,\n\nThis is message {number}.\n\t(tab-indented line)\n-- \nsig\n"
            if number == count - 3:
                text = "Large message.\n" + ("lorem ipsum dolor sit amet " * 40 + "\n") * 1200
            bodies[uid] = make_message(
                uid, sender=sender, subject=subject, body=text, when=when, attachments=attachments
            )
        size = len(bodies.get(uid, b"")) or 1500 + number % 5000
        rows.append(
            MessageSummary(
                uid=uid,
                size=size,
                date=when,
                sender=sender.split(" <")[0],
                subject=subject,
                unread=number % 3 == 0,
                arrival=number,
            )
        )
    return FakeSession(rows, bodies, account_name="demo")


FIXED_NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)  # what tests give the app as "now"

LONG_BODY = "\n".join(f"line {n} of a long message" for n in range(1, 201))


# The From addresses of small_mailbox's rows (what the filter matches besides the names).
ADDRESSES = {
    "u1": "alice@example.org",
    "u2": "bob@invoices.example",
    "u3": "yamada@example.jp",
    "u4": "mallory@evil.example",
    "u5": "eve@example.org",
    "u6": "trent@example.org",
}


def small_mailbox() -> FakeSession:
    """Six messages with fixed dates and sizes (snapshot tests depend on every value)."""
    spec = [  # uid, when, sender, subject, unread, size, body, attachments
        (
            "u1",
            datetime(2025, 6, 15, 9, 30, tzinfo=UTC),
            "Alice Example",
            "Lunch today?",
            True,
            1200,
            "Shall we meet at noon?\n",
            [],
        ),
        (
            "u2",
            datetime(2025, 6, 10, 8, 0, tzinfo=UTC),
            "Bob",
            "Re: invoice [/] due",
            False,
            48_000,
            "Invoice attached.\n",
            [("invoice.pdf", b"%PDF-1.4 invoice")],
        ),
        (
            "u3",
            datetime(2025, 3, 2, 17, 45, tzinfo=UTC),
            "山田 太郎",
            "会議の議事録について（第３回）とても長い件名がここに続きます",
            True,
            3_400_000,
            "議事録を添付します。\n",
            [],
        ),
        (
            "u4",
            datetime(2025, 2, 1, 7, 5, tzinfo=UTC),
            "Mallory",
            "[ @click=app.quit]click me",
            False,
            950,
            "[bold red]not bold[/] [@click=app.quit]q[/]\n",
            [],
        ),
        (
            "u5",
            datetime(2025, 1, 5, 23, 59, tzinfo=UTC),
            "Eve",
            "[b]x",
            True,
            2048,
            LONG_BODY,
            [("a.txt", b"first"), ("b.txt", b"second")],
        ),
        (
            "u6",
            datetime(2024, 12, 31, 10, 0, tzinfo=UTC),
            "Trent",
            "[@click=app.bell]bell[/]",
            False,
            700,
            "Happy new year\n",
            [],
        ),
    ]
    rows: list[MessageSummary] = []
    bodies: dict[str, bytes] = {}
    for order, (uid, when, sender, subject, unread, size, body, attachments) in enumerate(
        reversed(spec), start=1
    ):
        rows.append(
            MessageSummary(
                uid=uid,
                size=size,
                date=when,
                sender=sender,
                subject=subject,
                unread=unread,
                arrival=order,
                sender_address=ADDRESSES[uid],
            )
        )
        bodies[uid] = make_message(
            uid, sender=sender, subject=subject, body=body, when=when, attachments=attachments
        )
    return FakeSession(rows, bodies, account_name="work")


def main() -> int:
    parser = argparse.ArgumentParser(description="Run tui-mail's UI against a fake mailbox.")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--no-mouse", action="store_true")
    arguments = parser.parse_args()
    from tui_mail.ui.app import run_app

    return run_app(sample_mailbox(arguments.count), mouse=not arguments.no_mouse)


if __name__ == "__main__":
    raise SystemExit(main())
