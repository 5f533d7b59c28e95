"""Everything we write is private: directories 0700, files 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_mail.accounts import Account, write_config
from tui_mail.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask a user could have: nothing may rely on it."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_store_tree_is_private_even_with_umask_zero(tmp_path: Path, open_umask: None) -> None:
    root = tmp_path / "data" / "tui-mail"
    with Store.open("h", 995, "u", data_dir=root) as store:
        store.reconcile({"a": (1, 10)})  # makes SQLite write the -wal and -shm files
        store.bodies.store("a", b"secret mail")
        db = store.directory / "store.sqlite3"
        companions = [db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        assert all(path.exists() for path in companions)
        (body,) = store.bodies.directory.iterdir()
        for path in (db, *companions, body):
            assert mode(path) == 0o600, path
        for directory in (root, root / "accounts", store.directory, store.bodies.directory):
            assert mode(directory) == 0o700, directory
    assert mode(tmp_path / "data") == 0o700  # created by us, so ours to protect


def test_existing_loose_modes_are_tightened(tmp_path: Path) -> None:
    with Store.open("h", 995, "u", data_dir=tmp_path / "root") as store:
        store.reconcile({"a": (1, 10)})
        directory = store.directory
    db = directory / "store.sqlite3"
    os.chmod(directory, 0o755)
    os.chmod(db, 0o644)
    with Store.open("h", 995, "u", data_dir=tmp_path / "root"):
        assert mode(directory) == 0o700
        assert mode(db) == 0o600


def test_parents_that_are_not_ours_are_left_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    with Store.open("h", 995, "u", data_dir=shared / "tui-mail"):
        pass
    assert mode(shared) == 0o755
    assert mode(shared / "tui-mail") == 0o700


def test_written_config_is_private(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "config" / "tui-mail" / "config.toml"
    account = Account(name="w", host="h", port=995, tls="implicit", user="u")
    write_config(path, [account])
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700


def test_the_reader_never_dumps_core(tmp_path: Path) -> None:
    """A crash must not leave the password in a core file: every command sets RLIMIT_CORE 0."""
    import subprocess
    import sys

    message = tmp_path / "m.eml"
    message.write_bytes(b"Subject: x\r\n\r\nbody\r\n")
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY,) * 2)\n"
        "from tui_mail.cli import main\n"
        f"main(['render', {str(message)!r}])\n"
        "print(resource.getrlimit(resource.RLIMIT_CORE))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "(0, 0)"
