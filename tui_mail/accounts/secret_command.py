"""Run ``password_command`` / ``oauth_token_command`` and read the secret it prints.

The command runs through ``/bin/sh -c`` (as mutt, msmtp ``passwordeval`` and aerc do), so
pipes and ``~`` work as users expect: ``pass show mail/work | head -1``. The secret travels
only through the child's stdout pipe: never argv, environment, files or logs. Neither the
command's output nor the command text appears in errors (either could hold the secret); the
error says what failed and suggests running the command by hand.
"""

from __future__ import annotations

import os
import signal
import subprocess

DEFAULT_TIMEOUT = 120.0  # generous: gpg may be waiting for the user at a pinentry
MAX_OUTPUT = 64 * 1024


class SecretError(Exception):
    """A secret could not be obtained; ``str()`` is one line and never holds the secret."""


def _exit_problem(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    hints = {126: " (not executable)", 127: " (command not found)"}
    return f"failed with exit status {returncode}{hints.get(returncode, '')}"


def run_secret_command(
    command: str, *, setting: str, account_name: str, timeout: float = DEFAULT_TIMEOUT
) -> str:
    """Run ``command`` and return the first line of its stdout, without the line ending.

    ``setting`` ("password_command" or "oauth_token_command") and ``account_name`` only name
    the source in errors. The first-line rule follows ``pass``, whose later lines are notes.
    Leading and trailing spaces are kept: they may be part of a password.
    """
    where = f"{setting} of account {account_name!r}"
    try:
        process = subprocess.Popen(  # noqa: S603 - a command the user configured, run like mutt
            ["/bin/sh", "-c", command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # dropped unseen: it may echo the secret; it also
            # would scribble over a full-screen UI
            process_group=0,  # so a timeout can kill the whole pipeline (gpg, pass, ...)
        )
    except OSError as error:
        raise SecretError(f"{where}: cannot start /bin/sh: {error.strerror}") from None
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise SecretError(f"{where} did not finish within {timeout:g} s") from None
    if process.returncode != 0:
        raise SecretError(
            f"{where} {_exit_problem(process.returncode)}; run it in a shell to see why"
        )
    first_line = output[:MAX_OUTPUT].split(b"\n", 1)[0].removesuffix(b"\r")
    try:
        secret = first_line.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretError(f"{where} printed something that is not UTF-8 text") from None
    if not secret:
        raise SecretError(f"{where} printed nothing on its first line")
    if "\0" in secret:
        raise SecretError(f"{where} printed a NUL character")
    return secret
