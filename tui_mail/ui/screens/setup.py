"""The set-up screen: from an e-mail address to a tested, saved account.

Three steps, top to bottom: the address (which fills in server and user name), a look at the
server (TLS, login methods, policies such as EXPIRE and LOGIN-DELAY, provider quirks), then a
trial login and saving. Network work runs in workers, so the screen never freezes; every text
that came from a server is drawn as plain text, never parsed as markup.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.events import DescendantFocus
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import AwaitMount, Widget
from textual.widgets import Button, Checkbox, Footer, Input, Label, RadioButton, RadioSet, Static

from tui_mail.accounts import Account, Config, ConfigError, SecretError, SecretProvider
from tui_mail.accounts.config_append import add_account
from tui_mail.accounts.paths import config_file_path
from tui_mail.accounts.providers import Provider, gmail_user, guess_server, provider_for_host
from tui_mail.pop3.certificate import CertificateDetails, fetch_certificate
from tui_mail.pop3.connection import ProtocolLog
from tui_mail.pop3.errors import AuthFailed
from tui_mail.session.errors import describe_error
from tui_mail.session.login_check import LoginReport, check_login
from tui_mail.session.server_probe import (
    DEFAULT_PROBE_TIMEOUT,
    Advice,
    ProbeFailed,
    ServerReport,
    merge_capabilities,
    probe_server,
    server_advice,
    split_server,
)
from tui_mail.ui.safe_text import one_line
from tui_mail.ui.setup_form import (
    FormProblem,
    LoginKind,
    SetupFields,
    build_account,
    refusal_advice,
    resolve_cafile,
    secret_advice,
    suggest_name,
)
from tui_mail.ui.trusted_certificates import save_trusted_certificate
from tui_mail.ui.widgets.certificate_view import CertificateView, Clock, utc_now

INTRO = (
    "Add a POP3 account. Enter moves to the next field; Esc leaves without saving. "
    "You can also write the config file by hand (see the README)."
)
OAUTH_HELP = (
    "OAuth2: give a command that prints a fresh access token on its first line, "
    "for example an oauth2 helper script; it runs each time tui-mail logs in. "
    "The README explains how to get tokens for Gmail and Microsoft 365."
)
# Enter in a field moves to the next one, or runs the step the field completes.
NEXT_FIELD = {"address": "server", "server": "user", "user": "cafile"}
FIELD_ACTION = {
    "cafile": "check_server",
    "password": "test_login",
    "password_command": "test_login",
    "token_command": "test_login",
    "name": "save",
}
# The status line says what the focused field is for (mutt-like: one line, always current).
FIELD_HINTS = {
    "address": "Type your e-mail address, then Enter: server and user name fill themselves in.",
    "server": "The POP3 server, as your provider names it (host or host:port); Enter goes on.",
    "user": "The login name, usually the e-mail address; Enter goes on.",
    "recent": "Space: Gmail's recent mode (the last 30 days, even mail other clients took).",
    "cafile": "Only for a private CA or a self-signed certificate, else empty; Enter checks.",
    "check": "Enter checks the server: TLS, login methods, policies (no password is sent).",
    "login-kind": "Up/Down choose how to log in: a password, or an OAuth2 token from a command.",
    "password": "The password (hidden); Enter logs in once to test it.",
    "password_command": "Or a command that prints the password (pass show mail/work); Enter tests.",
    "token_command": "A command that prints a fresh OAuth2 access token; Enter tests it.",
    "allow_plaintext": "Space allows logging in unencrypted: only on a network you trust.",
    "test": "Enter logs in once to test these settings (nothing is downloaded or deleted).",
    "name": "The account's name in the config (tui-mail --account NAME); Enter saves.",
    "save": "Enter saves the config file (mode 0600) and opens the mailbox.",
}
SERVER_FIELDS = frozenset({"address", "server", "cafile"})
LOGIN_FIELDS = frozenset({"user", "password", "password_command", "token_command"})


@dataclass(frozen=True)
class SetupResult:
    """The saved account, the config as it now loads, and the secrets that logged in."""

    account: Account
    config: Config
    secrets: SecretProvider  # holds a typed password in memory, so the reader need not ask


CertificateFetcher = Callable[..., Awaitable[CertificateDetails]]
Prober = Callable[..., Awaitable[ServerReport]]


def _row(label: str, field: Widget) -> Horizontal:
    return Horizontal(Label(Content(label), classes="field-label"), field, classes="row")


class SetupScreen(Screen[SetupResult | None]):
    """Dismisses with a :class:`SetupResult` once saved, or None if the user leaves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Leave set-up", id="setup.cancel"),
    ]

    DEFAULT_CSS = """
    SetupScreen {
        layout: vertical;
        #form { height: 1fr; padding: 0 1; }
        #intro { color: $text-muted; margin-bottom: 1; }
        .row { height: 1; }
        .field-label { width: 16; color: $text-muted; }
        .row Input { width: 1fr; }
        Button { margin: 1 0; }
        #report { margin-bottom: 1; }
        #advice, #login-result, #login, #password-fields, #token-fields { height: auto; }
        #certificate { height: auto; }
        .-error { color: $error; }
        .-warning { color: $warning; }
        .advice { margin-bottom: 1; }
        #login { display: none; }
        #login.-shown { display: block; }
        #token-help { color: $text-muted; }
        #status { height: 1; padding: 0 1; background: $panel; }
        RadioSet { margin-bottom: 1; }
        Checkbox { margin-top: 1; }
    }
    """

    def __init__(
        self,
        *,
        config_path: Path | None = None,
        taken_names: Collection[str] = (),
        protocol_log: ProtocolLog | None = None,
        probe_timeout: float = DEFAULT_PROBE_TIMEOUT,
        secrets_factory: Callable[[], SecretProvider] | None = None,
        prober: Prober = probe_server,
        certificate_fetcher: CertificateFetcher = fetch_certificate,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__()
        self._probe_server = prober
        self._fetch_certificate = certificate_fetcher
        self._clock = clock
        self._config_path = config_path
        self._taken = frozenset(taken_names)
        self._protocol_log = protocol_log
        self._probe_timeout = probe_timeout
        self._new_secrets = secrets_factory or (lambda: SecretProvider(config_path=config_path))
        self._prefilled: dict[str, str] = {}
        self._login_kind: LoginKind = "password"
        self.report: ServerReport | None = None
        self.login: LoginReport | None = None
        self._tested: tuple[Account, SecretProvider] | None = None
        self._status_field: str | None = None  # the field the status line is about now
        self._busy: tuple[str, float] | None = None  # (what is running, since when)
        self._busy_timer: Timer | None = None
        self._busy_group = ""
        self._busy_stopped = ""

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            yield Static(Content(INTRO), id="intro")
            yield _row(
                "E-mail address", Input(id="address", placeholder="you@example.org", compact=True)
            )
            yield _row(
                "Server",
                Input(id="server", compact=True, placeholder="pop.example.org (or host:port)"),
            )
            yield _row("User name", Input(id="user", compact=True))
            yield Checkbox(
                Content("Gmail recent mode: the last 30 days, whoever downloaded them"),
                id="recent",
                compact=True,
            )
            yield _row(
                "CA file",
                Input(
                    id="cafile", compact=True, placeholder="only for a private CA or self-signed"
                ),
            )
            yield Button(Content("Check server"), id="check", compact=True)
            yield Static(id="report")
            yield Vertical(id="certificate")
            yield Vertical(id="advice")
            with Vertical(id="login"):
                yield RadioSet(
                    RadioButton(Content("Password"), id="login-password", value=True),
                    RadioButton(Content("OAuth2 token from a command"), id="login-oauth"),
                    id="login-kind",
                    compact=True,
                )
                with Vertical(id="password-fields"):
                    yield _row("Password", Input(id="password", password=True, compact=True))
                    yield _row(
                        "or command",
                        Input(
                            id="password_command",
                            compact=True,
                            placeholder="optional, prints it: pass show mail/work",
                        ),
                    )
                with Vertical(id="token-fields"):
                    yield Static(Content(OAUTH_HELP), id="token-help")
                    yield _row(
                        "Token command",
                        Input(
                            id="token_command",
                            compact=True,
                            placeholder="prints an access token: oauth2-helper work",
                        ),
                    )
                yield Checkbox(
                    Content("Log in without encryption (trusted network only)"),
                    id="allow_plaintext",
                    compact=True,
                )
                yield Button(Content("Test login"), id="test", compact=True)
                yield Vertical(id="login-result")
                yield _row("Account name", Input(id="name", compact=True))
                yield Button(Content("Save"), id="save", compact=True)
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#recent", Checkbox).display = False
        self._show_login_kind("password")
        self.query_one("#address", Input).focus()
        self.say(FIELD_HINTS["address"], about="address")

    # -- small helpers -----------------------------------------------------------------

    def _input(self, field: str) -> Input:
        return self.query_one(f"#{field}", Input)

    def _value(self, field: str) -> str:
        return self._input(field).value

    def say(self, text: str, *, error: bool = False, about: str | None = None) -> None:
        """One line in the status bar at the bottom (tests read it too).

        ``about`` names the field the text is about: focusing that field keeps the text,
        focusing another one replaces it with that field's hint.
        """
        status = self.query_one("#status", Static)
        status.set_class(error, "-error")
        status.update(Content(one_line(text)))
        self._status_field = about

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """A new field has focus: say what it is for.

        (Focusing scrolls the field into view already; after a step that adds text above
        the next field, :meth:`_reveal` scrolls once the new text is laid out.)
        """
        field = event.widget.id or ""
        if self._busy is not None or field == self._status_field:
            return  # a check in progress, or an error about this very field, stays
        hint = FIELD_HINTS.get(field)
        if hint is not None:
            self.say(hint, about=field)

    # -- work in progress: elapsed time, and Esc stops it ------------------------------

    def _start_busy(self, text: str, group: str, stopped: str) -> None:
        """Say ``text`` with a running clock until done; Esc cancels ``group``, says ``stopped``."""
        self._busy = (text, time.monotonic())
        self._busy_group = group
        self._busy_stopped = stopped
        if self._busy_timer is None:
            self._busy_timer = self.set_interval(1.0, self._show_busy)
        self._show_busy()

    def _show_busy(self) -> None:
        if self._busy is None:
            return
        text, since = self._busy
        elapsed = int(time.monotonic() - since)
        self.say(f"{text} {elapsed} s (Esc stops it)")

    def _stop_busy(self) -> None:
        self._busy = None
        if self._busy_timer is not None:
            self._busy_timer.stop()
            self._busy_timer = None

    @property
    def status_text(self) -> str:
        return str(self.query_one("#status", Static).content)

    def _prefill(self, field: str, value: str) -> None:
        """Fill a field the user has not typed in (a value we put there counts as untouched)."""
        current = self._value(field)
        if current and current != self._prefilled.get(field):
            return
        self._prefilled[field] = value
        self._input(field).value = value

    def _fields(self) -> SetupFields:
        return SetupFields(
            address=self._value("address"),
            user=self._value("user"),
            cafile=self._value("cafile"),
            name=self._value("name"),
            login=self._login_kind,
            password=self._value("password"),
            password_command=self._value("password_command"),
            token_command=self._value("token_command"),
            allow_plaintext=self.query_one("#allow_plaintext", Checkbox).value,
        )

    def _problem(self, problem: FormProblem) -> None:
        self.say(str(problem), error=True, about=problem.field)
        widget = self.query(f"#{problem.field}").first()
        widget.focus()

    # -- typing ------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        field = event.input.id or ""
        if field in SERVER_FIELDS and self.report is not None:
            self._forget_report()
        elif field in LOGIN_FIELDS:
            self._forget_login()
        if field == "address":
            self._address_changed(event.value)
        elif field == "server":
            self._server_changed(event.value)

    def _address_changed(self, address: str) -> None:
        guess = guess_server(address)
        if guess is None:
            return
        self._prefill("server", guess.host)
        self._prefill("user", guess.user)
        self._prefill("name", suggest_name(address, self._taken))

    def _server_changed(self, server: str) -> None:
        provider = self._typed_provider(server)
        recent = self.query_one("#recent", Checkbox)
        recent.display = provider is not None and provider.recent_mode
        if not recent.display and recent.value:
            recent.value = False
        if self.report is None:
            self._show_provider_advice(provider)

    @staticmethod
    def _typed_provider(server: str) -> Provider | None:
        try:
            host, _ = split_server(server)
        except ValueError:
            return None
        return provider_for_host(host)

    def _show_provider_advice(self, provider: Provider | None) -> None:
        """Before the server is checked: what the user must know about their provider."""
        self._show_advice(Advice(text) for text in (provider.advice() if provider else ()))

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "recent":
            user = self._value("user") or self._value("address")
            new_user = gmail_user(user, recent=event.value)
            if new_user != self._value("user"):
                self._prefilled["user"] = new_user
                self._input("user").value = new_user
        elif event.checkbox.id == "allow_plaintext":
            self._forget_login()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        kind: LoginKind = "oauth" if event.pressed.id == "login-oauth" else "password"
        if kind != self._login_kind:
            self._show_login_kind(kind)
            self._forget_login()

    def _show_login_kind(self, kind: LoginKind) -> None:
        self._login_kind = kind
        self.query_one("#password-fields").display = kind == "password"
        self.query_one("#token-fields").display = kind == "oauth"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        field = event.input.id or ""
        if field in NEXT_FIELD:
            self._input(NEXT_FIELD[field]).focus()
        elif field in FIELD_ACTION:
            getattr(self, f"action_{FIELD_ACTION[field]}")()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {
            "check": self.action_check_server,
            "test": self.action_test_login,
            "save": self.action_save,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()

    # -- step 2: look at the server ----------------------------------------------------

    def action_check_server(self) -> None:
        try:
            host, port = split_server(self._value("server"))
        except ValueError as problem:
            self._problem(FormProblem(str(problem), "server"))
            return
        cafile = self._value("cafile").strip()
        try:
            cafile_path = resolve_cafile(cafile)
        except FormProblem as problem:
            self._problem(problem)
            return
        self._forget_report()
        self._start_busy(
            f"Checking {host} (no password is sent)…",
            "setup-probe",
            f"Check of {host} stopped; your entries are kept. Enter in CA file checks again.",
        )
        self.run_worker(
            self._probe(host, port, cafile_path),
            group="setup-probe",
            exclusive=True,
            exit_on_error=False,
        )

    async def _probe(self, host: str, port: int | None, cafile: Path | None) -> None:
        asked = (self._value("server"), self._value("cafile"))
        try:
            report = await self._probe_server(
                host,
                port,
                cafile=str(cafile) if cafile else None,
                timeout=self._probe_timeout,
                protocol_log=self._protocol_log,
            )
        except ProbeFailed as failure:
            self._stop_busy()
            self._show_report_error(str(failure))
            what = "certificate not trusted" if failure.certificate else "no usable answer"
            self.say(f"{host}: {what}; see above", error=True, about="cafile")
            if failure.certificate:
                self._input("cafile").focus()
                if failure.port is not None and failure.tls is not None:
                    await self._show_certificate(host, failure.port, failure.tls, asked)
            return
        except Exception as error:  # one clear line, never a traceback
            self._stop_busy()
            self._show_report_error(describe_error(error))
            self.say(f"{host}: check failed", error=True)
            return
        self._stop_busy()
        if asked != (self._value("server"), self._value("cafile")):
            self.say("The server changed while it was being checked; check it again.")
            return
        self._show_report(report)

    async def _show_certificate(
        self, host: str, port: int, tls: str, asked: tuple[str, str]
    ) -> None:
        """Fetch the certificate that failed verification and show it for a decision."""
        try:
            details = await self._fetch_certificate(host, port, tls, timeout=self._probe_timeout)
        except Exception as error:
            self.say(f"{host}: certificate not trusted, and unreadable: {describe_error(error)}")
            return
        if asked != (self._value("server"), self._value("cafile")):
            return  # the user moved on meanwhile
        box = self.query_one("#certificate", Vertical)
        await box.remove_children()
        view = CertificateView(details, host, port, clock=self._clock, id="certificate-view")
        await box.mount(view)
        if view.problem is None:
            self.say(
                f"{host}: certificate not trusted; see above. Compare the fingerprint, "
                'then "Trust this certificate" (Tab).',
                error=True,
            )
        self.call_after_refresh(
            lambda: self.query_one("#form", VerticalScroll).scroll_to_widget(view, animate=False)
        )

    def on_certificate_view_trust_requested(self, event: CertificateView.TrustRequested) -> None:
        """The explicit "accept always": save it next to the config, check again, verified."""
        config = self._config_path or config_file_path()
        try:
            path = save_trusted_certificate(config.parent, event.host, event.port, event.details)
        except OSError as error:
            self.say(f"Could not save the certificate: {error.strerror or error}", error=True)
            return
        self._input("cafile").value = str(path)
        self.action_check_server()
        self.say(f"Saved the certificate as {path}; checking {event.host} again with it…")

    def _show_report_error(self, text: str) -> None:
        widget = self.query_one("#report", Static)
        widget.add_class("-error")
        widget.update(Content(one_line(text)))

    def _show_report(self, report: ServerReport) -> None:
        self.report = report
        widget = self.query_one("#report", Static)
        widget.remove_class("-error")
        widget.update(Content("\n".join(one_line(line) for line in report.summary_lines())))
        self._show_advice(
            server_advice(report.capabilities, tls=report.tls, provider=report.provider)
        )
        if not report.offers_password and not report.offers_oauth:
            self.say("The server offers no login method tui-mail supports.", error=True)
            return
        kind: LoginKind = (
            "oauth" if report.prefers_oauth or not report.offers_password else ("password")
        )
        kinds = self.query_one("#login-kind", RadioSet)
        kinds.display = report.offers_password and report.offers_oauth
        self.query_one(
            "#login-oauth" if kind == "oauth" else "#login-password", RadioButton
        ).value = True
        self._show_login_kind(kind)
        plaintext = self.query_one("#allow_plaintext", Checkbox)
        plaintext.display = report.tls == "none"
        self.query_one("#login").add_class("-shown")
        if kind == "oauth":
            self.say(
                f"Server OK (login: {report.oauth_auth().upper()}). Enter the token "
                "command; Enter tests it.",
                about="token_command",
            )
            self._reveal(widget, "token_command")
        else:
            self.say(
                f"Server OK (login: {report.password_auth_words()}). Type the password; "
                "Enter tests it.",
                about="password",
            )
            self._reveal(widget, "password")

    def _reveal(self, top: Widget, field: str, then: str | None = None) -> None:
        """Focus ``field`` and show as much as fits from ``top`` down to it (after layout).

        ``then`` (the button the field leads to) is brought into view too when it fits; the
        field itself always ends up on screen.
        """
        target = self._input(field)
        target.focus(scroll_visible=False)

        def scroll() -> None:
            form = self.query_one("#form", VerticalScroll)
            form.scroll_to_widget(top, top=True, animate=False, immediate=True)
            if then is not None:
                form.scroll_to_widget(self.query_one(f"#{then}"), animate=False, immediate=True)
            form.scroll_to_widget(target, animate=False, immediate=True)

        self.call_after_refresh(scroll)

    def _show_advice(self, notes: Iterable[Advice], where: str = "#advice") -> AwaitMount:
        """Replace the notes in ``where``; await the result before measuring the layout."""
        box = self.query_one(where, Vertical)
        box.remove_children()
        return box.mount_all(
            Static(
                Content(one_line(note.text)),
                classes="advice -warning" if note.warning else "advice",
            )
            for note in notes
        )

    def _forget_report(self) -> None:
        self.report = None
        if self.is_mounted:
            self.query_one("#certificate", Vertical).remove_children()
        self.query_one("#login").remove_class("-shown")
        self.query_one("#report", Static).update("")
        self._show_provider_advice(self._typed_provider(self._value("server")))
        self._forget_login()

    # -- step 3: log in and save -------------------------------------------------------

    def action_test_login(self) -> None:
        if self.report is None:
            self.say("Check the server first.", error=True)
            return
        try:
            account = build_account(self._fields(), self.report, taken=self._taken)
        except FormProblem as problem:
            self._problem(problem)
            return
        secrets = self._new_secrets()
        password = self._value("password")
        if self._login_kind == "password" and account.password_command is None:
            try:
                secrets.accept_typed_password(account, password, remember=True)
            except SecretError as problem:
                self._problem(FormProblem(str(problem), "password"))
                return
        self._forget_login()
        self._start_busy(
            f"Logging in to {account.host} as {account.user}…",
            "setup-login",
            "Login test stopped; nothing was saved. Enter in the password field tries again.",
        )
        self.run_worker(
            self._login(account, secrets), group="setup-login", exclusive=True, exit_on_error=False
        )

    async def _login(self, account: Account, secrets: SecretProvider) -> None:
        asked = replace(self._fields(), name="")
        try:
            result = await check_login(account, secrets, protocol_log=self._protocol_log)
        except AuthFailed as refused:
            self._stop_busy()
            provider = self.report.provider if self.report is not None else None
            self._login_failed(refusal_advice(account, provider, refused.text), "Login refused.")
            return
        except SecretError as problem:
            self._stop_busy()
            self._login_failed(Advice(str(problem), warning=True), "No secret to log in with.")
            return
        except Exception as error:
            self._stop_busy()
            self._login_failed(Advice(describe_error(error), warning=True), "Login failed.")
            return
        self._stop_busy()
        if asked != replace(self._fields(), name=""):
            self.say("Settings changed during the login test; test again.")
            return
        self.login = result
        self._tested = (account, secrets)
        notes = [Advice(result.words()), secret_advice(account, secrets.keyring_usable())]
        shown = self._show_advice(notes, "#login-result")
        assert self.report is not None
        caps = merge_capabilities(self.report.capabilities, result.capabilities)
        more = self._show_advice(
            server_advice(caps, tls=self.report.tls, provider=self.report.provider, logged_in=True)
        )
        await shown
        await more  # laid out before scrolling, or the name field ends up below the screen
        self._reveal(self.query_one("#login-result", Vertical), "name", then="save")
        self.say("Login OK. Check the account name and press Enter to save.", about="name")

    def _login_failed(self, why: Advice, status: str) -> None:
        """Show why under the login fields, scrolled into view; focus stays where it was."""
        box = self.query_one("#login-result", Vertical)
        self._show_advice([why], "#login-result")
        self.say(status, error=True)
        self.call_after_refresh(
            lambda: self.query_one("#form", VerticalScroll).scroll_to_widget(box, animate=False)
        )

    def _forget_login(self) -> None:
        self.login = None
        self._tested = None
        if self.is_mounted:
            self.query_one("#login-result", Vertical).remove_children()

    def action_save(self) -> None:
        if self._tested is None or self.report is None:
            self.say("Test the login first (Enter in the password or token field).", error=True)
            return
        tested, secrets = self._tested
        try:
            named = build_account(self._fields(), self.report, taken=self._taken)
        except FormProblem as problem:
            self._problem(problem)
            return
        account = replace(tested, name=named.name)  # exactly what logged in, under its name
        try:
            config = add_account(self._config_path, account)
        except (ConfigError, OSError) as error:
            self.say(f"Not saved: {error}", error=True)
            return
        self.dismiss(SetupResult(config.accounts[account.name], config, secrets))

    def action_cancel(self) -> None:
        """Esc: stop a check or login test in progress (keeping every field), else leave."""
        if self._busy is not None:
            self.workers.cancel_group(self, self._busy_group)
            self._stop_busy()
            focused = self.focused
            self.say(self._busy_stopped, about=focused.id if focused is not None else None)
            return
        self.dismiss(None)
