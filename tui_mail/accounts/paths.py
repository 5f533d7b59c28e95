"""Where tui-mail keeps its files, and how they are created private (dirs 0700, files 0600).

Every file we write may hold mail or account details, so nothing here relies on the
process umask: directories and files are created with explicit modes and tightened if they
already exist with looser ones. Environment overrides exist for tests and for people who
keep several setups side by side.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

APP_NAME = "tui-mail"
CONFIG_ENV = "TUI_MAIL_CONFIG"
DATA_DIR_ENV = "TUI_MAIL_DATA_DIR"

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def config_file_path() -> Path:
    """The config file: ``$TUI_MAIL_CONFIG`` or ``<user config dir>/tui-mail/config.toml``."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs  # imported late: start-up time matters for `tui-mail check`

    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def data_root(data_dir: Path | None = None) -> Path:
    """Root of the per-account stores: the argument, ``$TUI_MAIL_DATA_DIR`` or the user data dir."""
    if data_dir is not None:
        return Path(data_dir)
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path(APP_NAME)


def ensure_private_dir(path: Path, *, tighten_existing: bool = True) -> Path:
    """Create ``path`` (and missing parents) 0700; tighten ``path`` to 0700 if it exists.

    Parents that already exist (``~/.local/share``) are left alone, since they are not ours;
    ``tighten_existing=False`` leaves ``path`` alone too when it already existed.
    """
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process won the race
            directory.mkdir(mode=PRIVATE_DIR_MODE)
        os.chmod(directory, PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask
    if tighten_existing and stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIR_MODE:
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


def ensure_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if missing; tighten it to 0600 if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE_MODE)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != PRIVATE_FILE_MODE:
            os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (POSIX needs the directory itself synced)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """Write ``path`` all-or-nothing: temp file (0600) + fsync + rename + directory fsync.

    If the block raises, the temp file is removed and ``path`` is untouched; a kill -9 at
    any moment leaves either the old file or the new one, plus at worst a ``.tmp-`` file.
    """
    directory = path.parent
    fd, temp_name = tempfile.mkstemp(prefix=".tmp-", dir=directory)  # mkstemp uses 0600
    temp_path = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as sink:
            yield sink
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp_path.unlink()
        raise
    fsync_dir(directory)
