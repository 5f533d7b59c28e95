"""The ``[keys]`` table of the config checked against the reader's bindings.

The config layer checks the table's form (strings of comma-separated keys); only the UI knows
the binding ids and Textual's key names, so it checks those here, and reports problems with
the config's file and line (``config.toml:12: keys.mail.delete: ...``). A keymap that makes
two actions share a key where both are active is refused rather than left to chance.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

from textual.binding import Binding
from textual.keys import Keys, _character_to_key

from tui_mail.accounts.config import Config
from tui_mail.ui.bindings import (
    COMPOSE_BINDINGS,
    LIST_BINDINGS,
    PREVIEW_BINDINGS,
    REVIEW_BINDINGS,
    SCREEN_BINDINGS,
    binding_ids,
)

_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED_KEYS = frozenset(key.value for key in Keys) | {"space"}

# Bindings that are active at the same time: the list (or the preview) and the screen's.
_SCOPES = (
    ("the message list", [*SCREEN_BINDINGS, *COMPOSE_BINDINGS, *LIST_BINDINGS]),
    ("the preview", [*SCREEN_BINDINGS, *COMPOSE_BINDINGS, *PREVIEW_BINDINGS]),
    ("the review screen", REVIEW_BINDINGS),
)


def normalized_key(name: str) -> str | None:
    """Textual's name for a key written in the config (``?`` -> ``question_mark``), or None.

    Accepts one character, a named key (``enter``, ``pagedown``, ``f5``), a character's
    Unicode name (``dollar_sign``) and modifiers in front (``ctrl+n``, ``shift+tab``).
    """
    *modifiers, base = name.split("+") if len(name) > 1 else [name]
    if not base or any(modifier not in _MODIFIERS for modifier in modifiers):
        return None
    if len(base) == 1:
        base = _character_to_key(base)
    elif base not in _NAMED_KEYS:
        try:
            unicodedata.lookup(base.replace("_", " "))
        except KeyError:
            return None
    return "+".join([*modifiers, base])


def checked_keymap(config: Config) -> dict[str, str]:
    """The ``[keys]`` table as Textual's keymap (binding id -> keys); ConfigError if wrong."""
    known = binding_ids()
    keymap: dict[str, str] = {}
    for binding_id, keys in config.keys.items():
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise config.key_error(
                binding_id, f"unknown action id ({hint}the ? screen lists every id)"
            )
        names = []
        for name in keys.split(","):
            key = normalized_key(name)
            if key is None:
                raise config.key_error(
                    binding_id,
                    f"{name[:20]!r} is not a key name (examples: D, ?, ctrl+n, pagedown, f5)",
                )
            names.append(key)
        keymap[binding_id] = ",".join(names)
    _refuse_clashes(config, keymap)
    return keymap


def _refuse_clashes(config: Config, keymap: dict[str, str]) -> None:
    """Two actions on one key where both are active: name the rebound one in the error."""
    for scope, bindings in _SCOPES:
        owner: dict[str, str] = {}
        for binding in _ordered(bindings, keymap):
            assert binding.id is not None
            for key in keymap.get(binding.id, binding.key).split(","):
                key = key.strip()
                other = owner.setdefault(key, binding.id)
                if other != binding.id:
                    culprit = binding.id if binding.id in keymap else other
                    victim = other if culprit == binding.id else binding.id
                    raise config.key_error(
                        culprit,
                        f"{key!r} is already bound to {victim} in {scope}; "
                        f"rebind {victim} too, or pick another key",
                    )


def _ordered(bindings: Iterable[Binding], keymap: dict[str, str]) -> list[Binding]:
    """Default bindings first, so the error names the entry the user wrote."""
    items = list(bindings)
    return [b for b in items if b.id not in keymap] + [b for b in items if b.id in keymap]
