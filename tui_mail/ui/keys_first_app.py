"""The app's side of :mod:`tui_mail.keys_first`: say when a key arrives and when it is shown.

A key is "in hand" from the moment it is posted to the app (on the thread that delivers it,
before the UI's thread has even been scheduled) until its effect is on screen: Textual hands
a key to the focused widget, which passes it back up to the app, where the bindings run; the
first screen update after that releases it. A key that changes nothing on screen, or that a
widget keeps (typed into a prompt), is released :data:`UNSEEN_KEY_HOLD` seconds after it was
taken. (Not "after the next refresh": Textual runs such callbacks before a widget's repaint
has reached the screen, which let the session back in while the key was still being drawn.)
Meanwhile the session's long loops wait, so the UI thread has the interpreter to itself.
"""

from __future__ import annotations

import threading
from collections.abc import Coroutine
from functools import partial
from typing import Any

from rich.console import RenderableType
from textual import events
from textual.app import App
from textual.message import Message
from textual.screen import Screen

from tui_mail.keys_first import KeysFirst, keys_first

UNSEEN_KEY_HOLD = 0.05  # seconds a key that draws nothing holds other work back


class KeysFirstApp(App[None]):
    """Base of the app: reports keys to :data:`~tui_mail.keys_first.keys_first`."""

    keys_first: KeysFirst = keys_first
    _keys_taken = 0  # keys the app has taken, in order
    _keys_acted = 0  # of those, how many came back up from the widgets (bindings run)
    _keys_shown = 0  # of those, how many were shown (released)

    def _bind_keys_first(self) -> None:
        """Called once the app runs, on its thread: that thread never waits for itself."""
        self.keys_first.ui_thread = threading.get_ident()

    def post_message(self, message: Message) -> bool:
        # Keys from another thread arrive here (a test's typist); on this thread this is
        # also how a key bubbles back up from a widget, which is not a new key.
        if isinstance(message, events.Key) and threading.get_ident() != self._thread_id:
            self.keys_first.key_arrived()
            return self._queue_key(message)
        return super().post_message(message)

    def _post_message(self, message: Message) -> Coroutine[Any, Any, bool]:
        # The terminal driver's keys (and Pilot's) come here: the coroutine is made on the
        # driver's input thread, so the key is counted there, before this loop even runs.
        if isinstance(message, events.Key):
            self.keys_first.key_arrived()
            return self._queue_key_soon(message)
        return super()._post_message(message)

    async def _queue_key_soon(self, key: events.Key) -> bool:
        return self._queue_key(key)

    def _queue_key(self, key: events.Key) -> bool:
        posted = super().post_message(key)
        if not posted:  # the app is closing: the key will never be shown
            self.keys_first.key_shown()
        return posted

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key):
            await super().on_event(event)
            return
        if not event.is_forwarded:  # fresh from the driver: on its way to the focused widget
            self._keys_taken += 1
            taken = self._keys_taken
            await super().on_event(event)
            # released by the screen update after its binding (_display); this lets go of a
            # key that changes nothing on screen or that a widget keeps (typed into a prompt)
            self.set_timer(UNSEEN_KEY_HOLD, partial(self._key_shown_by, taken))
            return
        await super().on_event(event)  # back up from the widgets: its binding has run
        self._keys_acted = self._keys_taken

    def _key_shown_by(self, taken: int) -> None:
        """Every key up to the ``taken``-th is shown: release those not released yet."""
        while self._keys_shown < taken:
            self._keys_shown += 1
            self.keys_first.key_shown()

    def _display(self, screen: Screen[object], renderable: RenderableType | None) -> None:
        super()._display(screen, renderable)
        if renderable is not None and self._keys_shown < self._keys_acted:
            self._key_shown_by(self._keys_acted)

    async def _on_exit_app(self) -> None:
        self.keys_first.release_all()
        await super()._on_exit_app()

    def key_waits_for_screen(self) -> bool:
        """A key's binding has run and its effect is not on screen yet."""
        return self._keys_shown < self._keys_acted


class KeysFirstScreen(Screen[None]):
    """A screen that draws a key's effect as soon as the app is idle, not at the next frame.

    Textual draws at most :data:`textual.screen.UPDATE_PERIOD` apart (60 frames a second),
    from a timer that, after a frame drawn late, waits up to two periods for the next one:
    while a sync keeps the list changing, a key's effect waited 25-35 ms for its frame with
    both threads idle (measured). Other changes (rows arriving) keep the frame rate.
    """

    async def _on_idle(self, event: events.Idle) -> None:
        app = self.app
        if isinstance(app, KeysFirstApp) and app.key_waits_for_screen() and self.is_current:
            event.prevent_default()
            self._on_timer_update()  # Textual's frame: layout, repaint, display, callbacks
            return
        await super()._on_idle(event)
