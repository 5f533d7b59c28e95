"""Pick a theme the terminal can show: over SSH ``TERM=xterm`` often means 16 colours."""

from __future__ import annotations

from typing import Any

from textual.app import App

LOW_COLOUR_SYSTEMS = {None, "standard", "windows"}


def apply_theme(app: App[Any], requested: str | None = None) -> None:
    """Use ``requested``, else ``ansi-dark`` (the terminal's own palette) on 16-colour
    terminals, where Textual's default theme's shades collapse into unreadable pairs."""
    if requested is not None:
        app.theme = requested
    elif app.console.color_system in LOW_COLOUR_SYSTEMS:
        app.theme = "ansi-dark"
