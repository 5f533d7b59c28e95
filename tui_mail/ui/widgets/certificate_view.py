"""A certificate the server presented but nobody vouches for, shown so a person can judge it.

The set-up screen mounts it when verification fails: subject, issuer, validity and SHA-256
fingerprint, and a "Trust this certificate" button, which is the only way to trust it (mutt's
"accept always"). Pressing it posts :class:`CertificateView.TrustRequested`; the screen saves
the certificate as the account's ``cafile`` and checks the server again *with* verification.
The button is left out when trusting could not help (the certificate names another host or
is outside its validity), and every server-made text is drawn as plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from tui_mail.pop3.certificate import CertificateDetails
from tui_mail.ui.safe_text import one_line

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(tz=UTC)


class CertificateView(Vertical):
    """The untrusted certificate of ``host:port`` with, if it can help, a trust button."""

    DEFAULT_CSS = """
    CertificateView {
        height: auto;
        margin-bottom: 1;
        #cert-title { color: $warning; text-style: bold; }
        #cert-warning { color: $error; }
        #cert-help { color: $text-muted; }
        Button { margin: 0; }
    }
    """

    class TrustRequested(Message):
        """The user pressed "Trust this certificate"."""

        def __init__(self, details: CertificateDetails, host: str, port: int) -> None:
            super().__init__()
            self.details = details
            self.host = host
            self.port = port

    def __init__(
        self,
        details: CertificateDetails,
        host: str,
        port: int,
        *,
        clock: Clock = utc_now,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.details = details
        self.host = host
        self.port = port
        self._clock = clock

    @property
    def problem(self) -> str | None:
        """Why trusting this certificate would not make the connection work, if it would not."""
        now = self._clock()
        if not self.details.matches_host(self.host):
            return (
                f"It is not made out for {self.host}: trusting it would not help. Use one of "
                "its names as the server, or ask the administrator."
            )
        if not self.details.not_before <= now <= self.details.not_after:
            return "It is outside its validity period: trusting it would not help."
        return None

    def compose(self) -> ComposeResult:
        yield Static(
            Content(f"Certificate presented by {one_line(self.host)}:{self.port}, NOT trusted:"),
            id="cert-title",
        )
        lines = [one_line(line) for line in self.details.lines(self._clock(), narrow=True)]
        yield Static(Content("\n".join(lines)), id="cert-details")
        problem = self.problem
        if problem is not None:
            yield Static(Content(problem), id="cert-warning")
            return
        yield Static(
            Content(
                "Trust it only if the fingerprint is the one your server shows (ask its "
                "administrator). Trusting saves it next to the config as the CA file."
            ),
            id="cert-help",
        )
        yield Button(Content("Trust this certificate"), id="trust-cert", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "trust-cert":
            event.stop()
            self.post_message(self.TrustRequested(self.details, self.host, self.port))
