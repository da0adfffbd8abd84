"""Pytest fixture that runs a real PostgreSQL server on 127.0.0.1 for the serving tests.

Import the fixture into a test module with `from postgres_server import postgres_server`.
The server lives in a pytest temporary directory on a free port, with random role passwords
set in the environment, and is stopped when the module's tests finish.
"""

from __future__ import annotations

import os
import random
import secrets
import socket
import stat
from pathlib import Path
from typing import Iterator

import pytest

from orchestration.serving.local_server import LocalServer, start_local_server
from orchestration.serving.roles import PASSWORD_ENVS


# Ports below Linux's ephemeral range (32768 and up), so a client connection of the other test
# process cannot take the port between the probe and the server's start.
SERVER_PORTS = range(20000, 32000)
START_ATTEMPTS = 5


def free_port() -> int:
    """Return a random TCP port on 127.0.0.1 below the ephemeral range that was free a moment ago."""
    while True:
        port = random.choice(SERVER_PORTS)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def make_enterable_by_others(path: Path) -> None:
    """Add search permission for other users to path and its parents, so the postgres OS user can reach it.

    pytest creates its temporary root with mode 0700, and the server runs as `postgres` when the tests run as root.
    """
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH and directory.stat().st_uid == os.geteuid():
            directory.chmod(mode | stat.S_IXOTH)


def start_with_retries(data_dir: Path) -> LocalServer:
    """Start the server on a free port, trying another port when the chosen one was taken meanwhile."""
    for _ in range(START_ATTEMPTS - 1):
        try:
            return start_local_server(data_dir, free_port())
        except RuntimeError as error:
            if "in use" not in str(error):
                raise
    return start_local_server(data_dir, free_port())


@pytest.fixture(scope="module")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """Start PostgreSQL with the funnelmart database and roles, and stop it after the module."""
    base_dir = tmp_path_factory.mktemp("postgres")
    make_enterable_by_others(base_dir)
    with pytest.MonkeyPatch.context() as monkeypatch:
        for variable in PASSWORD_ENVS.values():
            monkeypatch.setenv(variable, secrets.token_urlsafe(18))
        server = start_with_retries(base_dir / "pgdata")
        try:
            yield server
        finally:
            server.stop()
