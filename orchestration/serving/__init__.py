"""Serving the published datamart to BI tools through PostgreSQL and psqlODBC."""

from orchestration.serving.local_server import (
    DEFAULT_DATA_DIR,
    DEFAULT_PORT,
    LocalServer,
    find_running_local_server,
    start_local_server,
)
from orchestration.serving.postgres_publish import PostgresPublishReport, PublishedTable, publish_to_postgres
from orchestration.serving.roles import (
    BI_ROLE,
    DEFAULT_SCHEMA,
    WRITER_ROLE,
    ensure_roles,
    role_conninfo,
)
from orchestration.serving.schema_swap import PublishLockTimeout
from orchestration.serving.targets import publish_to_configured_postgres, resolve_admin_conninfo

__all__ = [
    "BI_ROLE",
    "DEFAULT_DATA_DIR",
    "DEFAULT_PORT",
    "DEFAULT_SCHEMA",
    "WRITER_ROLE",
    "LocalServer",
    "PostgresPublishReport",
    "PublishLockTimeout",
    "PublishedTable",
    "ensure_roles",
    "find_running_local_server",
    "publish_to_configured_postgres",
    "publish_to_postgres",
    "resolve_admin_conninfo",
    "role_conninfo",
    "start_local_server",
]
