"""Choice of the server `funnelmart publish --to postgres` writes to: FUNNELMART_PG_URL, else the local server."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.serving.local_server import DEFAULT_DATA_DIR, find_running_local_server
from orchestration.serving.postgres_publish import PostgresPublishReport, publish_to_postgres
from orchestration.serving.roles import ADMIN_URL_ENV, WRITER_ROLE, ensure_roles, role_conninfo


def resolve_admin_conninfo(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """Return FUNNELMART_PG_URL, else the admin connection of the local server running from data_dir.

    Raises RuntimeError when neither is available.
    """
    configured = os.environ.get(ADMIN_URL_ENV)
    if configured:
        return configured
    server = find_running_local_server(data_dir)
    if server is None:
        raise RuntimeError(
            f"No PostgreSQL server to publish to: {ADMIN_URL_ENV} is not set and no local server runs from "
            f"{data_dir}. Start one with `funnelmart serve`, or set {ADMIN_URL_ENV} to an admin connection URL."
        )
    return server.admin_conninfo


def publish_to_configured_postgres(
    published_duckdb: Path, manifest_path: Path | None = None, data_dir: Path = DEFAULT_DATA_DIR
) -> PostgresPublishReport:
    """Create or update the roles with the admin connection, then publish as funnelmart_writer.

    The writer connects to the admin connection's host, port and database.
    """
    admin_conninfo = resolve_admin_conninfo(data_dir)
    ensure_roles(admin_conninfo)
    return publish_to_postgres(
        published_duckdb, role_conninfo(admin_conninfo, WRITER_ROLE), manifest_path=manifest_path
    )
