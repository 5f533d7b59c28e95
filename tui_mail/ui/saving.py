"""Writing attachments and messages the user asked to save: private, atomic, no clobbering."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import platformdirs


def downloads_dir() -> Path:
    """The user's download directory (``~/Downloads`` on a headless box)."""
    return Path(platformdirs.user_downloads_dir())


def unused_path(directory: Path, name: str) -> Path:
    """``directory/name``, or ``name (1).ext``, ``name (2).ext``... if it is taken."""
    candidate = directory / name
    stem, suffix = candidate.stem, candidate.suffix
    number = 1
    while candidate.exists():
        candidate = directory / f"{stem} ({number}){suffix}"
        number += 1
    return candidate


def write_private_file(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Write ``data`` to ``path`` as 0600 via a temporary file, fsync and rename.

    Without ``overwrite`` an existing file is never replaced (``FileExistsError``), checked
    atomically with a hard link where the file system allows it. A missing parent directory
    is created 0700.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tui-mail-", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(temporary, path)
        else:
            _link_without_replacing(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _link_without_replacing(temporary: str, path: Path) -> None:
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:  # no hard links on this file system: check, then rename
        if path.exists():
            raise FileExistsError(str(path)) from None
        os.replace(temporary, path)
