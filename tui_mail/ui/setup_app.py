"""A small Textual app around the set-up screen, for ``tui-mail setup`` and the first run."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from textual.app import App

from tui_mail.accounts import SecretProvider
from tui_mail.pop3.connection import ProtocolLog
from tui_mail.session.server_probe import DEFAULT_PROBE_TIMEOUT
from tui_mail.ui.screens.setup import SetupResult, SetupScreen

LOW_COLOUR_SYSTEMS = {None, "standard", "windows"}


class SetupApp(App[SetupResult | None]):
    """Runs :class:`SetupScreen`; ``return_value`` is its result (None if the user left)."""

    TITLE = "tui-mail set-up"

    def __init__(
        self,
        *,
        config_path: Path | None = None,
        taken_names: Collection[str] = (),
        protocol_log: ProtocolLog | None = None,
        probe_timeout: float = DEFAULT_PROBE_TIMEOUT,
        secrets_factory: Callable[[], SecretProvider] | None = None,
    ) -> None:
        super().__init__()
        self.setup_screen = SetupScreen(
            config_path=config_path, taken_names=taken_names, protocol_log=protocol_log,
            probe_timeout=probe_timeout, secrets_factory=secrets_factory,
        )

    def on_mount(self) -> None:
        if self.console.color_system in LOW_COLOUR_SYSTEMS:
            self.theme = "ansi-dark"  # the terminal's own 16 colours stay legible
        self.push_screen(self.setup_screen, callback=self.exit)


def run_setup(
    *,
    config_path: Path | None = None,
    taken_names: Collection[str] = (),
    protocol_log: ProtocolLog | None = None,
    mouse: bool = True,
) -> SetupResult | None:
    """Show the set-up screen until the account is saved (or the user leaves)."""
    app = SetupApp(config_path=config_path, taken_names=taken_names,
                   protocol_log=protocol_log)
    app.run(mouse=mouse)
    return app.return_value
