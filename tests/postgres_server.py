"""Pytest fixture that runs a real PostgreSQL server on 127.0.0.1 for the serving tests.

Import the fixture into a test module with `from postgres_server import postgres_server`.
The server lives in a pytest temporary directory on a free port, with random role passwords
set in the environment, and is stopped when the module's tests finish.
"""

from __future__ import annotations

import os
import secrets
import socket
import stat
from pathlib import Path
from typing import Iterator

import pytest

from orchestration.serving.local_server import LocalServer, start_local_server
from orchestration.serving.roles import PASSWORD_ENVS


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_enterable_by_others(path: Path) -> None:
    """Add search permission for other users to path and its parents, so the postgres OS user can reach it.

    pytest creates its temporary root with mode 0700, and the server runs as `postgres` when the tests run as root.
    """
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH and directory.stat().st_uid == os.geteuid():
            directory.chmod(mode | stat.S_IXOTH)


@pytest.fixture(scope="module")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """Start PostgreSQL with the funnelmart database and roles, and stop it after the module."""
    base_dir = tmp_path_factory.mktemp("postgres")
    make_enterable_by_others(base_dir)
    with pytest.MonkeyPatch.context() as monkeypatch:
        for variable in PASSWORD_ENVS.values():
            monkeypatch.setenv(variable, secrets.token_urlsafe(18))
        server = start_local_server(base_dir / "pgdata", free_port())
        try:
            yield server
        finally:
            server.stop()
