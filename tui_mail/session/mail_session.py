"""The background session: owns the only POP3 connection and serves the UI's requests.

One asyncio task runs :meth:`MailSession.run` (in the reader on a thread of its own, see
:mod:`tui_mail.session.threaded`); the UI only enqueues commands and reads the
events it reports. Safety rules live here:

* Deletions are marks in the store until :meth:`apply_deletions`; then UIDL is read again in
  the same session, each marked UID is mapped to its *current* number, DELE is sent only for
  UIDs found, and QUIT commits. Every other way of ending a session is an abort without QUIT,
  so a dropped connection or a crash commits nothing (and Gmail does not "pop" what we RETR'd).
* After a drop it reconnects with backoff and re-maps numbers from UIDL; [IN-USE] and
  [SYS/TEMP] wait and retry without asking for the password again; [AUTH] stops retrying.
  [IN-USE] just after a cancel dropped our own connection is that session, not yet let go
  by the server: the message the user moved on to waits (no "offline") and is served by the
  reconnect, tried again after the short backoff instead of the busy wait.
* A user action that needs the server (open, apply deletions, refresh) connects at once, and
  reconnects once more when the connection turns out to be gone, before it reports failure.
* Nothing ends the loop but shutdown: an unexpected error (a full disk, a damaged store, a bug)
  is reported in words and the session carries on, so quitting always works.
* A QUIT whose answer is lost leaves the outcome unknown (RFC 1939): the marks are kept, and
  the next sync says which of those messages the server did delete.
* The user's request goes first: a message opened while headers load is fetched after at most
  one pipelining window of TOP answers; opening another message, or ``cancel_body`` (Esc),
  cancels a large download by dropping the connection (no QUIT: nothing is committed, the
  partial body is thrown away) and reconnecting at once.
* After ``idle_minutes`` without a request from the user the connection is closed (no QUIT),
  so servers that lock the mailbox (GNU Mailutils, Dovecot's ``pop3_lock_session``) let other
  clients in; the next request reconnects, and the periodic look for new mail logs in only
  for as long as the sync takes.
* While offline the cached list and cached bodies stay usable.
* The session never prompts: the terminal belongs to the UI. A password the server refused
  ([AUTH]) is forgotten and the session reports :class:`PasswordWanted`; the UI asks in its
  own masked dialog and answers with :meth:`provide_password` (None: stay offline).
* Every request gets its answer (BodyFailed, DeletionsApplied) even when something
  unexpected failed while serving it, so the UI never waits for one that cannot come.
* A server that sends more than it announced for one message is cut off; that message is
  marked (the list shows ``!``, the preview says why) and the next session goes on past it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field

from tui_mail.accounts import Account, SecretError, SecretProvider
from tui_mail.accounts.providers import provider_for_host
from tui_mail.mail.headers import full_header_lines
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.connection import ProtocolLog
from tui_mail.pop3.errors import (
    AnswerTooLong,
    AuthFailed,
    CommandTimeout,
    ConnectionLost,
    InvalidArgument,
    LoginDelayed,
    LoginRefused,
    MailboxInUse,
    NotSupported,
    PermanentFailure,
    PlaintextNotAllowed,
    POP3Error,
    ServerError,
    TemporaryFailure,
    TLSFailure,
    UTF8Required,
)
from tui_mail.session.collector import collector_paused
from tui_mail.session.connect import open_session
from tui_mail.session.errors import describe_error
from tui_mail.session.events import (
    BodyFailed,
    BodyReady,
    ConnectionState,
    DeletionsApplied,
    HeadersReady,
    ListReplaced,
    LocalCopiesRemoved,
    Notice,
    PasswordWanted,
    Progress,
    SessionEvent,
    StateChanged,
    SummariesUpdated,
)
from tui_mail.session.identity import MailboxIdentity, fingerprints_of, read_identity
from tui_mail.session.shown_rows import ShownRows
from tui_mail.session.sync import SyncResult, sync_mailbox
from tui_mail.store import MessageSummary, Store, StoreError
from tui_mail.store.models import Mark
from tui_mail.store.store import build_summaries
from tui_mail.wording import plural

Report = Callable[[SessionEvent], None]
Opener = Callable[[], Awaitable[POP3Client]]

KEEPALIVE_SECONDS = 240.0  # well inside the 600 s autologout of Dovecot and RFC 1939
CHECK_INTERVAL_SECONDS = 300.0
PROGRESS_EVERY = 25  # header progress is reported every this many messages
PROGRESS_MIN_BYTES = 256 * 1024  # smaller bodies arrive too fast to need a progress bar
LOCAL_FAILURE_RETRY = 60.0  # seconds before trying again after the disk or the store failed
MAX_PLAIN_REFUSALS = 2  # bare -ERR login refusals per start before it counts as [AUTH]
UNCONFIRMED_META = "unconfirmed_deletions"  # keys DELE'd in a session whose QUIT got no answer

# The connection turned out to be gone (idle drop, server restart): reconnecting may help.
_GONE = (ConnectionLost, CommandTimeout)


# Errors after which connecting again cannot help (and, for [AUTH], would lock accounts).
_HOPELESS = (
    AuthFailed,
    SecretError,
    TLSFailure,
    PlaintextNotAllowed,
    PermanentFailure,
    NotSupported,
    InvalidArgument,
    UTF8Required,
)


OWN_LOCK_GRACE = 20.0  # seconds after a cancel in which [IN-USE] is likely our own session


@dataclass(frozen=True)
class RetryPolicy:
    """Seconds to wait before connecting again (tests shrink them)."""

    first: float = 2.0  # after a drop or a failed connect; doubles each time
    maximum: float = 300.0
    busy: float = 30.0  # at least this long after [IN-USE]: another client is at work
    login_delay: float = 60.0  # after [LOGIN-DELAY] when the server did not say how long


@dataclass(frozen=True)
class _Command:
    name: str  # refresh | body | apply | password | shutdown
    uid: str = ""
    password: str | None = None
    then_quit: bool = False
    confirmed: frozenset[str] | None = None  # apply: the marks the user confirmed


class _Stop(Exception):
    """The user asked the session to end."""


@dataclass(frozen=True)
class _Download:
    uid: str
    large: bool  # worth cancelling when the user moves on
    task: asyncio.Task[None]


class _DownloadCancelled(Exception):
    """The user cancelled the RETR under way (Esc, or opened another message)."""


class PasswordMissing(SecretError):
    """No password is known (refused earlier, or never typed): the user must type one."""


class MailSession:
    """A :class:`~tui_mail.session.control.SessionControl` over a real POP3 account."""

    def __init__(
        self,
        account: Account,
        store: Store,
        secrets: SecretProvider,
        *,
        check_interval: float = CHECK_INTERVAL_SECONDS,
        keepalive: float = KEEPALIVE_SECONDS,
        retry: RetryPolicy | None = None,
        opener: Opener | None = None,
        protocol_log: ProtocolLog | None = None,
        idle_close: float | None = None,
        notices: Collection[str] = (),
    ) -> None:
        self.account = account
        # seconds without a user request before the connection is closed (None: never)
        if idle_close is None and account.idle_minutes > 0:
            idle_close = account.idle_minutes * 60.0
        self._idle_close = idle_close
        self._last_request = 0.0  # monotonic time the user last asked for something
        self._protocol_log = protocol_log  # --log FILE / the in-app toggle; never sees secrets
        self._startup_notices = list(notices)  # e.g. "the store was damaged and rebuilt"
        self._gmail_warned = False
        self.account_name = account.name
        self.store = store
        self._secrets = secrets
        self._check_interval = check_interval
        self._keepalive = keepalive
        self._retry = retry or RetryPolicy()
        self._open: Opener = opener or self._open_without_prompting
        self._queue: asyncio.Queue[_Command] = asyncio.Queue()
        self._client: POP3Client | None = None
        self._identity: MailboxIdentity | None = None
        self._report: Report = lambda event: None
        self._running = False  # run() has the report callback: events reach the UI
        self._opening: asyncio.Task[POP3Client] | None = None  # a connect under way
        self._stopping = False  # shutdown() cancelled that connect
        self._backoff = self._retry.first
        self._retry_at: float | None = None  # monotonic time of the next automatic connect
        self._next_check = 0.0
        self._last_activity = 0.0
        self._last_failure = ""  # why the last connect failed, for "offline (...)"
        self._wanted: deque[str] = deque()  # bodies the user asked for, oldest first
        self._serving: list[str] = []  # taken from _wanted, answer not yet given
        self._download: _Download | None = None  # the RETR under way
        self._dropped_by_user = False  # a cancel dropped the connection: reconnect at once
        self._own_drop_at: float | None = None  # when a cancel last dropped our connection
        self._busy_now = False  # the last connect was refused with [IN-USE]
        self._in_sync = False  # bodies served from inside a sync must not reconnect
        self._plain_refusals = 0  # logins refused by a bare -ERR since this start
        self._shown = ShownRows()  # what the UI was told: a sync reports only the difference

    # -- SessionControl: called by the UI, never blocks ----------------------------------

    def request_refresh(self) -> None:
        self._queue.put_nowait(_Command("refresh"))

    def request_body(self, uid: str) -> None:
        # A cached body needs no network: answer at once rather than queue it behind a
        # connect that may take the whole timeout ([IN-USE] waits, a dead host).
        cached = self.store.body_path(uid) if self._running else None
        if cached is not None:
            self._report(BodyReady(uid, cached))
            return
        download = self._download
        if download is not None and download.uid != uid and download.large:
            download.task.cancel()  # the user moved on: do not make them wait for it
        if uid not in self._wanted:
            self._wanted.append(uid)
        self._queue.put_nowait(_Command("body", uid=uid))

    def cancel_body(self) -> None:
        """Esc while a message downloads: stop it (the connection is dropped, then reopened)."""
        self._wanted.clear()
        if self._download is not None:
            self._download.task.cancel()

    def full_headers(self, uid: str) -> list[str] | None:
        raw = self.store.raw_headers(uid)
        return None if raw is None else full_header_lines(raw)

    def request_headers(self, uid: str) -> None:
        try:
            lines = self.full_headers(uid)
        except StoreError as exc:  # a damaged cache: said, the list stays usable
            self._report(Notice(describe_error(exc), "error"))
            lines = None
        self._report(HeadersReady(uid, lines))

    def set_read(self, uid: str, read: bool) -> None:
        self.store.mark_read([uid], read)
        self._echo(self._shown.edit(uid, unread=not read))

    def set_marked(self, uid: str, marked: bool) -> None:
        if marked:
            self.store.mark_for_deletion([uid])
        else:
            self.store.unmark_for_deletion([uid])
        self._echo(self._shown.edit(uid, marked_delete=marked))

    def _echo(self, row: MessageSummary | None) -> None:
        """The UI changed this row itself; echo it, in case a change it has yet to apply was
        computed before the edit and carries the older copy."""
        if row is not None and self._running:
            self._report(SummariesUpdated([row]))

    def apply_deletions(self, *, then_quit: bool, uids: Collection[str] | None = None) -> None:
        confirmed = None if uids is None else frozenset(uids)
        self._queue.put_nowait(_Command("apply", then_quit=then_quit, confirmed=confirmed))

    def remove_local(self, uids: Collection[str]) -> None:
        """Delete confirmed local-only copies; a UID the server lists again is kept."""
        removed: list[str] = []
        kept: list[str] = []
        error: str | None = None
        try:
            local_only = self.store.local_only_uids()
        except StoreError as exc:
            local_only, error = set(), describe_error(exc)
        for uid in uids:
            if uid not in local_only:
                kept.append(uid)
                continue
            try:
                self.store.remove_local_copy(uid)
            except StoreError as exc:
                kept.append(uid)
                error = describe_error(exc)
            else:
                removed.append(uid)
        self._shown.forget(removed)
        self._report(LocalCopiesRemoved(removed=removed, kept=kept, error=error))

    def provide_password(self, password: str | None) -> None:
        self._queue.put_nowait(_Command("password", password=password))

    def shutdown(self) -> None:
        self._queue.put_nowait(_Command("shutdown"))
        if self._opening is not None:  # a login can take its whole timeout: stop waiting
            self._stopping = True
            self._opening.cancel()

    # -- the loop ------------------------------------------------------------------------

    async def run(self, report: Report) -> None:
        """Show the cache at once, then connect, sync and serve commands until shutdown."""
        self._report = report
        self._secrets.notify_with(lambda text: report(Notice(text)))
        self._running = True
        try:
            with collector_paused(keep=True):  # the list's rows: they live as long as it
                fields, local = self.store.summary_fields()
                rows = build_summaries(fields) + local
            self._shown.replace(rows, fields)
            del fields
            report(ListReplaced(rows))
        except Exception as exc:  # a damaged cache: say so, and still connect
            report(Notice(f"The local cache could not be read: {describe_error(exc)}", "error"))
        for text in self._startup_notices:
            report(Notice(text, "warning"))
        self._retry_at = self._last_request = time.monotonic()
        try:
            while True:
                try:
                    await self._tick()
                except (_Stop, asyncio.CancelledError):
                    raise
                except Exception as exc:  # never die silently: say it, stay usable
                    await self._recover(exc)
        except _Stop:
            pass
        finally:
            await self._disconnect()

    async def _recover(self, exc: Exception) -> None:
        """An unexpected failure: drop the connection (no QUIT), say why, try again later."""
        with contextlib.suppress(Exception):
            await self._disconnect()
        reason = describe_error(exc)
        self._report(Notice(reason, "error"))
        self._schedule_retry(ConnectionState.RETRYING, reason, minimum=LOCAL_FAILURE_RETRY)

    async def _tick(self) -> None:
        """Wait for a command or a timer, then do the one thing that is due."""
        command = await self._next_command()
        try:
            await self._do(command)
        except _Stop:
            raise
        except Exception as exc:  # never let one failure end the session
            await self._internal_error(exc, command)

    async def _do(self, command: _Command | None) -> None:
        if command is not None:
            self._last_request = time.monotonic()
            await self._serve(command)
            self._last_request = time.monotonic()  # a long download counts until it ends
            return
        now = time.monotonic()
        if self._client is None:
            if self._retry_at is not None and now >= self._retry_at:
                await self._connect_and_sync()
                if self._wanted and not (self._client is None and self._waiting_on_own_lock()):
                    await self._serve_wanted()  # what waited for this reconnect, or its answer
        elif self._idle_due(now):
            await self._go_idle()
        elif now >= self._next_check:
            await self._refresh()
        elif now - self._last_activity >= self._keepalive:
            await self._guarded(self._noop)

    async def _internal_error(self, exc: Exception, command: _Command | None) -> None:
        """Something that is not the network failed: answer the request, then recover."""
        reason = describe_error(exc)
        if command is not None and command.name == "body":
            # every body still wanted gets its answer: the one being served and the queue
            failed = dict.fromkeys([command.uid, *self._serving, *self._wanted])
            self._serving.clear()
            self._wanted.clear()
            for uid in failed:
                self._report(BodyFailed(uid, reason))
        elif command is not None and command.name == "apply":
            self._report(DeletionsApplied(error=reason))
            if command.then_quit:
                raise _Stop from None
        await self._recover(exc)

    async def _next_command(self) -> _Command | None:
        timeout = self._seconds_to_next_timer()
        if timeout is not None and timeout <= 0:
            return None if self._queue.empty() else self._queue.get_nowait()
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    def _seconds_to_next_timer(self) -> float | None:
        now = time.monotonic()
        if self._client is None:
            return None if self._retry_at is None else self._retry_at - now
        due = min(self._next_check, self._last_activity + self._keepalive)
        if self._idle_close is not None:
            due = min(due, self._last_request + self._idle_close)
        return due - now

    def _idle_due(self, now: float) -> bool:
        return self._idle_close is not None and now - self._last_request >= self._idle_close

    async def _go_idle(self) -> None:
        """Nobody used the connection for a while: close it (no QUIT) and free the lock."""
        await self._disconnect()
        now = time.monotonic()
        self._retry_at = max(self._next_check, now + 1.0)  # still look for new mail
        self._report(
            StateChanged(ConnectionState.IDLE, "reconnects when needed", self._retry_at - now)
        )

    async def _serve(self, command: _Command) -> None:
        if command.name == "shutdown":
            raise _Stop
        if command.name == "refresh":
            await self._refresh()
        elif command.name == "body":
            await self._serve_wanted()
        elif command.name == "apply":
            await self._apply_deletions(then_quit=command.then_quit, confirmed=command.confirmed)
        elif command.name == "password":
            await self._password_typed(command.password)

    # -- connecting ----------------------------------------------------------------------

    async def _refresh(self) -> None:
        """New mail shows only in a new session: drop this one (no QUIT) and log in again."""
        await self._disconnect()
        await self._connect_and_sync()

    async def _connect_and_sync(self) -> bool:
        self._retry_at = None
        self._report(StateChanged(ConnectionState.CONNECTING))
        self._opening = asyncio.ensure_future(self._open())
        try:
            client = await self._opening
        except asyncio.CancelledError:
            if self._stopping:  # cancelled by shutdown(), not from outside
                raise _Stop from None
            raise
        except Exception as exc:
            self._connect_failed(exc)
            return False
        finally:
            self._opening = None
        self._client = client
        self._backoff = self._retry.first
        self._last_failure = ""
        self._busy_now = False
        self._dropped_by_user = False
        self._touch()
        self._report(StateChanged(ConnectionState.ONLINE, self._tls_words(client)))
        self._warn_about_server(client)
        return await self._guarded(self._sync)

    async def _open_without_prompting(self) -> POP3Client:
        """Log in with a secret we already have: never prompt while the UI owns the terminal.

        ``tui-mail`` asks for the password before the app starts; if the server refused it,
        :func:`open_session` has forgotten it and asking again would mean a getpass() prompt
        under the full-screen app.
        """
        account = self.account
        if not account.uses_oauth:
            known = await asyncio.to_thread(self._secrets.lookup_password, account)
            if known is None:
                raise PasswordMissing("no password for this account yet")
        return await open_session(
            account,
            self._secrets,
            protocol_log=self._protocol_log,
            refusal_is_final=self._plain_refusals >= MAX_PLAIN_REFUSALS - 1,
        )

    async def _password_typed(self, password: str | None) -> None:
        """The user's answer to PasswordWanted: log in with it, or stay offline."""
        if password is None:
            self._report(StateChanged(ConnectionState.OFFLINE, "no password; press c to try again"))
            return
        try:
            self._secrets.accept_retyped_password(self.account, password)
        except SecretError as problem:
            self._report(PasswordWanted(f"{problem}; type it again", refused=False))
            return
        if self._client is None:
            await self._connect_and_sync()

    def _wants_password(self, exc: Exception) -> bool:
        """Whether typing a password could fix this failure (never for OAuth tokens)."""
        if self.account.uses_oauth:
            return False
        return isinstance(exc, PasswordMissing | AuthFailed)

    def _connect_failed(self, exc: Exception) -> None:
        reason = _describe(exc)
        self._last_failure = reason
        self._busy_now = isinstance(exc, MailboxInUse)
        if isinstance(exc, LoginRefused):  # the next refusal counts as a wrong password
            self._plain_refusals += 1
        if self._wants_password(exc):
            refused = isinstance(exc, AuthFailed)
            self._report(StateChanged(ConnectionState.OFFLINE, reason))
            # in words too: the refusal, or that the refused password is not sent again
            self._report(Notice(reason, "error" if refused else "warning"))
            self._report(
                PasswordWanted(
                    "The server refused the password; try again"
                    if refused
                    else f"Password for {self.account.user}@{self.account.host}",
                    refused=refused,
                )
            )
        elif isinstance(exc, MailboxInUse) and self._own_lock_likely():
            # our own dropped session, not let go of yet: soon, not after the busy wait
            why = f"{reason} (most likely the download just cancelled: trying again soon)"
            self._schedule_retry(ConnectionState.BUSY, why)
        elif isinstance(exc, MailboxInUse):
            self._schedule_retry(ConnectionState.BUSY, reason, minimum=self._retry.busy)
        elif isinstance(exc, LoginDelayed):
            delay = float(self.store.get_meta("login_delay") or self._retry.login_delay)
            self._schedule_retry(ConnectionState.RETRYING, reason, minimum=delay)
        elif isinstance(exc, _HOPELESS):
            # Retrying cannot help (and would lock accounts): wait for the user's "r".
            self._report(StateChanged(ConnectionState.OFFLINE, reason))
            self._report(Notice(reason, "error"))
        elif isinstance(exc, POP3Error | OSError | TemporaryFailure):
            self._schedule_retry(ConnectionState.RETRYING, reason)
        else:
            self._report(StateChanged(ConnectionState.OFFLINE, reason))
            self._report(Notice(reason, "error"))

    def _schedule_retry(self, state: ConnectionState, reason: str, minimum: float = 0.0) -> None:
        delay = max(self._backoff, minimum)
        self._backoff = min(self._backoff * 2, self._retry.maximum)
        self._retry_at = time.monotonic() + delay
        self._report(StateChanged(state, reason, retry_in=delay))

    async def _disconnect(self) -> None:
        client, self._client, self._identity = self._client, None, None
        if client is not None:
            await client.abort()  # never QUIT here: QUIT is reserved for applying deletions

    async def _guarded(self, action: Callable[[], Awaitable[None]]) -> bool:
        """Run a network action; on a drop, go offline and schedule a reconnect."""
        try:
            await action()
        except (POP3Error, OSError) as exc:
            await self._disconnect()
            if self._dropped_by_user:  # we hung up ourselves (a cancelled download)
                self._reconnect_now()
                return False
            self._schedule_retry(ConnectionState.RETRYING, describe_error(exc))
            return False
        except StoreError as exc:  # a full disk in the middle of a sync: say so, not a drop
            await self._disconnect()
            reason = self._last_failure = describe_error(exc)
            self._report(Notice(reason, "error"))
            self._schedule_retry(ConnectionState.RETRYING, reason, minimum=LOCAL_FAILURE_RETRY)
            return False
        self._touch()
        return True

    def _touch(self) -> None:
        self._last_activity = time.monotonic()

    def _own_lock_likely(self) -> bool:
        """[IN-USE] now is most likely the session a cancel just dropped (the server frees
        its lock once it notices, which a server busy writing the cancelled RETR may not
        for a while), not another client at work."""
        return (
            self._own_drop_at is not None and time.monotonic() - self._own_drop_at < OWN_LOCK_GRACE
        )

    def _waiting_on_own_lock(self) -> bool:
        return self._busy_now and self._own_lock_likely()

    def _reconnect_now(self) -> None:
        self._dropped_by_user = False
        self._own_drop_at = time.monotonic()
        self._retry_at = time.monotonic()
        self._report(StateChanged(ConnectionState.CONNECTING, "reconnecting after a cancel"))

    @staticmethod
    def _tls_words(client: POP3Client) -> str:
        return client.tls_version or "without TLS"

    def _warn_about_server(self, client: POP3Client) -> None:
        caps = client.capabilities
        if caps.login_delay is not None:
            self.store.set_meta("login_delay", str(caps.login_delay))
            if caps.login_delay >= self._check_interval:  # the server sets the interval: say so
                minutes = f"{caps.login_delay / 60:g} min"
                self._report(
                    StateChanged(
                        ConnectionState.ONLINE,
                        f"{self._tls_words(client)}; new mail every {minutes} (LOGIN-DELAY)",
                    )
                )
        provider = provider_for_host(self.account.host)
        if provider is not None and provider.retr_hides_messages and not self._gmail_warned:
            self._gmail_warned = True
            self._report(
                Notice(
                    f"{provider.name}: a message you open here is hidden from other POP clients "
                    "if this session then deletes marked mail (QUIT); tui-mail keeps its copy.",
                    "warning",
                )
            )
        if caps.expire == 0:
            self._report(
                Notice(
                    "This server deletes messages once they are downloaded (EXPIRE 0).", "warning"
                )
            )

    async def _noop(self) -> None:
        assert self._client is not None
        await self._client.noop()

    # -- sync ----------------------------------------------------------------------------

    async def _sync(self) -> None:
        assert self._client is not None
        delay = float(self.store.get_meta("login_delay") or 0)
        self._next_check = time.monotonic() + max(self._check_interval, delay)

        def rows(batch: list[MessageSummary]) -> None:
            self._shown.note(batch)
            self._report(SummariesUpdated(batch))

        def progress(done: int, total: int) -> None:
            if done == total or done % PROGRESS_EVERY == 0:  # spare the UI 1,000 repaints
                self._report(Progress("headers", done, total))

        self._in_sync = True
        try:
            result = await sync_mailbox(
                self._client, self.store, on_rows=rows, on_progress=progress, urgent=self
            )
        finally:
            self._in_sync = False
        if result.mass_change is not None:
            self._report(
                Notice(
                    f"{result.mass_change.describe()}. Nothing was recorded; run "
                    "`tui-mail check --accept-uid-change` if the server was migrated.",
                    "warning",
                )
            )
            await self._disconnect()
            self._report(StateChanged(ConnectionState.OFFLINE, "the server's UIDs changed"))
            return
        self._identity = result.identity
        self._report_unconfirmed(result.identity.listing)
        self._report_identity_changes(result)
        if result.weak_identity:
            self._report(
                Notice(
                    "The server has no UIDL: messages are recognised by their headers, which "
                    "is weaker (identical copies look alike).",
                    "warning",
                )
            )
        self._report_list_changes(always=True)  # an empty one still says the sync is done
        self._report(Progress("headers", result.headers_fetched, result.headers_fetched))

    def _report_list_changes(self, *, always: bool = False) -> None:
        """The store's rows against what the UI has: send only the difference (ListChanged)."""
        with collector_paused():  # 100,000 rows read and compared, (most) dropped again
            fields, local = self.store.summary_fields()
            change = self._shown.diff_fields(fields, build_summaries, local)
            del fields
        if change or always:
            self._report(change)

    # -- bodies --------------------------------------------------------------------------

    def pending(self) -> bool:
        """UrgentWork: the user waits for a body (the sync lets it go first)."""
        return bool(self._wanted)

    async def serve(self, identity: MailboxIdentity) -> None:
        """UrgentWork: serve wanted bodies in the middle of a sync, on its connection."""
        self._identity = identity
        await self._serve_wanted()

    async def _serve_wanted(self) -> None:
        """Every body the user asked for, in order; each answers BodyReady or BodyFailed."""
        while self._wanted:
            if self._in_sync and self._client is None:
                return  # the sync's connection is gone: the sync ends, the reconnect serves
            uid = self._wanted.popleft()
            self._serving.append(uid)  # if serving fails unexpectedly it is answered anyway
            waiting = await self._serve_body(uid)
            self._serving.remove(uid)
            if waiting:  # kept for the reconnect the retry timer makes
                self._wanted.appendleft(uid)
                return

    async def _online(self) -> bool:
        """Connect now if there is no session: the user is waiting, not the backoff timer."""
        if self._client is None or self._identity is None:
            await self._connect_and_sync()
        return self._client is not None and self._identity is not None

    def _offline_words(self) -> str:
        detail = self._last_failure or "could not connect to the server"
        return f"offline ({detail}) and not in the local cache"

    async def _serve_body(self, uid: str) -> bool:
        """Answer BodyReady or BodyFailed for ``uid``; True instead when it must wait for the
        server to let go of the session a cancel just dropped (the reconnect serves it)."""
        try:
            cached = self.store.body_path(uid)
        except StoreError as exc:
            self._report(BodyFailed(uid, describe_error(exc)))
            return False
        if cached is not None:
            self._report(BodyReady(uid, cached))
            return False
        for attempt in (1, 2):  # a connection found gone is reconnected once
            if not await self._online():
                if self._waiting_on_own_lock() and not self._in_sync:
                    return True
                self._report(BodyFailed(uid, self._offline_words()))
                return False
            assert self._identity is not None
            number = self._identity.number_of(uid)
            if number is None:
                self._report(BodyFailed(uid, "no longer on the server"))
                return False
            size = self._identity_size(uid)
            try:
                await self._cancellable_retrieve(uid, number)
            except _DownloadCancelled:
                await self._disconnect()  # mid-RETR: the stream is out of step anyway
                self._report(BodyFailed(uid, "download cancelled"))
                if self._in_sync:
                    self._dropped_by_user = True  # the sync fails next, then reconnects
                else:
                    self._reconnect_now()
                return False
            except _GONE as exc:
                await self._disconnect()
                if attempt == 1:
                    continue
                self._schedule_retry(ConnectionState.RETRYING, describe_error(exc))
                self._report(BodyFailed(uid, f"the connection dropped while downloading ({exc})"))
                return False
            except StoreError as exc:  # the disk, not the network: say which
                await self._disconnect()  # the RETR was cut short: the stream is out of step
                self._schedule_retry(
                    ConnectionState.RETRYING, describe_error(exc), minimum=LOCAL_FAILURE_RETRY
                )
                self._report(BodyFailed(uid, describe_error(exc)))
                return False
            except AnswerTooLong:  # a lying or endless server: this message is marked
                await self._disconnect()
                self._message_too_long(uid, size)
                return False
            except ServerError as exc:  # -ERR for this message; the session is still good
                self._touch()
                self._report(BodyFailed(uid, describe_error(exc)))
                return False
            except POP3Error as exc:
                await self._disconnect()
                self._schedule_retry(ConnectionState.RETRYING, describe_error(exc))
                self._report(BodyFailed(uid, describe_error(exc)))
                return False
            self._touch()
            break
        path = self.store.body_path(uid)
        if path is None:
            self._report(BodyFailed(uid, "the body cache could not keep the message"))
        else:
            self._report(BodyReady(uid, path))
        return False

    async def _cancellable_retrieve(self, uid: str, number: int) -> None:
        """RETR as a task that :meth:`request_body` and :meth:`cancel_body` may cancel."""
        assert self._identity is not None
        large = self._identity.listing[uid][1] >= PROGRESS_MIN_BYTES
        task = asyncio.ensure_future(self._retrieve(uid, number))
        self._download = _Download(uid, large, task)
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:  # the session itself is stopping
            task.cancel()
            raise
        finally:
            self._download = None
        if task.cancelled():
            if large:
                self._report(Progress("message bytes", 1, 1))  # clear the progress display
            raise _DownloadCancelled
        task.result()

    def _message_too_long(self, uid: str, size: int) -> None:
        """The server sent more than it LISTed for ``uid``: mark the message, say so."""
        problem = (
            f"the server sent more than it announced ({size:,} bytes in LIST); "
            "the download was stopped and the connection dropped"
        )
        self._schedule_retry(ConnectionState.RETRYING, problem)
        row = self.store.record_problem(uid, problem)
        if row is not None:
            self._shown.note([row])
            self._report(SummariesUpdated([row]))
        self._report(BodyFailed(uid, problem))

    def _identity_size(self, uid: str) -> int:
        entry = self._identity.listing.get(uid) if self._identity is not None else None
        return 0 if entry is None else entry[1]

    async def _retrieve(self, uid: str, number: int) -> None:
        assert self._client is not None and self._identity is not None
        size = self._identity.listing[uid][1]
        report = self._report

        def progress(done: int) -> None:
            if size >= PROGRESS_MIN_BYTES:
                report(Progress("message bytes", done, size))

        with self.store.body_writer(uid, seen=True) as sink:  # opened: read
            await self._client.retr(number, sink, progress)
        if size >= PROGRESS_MIN_BYTES:
            report(Progress("message bytes", size, size))

    # -- deleting ------------------------------------------------------------------------

    async def _apply_deletions(self, *, then_quit: bool, confirmed: frozenset[str] | None) -> None:
        try:
            outcome = await self._deletion_outcome(confirmed)
        except Exception as exc:  # the store failed, or a bug: nothing was committed
            with contextlib.suppress(Exception):
                await self._disconnect()
            outcome = DeletionsApplied(error=describe_error(exc))
        self._shown.forget(outcome.deleted)  # the UI drops them when it reads the outcome
        self._report(outcome)
        if then_quit:
            raise _Stop
        self._report_list_changes()
        if self._retry_at is None:  # else a reconnect is already scheduled
            await self._refresh()  # a new session also shows new mail (mutt's "$")

    async def _deletion_outcome(self, confirmed: frozenset[str] | None) -> DeletionsApplied:
        # Taken before any reconnect: a mark whose message vanished meanwhile (another client
        # deleted it) is then reported not_found instead of silently dropped by the reconcile.
        marks = self.store.pending_marks()
        if confirmed is not None:  # exactly what "Delete N messages?" counted, no more
            marks = [mark for mark in marks if mark.key in confirmed]
        if not marks:
            return DeletionsApplied()
        for attempt in (1, 2):  # a connection found gone is reconnected once
            if not await self._online():
                return DeletionsApplied(error=self._last_failure or "could not connect")
            outcome, gone = await self._delete(marks)
            if not gone or attempt == 2:
                return outcome
        raise AssertionError("unreachable")

    async def _delete(self, marks: list[Mark]) -> tuple[DeletionsApplied, bool]:
        """UIDL again, check each mark, DELE what still matches, QUIT.

        A failure before QUIT deletes nothing. Returns the outcome and whether the
        connection was found gone before QUIT (then a new session may simply try again).
        """
        client = self._client
        assert client is not None
        self._client = self._identity = None  # this session ends here, one way or another
        found: list[str] = []
        quit_sent = False
        try:
            identity = await read_identity(client)  # numbers checked in *this* session
            plan = await self._verify_marks(client, identity, marks)
            found = [key for key, _ in plan.delete]
            total = len(plan.delete)
            refused = await client.dele_many(
                [number for _, number in plan.delete],
                lambda done: self._report(Progress("deleting", done, total)),
            )
            if refused:  # that message stays (and stays marked); the others still go
                plan.note_refused(refused)
                found = [key for key, number in plan.delete if number not in refused]
            quit_sent = True
            await client.quit()
        except (POP3Error, OSError) as exc:
            with contextlib.suppress(Exception):
                await client.abort()
            if quit_sent:  # the server may have committed: only the next session can tell
                self.store.set_meta(UNCONFIRMED_META, json.dumps(found))
                return DeletionsApplied(unknown=found, error=describe_error(exc)), False
            return DeletionsApplied(error=describe_error(exc)), isinstance(exc, _GONE)
        try:
            self.store.deletions_done(found)
            self.store.unmark_for_deletion(plan.changed)  # they mean other mail now
        except StoreError as exc:  # deleted all the same: the next sync sees them gone
            self._report(Notice(describe_error(exc), "error"))
        return (
            DeletionsApplied(
                deleted=found,
                not_found=plan.missing,
                skipped=[*plan.changed, *plan.ambiguous, *plan.refused],
                skipped_why=plan.why(),
            ),
            False,
        )

    async def _verify_marks(
        self, client: POP3Client, identity: MailboxIdentity, marks: list[Mark]
    ) -> _DeletePlan:
        """Which marks still mean the message the user marked, by *this* session's numbers.

        UID and size from this session's LIST + UIDL (matched by the store's rules, so a
        reused UID or a changed set of copies never maps to a mark); identical copies only
        if every copy is marked; then ``TOP n 0`` of the marked ones, whose headers must
        give the fingerprint recorded when the user marked it.
        """
        suspects = self.store.size_suspects(identity.entries)
        prints_first = await fingerprints_of(client, suspects) if suspects else {}
        current = self.store.match_listing(identity.entries, prints_first)
        copies = Counter(entry.uid for entry in identity.entries)
        marked = {mark.key for mark in marks}
        plan = _DeletePlan()
        candidates: list[tuple[Mark, int, int]] = []
        for mark in marks:
            where = current.get(mark.key)
            if where is None:
                (plan.changed if copies[mark.server_uid] else plan.missing).append(mark.key)
            elif where[1] != mark.size and mark.fingerprint is None:
                plan.changed.append(mark.key)  # nothing but the size to go by, and it changed
            elif copies[mark.server_uid] > 1 and not (
                len(siblings := self.store.copies_of(mark.server_uid)) == copies[mark.server_uid]
                and set(siblings) <= marked
            ):
                plan.ambiguous.append(mark.key)
            else:
                candidates.append((mark, where[0], where[1]))
        checkable = [(mark, n) for mark, n, _ in candidates if mark.fingerprint is not None]
        seen = await fingerprints_of(client, [n for _, n in checkable])
        if seen is None:  # no TOP: UID and size are all this server lets us check
            plan.changed.extend(mark.key for mark, _, size in candidates if size != mark.size)
        else:
            plan.changed.extend(
                mark.key for mark, number in checkable if seen.get(number) != mark.fingerprint
            )
        changed = set(plan.changed)
        plan.delete = [(mark.key, n) for mark, n, _ in candidates if mark.key not in changed]
        return plan

    def _report_identity_changes(self, result: SyncResult) -> None:
        """Once, when it happens: the server reused IDs, or marks could not be kept."""
        dropped = ""
        if result.unmarked:
            dropped = f" {plural(result.unmarked, 'deletion mark')} on the old mail dropped."
        if result.reused:
            self._report(
                Notice(
                    f"The server reused the IDs of {plural(len(result.reused), 'message')} for "
                    f"different mail: shown as new (unread, not marked).{dropped}",
                    "warning",
                )
            )
        elif result.unmarked:
            self._report(
                Notice(
                    "Identical copies sharing one ID changed in number, so tui-mail cannot "
                    f"tell which one you marked.{dropped}",
                    "warning",
                )
            )

    def _report_unconfirmed(self, listing: dict[str, tuple[int, int]]) -> None:
        """After a lost QUIT answer: say which of the messages the server did delete."""
        raw = self.store.get_meta(UNCONFIRMED_META)
        if raw is None:
            return
        self.store.set_meta(UNCONFIRMED_META, None)
        try:
            keys = [str(key) for key in json.loads(raw)]
        except (ValueError, TypeError):
            return
        kept = [key for key in keys if key in listing]
        went = len(keys) - len(kept)
        parts = []
        if went:
            parts.append(f"the server did delete {plural(went, 'message')}")
        if kept:
            verb = "is" if len(kept) == 1 else "are"
            parts.append(f"{plural(len(kept), 'message')} {verb} still there and still marked")
        if parts:
            self._report(
                Notice("Last time the server's answer to QUIT was lost: " + "; ".join(parts) + ".")
            )


@dataclass
class _DeletePlan:
    """What one apply will do: DELE these (key, number); leave the rest, and why."""

    delete: list[tuple[str, int]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # not on the server any more
    changed: list[str] = field(default_factory=list)  # other size or headers: other mail
    ambiguous: list[str] = field(default_factory=list)  # an identical copy is not marked
    refused: list[str] = field(default_factory=list)  # DELE drew -ERR: kept, still marked
    refused_text: str = ""  # the server's words for the first refusal

    def note_refused(self, refused: Mapping[int, ServerError]) -> None:
        """Record the DELEs the server answered with -ERR (those messages stay)."""
        self.refused = [key for key, number in self.delete if number in refused]
        self.refused_text = next(iter(refused.values())).text if refused else ""

    def why(self) -> str:
        reasons = []
        if self.changed:
            reasons.append("the server's message no longer matches what you marked; unmarked")
        if self.ambiguous:
            reasons.append("an identical copy with the same ID is not marked")
        if self.refused:
            said = f": {self.refused_text}" if self.refused_text else ""
            reasons.append(f"the server refused to delete {len(self.refused)}{said}; still marked")
        return "; ".join(reasons)


def _describe(exc: Exception) -> str:
    """One line for the status bar; a SecretError's own text is already written for users."""
    return str(exc) if isinstance(exc, SecretError) else describe_error(exc)
