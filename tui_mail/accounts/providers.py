"""Mail providers whose POP3 servers need more than the RFCs say, and a guess for the rest.

The set-up screen fills in the server from the e-mail address and explains each provider's
quirks before they surprise the user; the reader uses :func:`provider_for_host` (the server,
not the address, decides: a company domain may live on Microsoft 365).

Facts (field notes §3): Gmail lists ~250 not-yet-downloaded messages in normal mode and the
last 30 days with the ``recent:`` user-name prefix; a message RETR'd in a session that ends
with QUIT is "popped" and hidden from later POP sessions (TOP does not pop); it takes an app
password or XOAUTH2. Microsoft 365 / Outlook.com take only OAuth2 (XOAUTH2, token on its own
line). Yahoo takes app passwords.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_mail.vocabulary import IMPLICIT_TLS_PORT, TlsMode

GMAIL_RECENT_PREFIX = "recent:"
MICROSOFT_POP_SCOPE = "https://outlook.office.com/POP.AccessAsUser.All"
GMAIL_SCOPE = "https://mail.google.com/"


@dataclass(frozen=True)
class Provider:
    """A provider's POP3 server and what a user must know about it."""

    key: str  # short name, also the suggested account name
    name: str
    host: str
    domains: frozenset[str]
    port: int = IMPLICIT_TLS_PORT
    tls: TlsMode = "implicit"
    oauth_only: bool = False  # no password login at all: go straight to XOAUTH2
    oauth_scope: str | None = None
    app_passwords: bool = False  # the normal web password is refused; an app password works
    retr_hides_messages: bool = False  # Gmail "pops" what a QUIT-ended session RETR'd
    recent_mode: bool = False  # Gmail's "recent:" user-name prefix

    def advice(self) -> list[str]:
        """What to tell the user during set-up, one paragraph each."""
        notes: list[str] = []
        if self.oauth_only:
            notes.append(
                f"{self.name} accepts only OAuth2 over POP (XOAUTH2): give a command that "
                f"prints a fresh access token with the scope {self.oauth_scope}. POP must also "
                "be enabled for the mailbox (an administrator setting in Microsoft 365)."
            )
        if self.app_passwords:
            notes.append(
                f"{self.name} refuses your normal password over POP: create an app password "
                "in the account's security settings and use that"
                + (f", or an OAuth2 token (scope {self.oauth_scope})." if self.oauth_scope else ".")
            )
        if self.recent_mode:
            notes.append(
                "Gmail has two POP modes. Normal (user name = your address) lists about 250 "
                "of the oldest messages no POP client has downloaded yet. Recent (user name "
                f"= {GMAIL_RECENT_PREFIX}your address) lists the last 30 days of mail, "
                "whoever downloaded it. POP must be enabled in Gmail's settings "
                "(Forwarding and POP/IMAP)."
            )
        if self.retr_hides_messages:
            notes.append(
                "Gmail hides a message from later POP sessions once it was downloaded (RETR) "
                "in a session that ends normally. tui-mail lists with TOP, which does not "
                "hide anything, and ends sessions without QUIT except when it deletes the "
                "messages you marked: a message opened in that same session is then hidden "
                "from other POP clients too (it stays in Gmail and in tui-mail's cache)."
            )
        return notes


GMAIL = Provider(
    key="gmail",
    name="Gmail",
    host="pop.gmail.com",
    domains=frozenset({"gmail.com", "googlemail.com"}),
    oauth_scope=GMAIL_SCOPE,
    app_passwords=True,
    retr_hides_messages=True,
    recent_mode=True,
)
MICROSOFT = Provider(
    key="outlook",
    name="Microsoft 365 / Outlook.com",
    host="outlook.office365.com",
    domains=frozenset(
        {
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "hotmail.co.uk",
            "outlook.jp",
            "hotmail.co.jp",
            "live.jp",
        }
    ),
    oauth_only=True,
    oauth_scope=MICROSOFT_POP_SCOPE,
)
YAHOO = Provider(
    key="yahoo",
    name="Yahoo Mail",
    host="pop.mail.yahoo.com",
    domains=frozenset(
        {"yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de"}
    ),
    app_passwords=True,
)
PROVIDERS: tuple[Provider, ...] = (GMAIL, MICROSOFT, YAHOO)

#: Other names the same servers answer to (users copy them from old guides).
_HOST_ALIASES = {
    "pop.googlemail.com": GMAIL,
    "outlook.office.com": MICROSOFT,
    "pop-mail.outlook.com": MICROSOFT,
    "pop3.live.com": MICROSOFT,
    "pop.mail.yahoo.co.uk": YAHOO,
}


@dataclass(frozen=True)
class ServerGuess:
    """Where an address's mail probably lives; ``provider`` is None for a plain guess."""

    host: str
    port: int
    tls: TlsMode
    user: str
    provider: Provider | None = None


def domain_of(address: str) -> str:
    """The lower-cased domain of ``address`` (empty when there is no ``@``)."""
    _, at, domain = address.strip().rpartition("@")
    return domain.strip().rstrip(".").lower() if at else ""


def provider_for_address(address: str) -> Provider | None:
    """The provider serving an address's domain, if it is one we know."""
    domain = domain_of(address)
    return next((p for p in PROVIDERS if domain in p.domains), None)


def provider_for_host(host: str) -> Provider | None:
    """The provider running the POP3 server ``host`` (the quirks follow the server)."""
    name = host.strip().rstrip(".").lower()
    for provider in PROVIDERS:
        if name == provider.host:
            return provider
    return _HOST_ALIASES.get(name)


def guess_server(address: str) -> ServerGuess | None:
    """The server for ``address``: a known provider's, else ``pop.DOMAIN`` on port 995.

    The user name is the whole address: what Gmail, Microsoft, Yahoo and most hosted
    Dovecots expect. Returns None when the address has no usable domain yet.
    """
    address = address.strip()
    domain = domain_of(address)
    if not domain or "." not in domain or any(ch.isspace() for ch in domain):
        return None
    provider = provider_for_address(address)
    if provider is not None:
        return ServerGuess(provider.host, provider.port, provider.tls, address, provider)
    return ServerGuess(f"pop.{domain}", IMPLICIT_TLS_PORT, "implicit", address)


def gmail_user(address: str, *, recent: bool) -> str:
    """The Gmail user name for normal or ``recent:`` mode."""
    bare = address.strip().removeprefix(GMAIL_RECENT_PREFIX)
    return GMAIL_RECENT_PREFIX + bare if recent else bare
