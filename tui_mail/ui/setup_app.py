"""A small Textual app around the set-up screen, for ``tui-mail setup`` and the first run."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from textual.app import App

from tui_mail.pop3.connection import ProtocolLog
from tui_mail.ui.screens.setup import SetupResult, SetupScreen
from tui_mail.ui.terminal_theme import apply_theme


class SetupApp(App[SetupResult | None]):
    """Runs :class:`SetupScreen`; ``return_value`` is its result (None if the user left)."""

    TITLE = "tui-mail set-up"

    def __init__(self, setup_screen: SetupScreen) -> None:
        super().__init__()
        self.setup_screen = setup_screen

    def on_mount(self) -> None:
        apply_theme(self)
        self.push_screen(self.setup_screen, callback=self.exit)


def run_setup(
    *,
    config_path: Path | None = None,
    taken_names: Collection[str] = (),
    protocol_log: ProtocolLog | None = None,
    mouse: bool = True,
) -> SetupResult | None:
    """Show the set-up screen until the account is saved (or the user leaves)."""
    app = SetupApp(
        SetupScreen(config_path=config_path, taken_names=taken_names, protocol_log=protocol_log)
    )
    app.run(mouse=mouse)
    return app.return_value
