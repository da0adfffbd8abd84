"""PostgreSQL roles that serve the datamart: a read-only BI role and the writer role that publishes.

Passwords come only from environment variables. They are sent to the server as SCRAM verifiers
computed by libpq, so the plain text never appears in a statement or a server log.
"""

from __future__ import annotations

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from orchestration.logs import get_logger
from orchestration.settings import require_env

DEFAULT_SCHEMA = "funnelmart"
BI_ROLE = "funnelmart_bi"
WRITER_ROLE = "funnelmart_writer"

ADMIN_URL_ENV = "FUNNELMART_PG_URL"
PASSWORD_ENVS = {
    BI_ROLE: "FUNNELMART_PG_BI_PASSWORD",
    WRITER_ROLE: "FUNNELMART_PG_WRITER_PASSWORD",
}


def role_password(role: str) -> str:
    """Return the password of a funnelmart role from its environment variable."""
    if role not in PASSWORD_ENVS:
        raise ValueError(f"Unknown funnelmart role {role!r}: expected one of {sorted(PASSWORD_ENVS)}.")
    return require_env(PASSWORD_ENVS[role])


def role_conninfo(base_conninfo: str, role: str) -> str:
    """Return base_conninfo (a URL or key=value string) with the user and password set for a funnelmart role.

    Host, port, database and options such as sslmode are kept from base_conninfo.
    """
    return make_conninfo(base_conninfo, user=role, password=role_password(role))


def ensure_roles(admin_conninfo: str, schema: str = DEFAULT_SCHEMA) -> None:
    """Create or update the BI and writer roles and their privileges in the admin connection's database.

    Safe to run any number of times. Each run sets the passwords from the environment again.
    The admin must be a superuser, or have CREATEROLE and be a member of funnelmart_writer,
    because it sets default privileges for that role.
    """
    passwords = {role: role_password(role) for role in PASSWORD_ENVS}
    logger = get_logger()
    with psycopg.connect(admin_conninfo, autocommit=True) as connection:
        with connection.transaction():
            for role, password in passwords.items():
                _create_or_update_login_role(connection, role, password)
            _check_bi_role_attributes(connection)
            _grant_database_privileges(connection, schema)
            _grant_schema_privileges(connection, schema)
    logger.info("PostgreSQL roles %s and %s are up to date", BI_ROLE, WRITER_ROLE)


def grant_bi_read(cursor: psycopg.Cursor, schema: str) -> None:
    """Grant the BI role USAGE on a schema and SELECT on every table and view in it."""
    cursor.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), sql.Identifier(BI_ROLE)))
    cursor.execute(
        sql.SQL("grant select on all tables in schema {} to {}").format(
            sql.Identifier(schema), sql.Identifier(BI_ROLE)
        )
    )


def role_exists(connection: psycopg.Connection, role: str) -> bool:
    """Return whether a role of that name exists on the server."""
    row = connection.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
    return row is not None


def _create_or_update_login_role(connection: psycopg.Connection, role: str, password: str) -> None:
    verifier = connection.pgconn.encrypt_password(password.encode(), role.encode()).decode()
    verb = "alter" if role_exists(connection, role) else "create"
    connection.execute(
        sql.SQL(verb + " role {} login password {}").format(sql.Identifier(role), sql.Literal(verifier))
    )


def _check_bi_role_attributes(connection: psycopg.Connection) -> None:
    # A non-superuser admin cannot set NOSUPERUSER on an existing role, so a role created
    # by hand with extra powers is reported instead of silently kept.
    row = connection.execute(
        "select rolsuper, rolcreatedb, rolcreaterole, rolbypassrls from pg_roles where rolname = %s", (BI_ROLE,)
    ).fetchone()
    if row is not None and any(row):
        raise RuntimeError(
            f"Role {BI_ROLE} has SUPERUSER, CREATEDB, CREATEROLE or BYPASSRLS, but a BI role must be read-only. "
            f"Run `alter role {BI_ROLE} nosuperuser nocreatedb nocreaterole nobypassrls` as a superuser."
        )


def _grant_database_privileges(connection: psycopg.Connection, schema: str) -> None:
    database = connection.execute("select current_database()").fetchone()[0]
    bi, writer = sql.Identifier(BI_ROLE), sql.Identifier(WRITER_ROLE)
    statements = [
        sql.SQL("grant connect on database {} to {}, {}").format(sql.Identifier(database), bi, writer),
        # CREATE on the database lets the writer create the staging schema it loads into.
        sql.SQL("grant create on database {} to {}").format(sql.Identifier(database), writer),
        # Tables the writer creates are readable by the BI role from the start. The BI role still
        # cannot reach them until it is granted USAGE on their schema, which happens at the swap.
        sql.SQL("alter default privileges for role {} grant select on tables to {}").format(writer, bi),
        sql.SQL("alter role {} set search_path to {}").format(bi, sql.Identifier(schema)),
    ]
    for statement in statements:
        connection.execute(statement)


def _grant_schema_privileges(connection: psycopg.Connection, schema: str) -> None:
    exists = connection.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone()
    if exists is None:
        return
    # The swap locks, renames and drops the published schema and everything in it, which needs
    # ownership. Objects an earlier publish created as another role are handed to the writer.
    writer = sql.Identifier(WRITER_ROLE)
    connection.execute(sql.SQL("alter schema {} owner to {}").format(sql.Identifier(schema), writer))
    relations = connection.execute(
        """
        select relations.relname, relations.relkind
        from pg_class as relations
        inner join pg_namespace as namespaces on namespaces.oid = relations.relnamespace
        where namespaces.nspname = %s
            and relations.relkind in ('r', 'v', 'm', 'p')
            and pg_get_userbyid(relations.relowner) <> %s
        """,
        (schema, WRITER_ROLE),
    ).fetchall()
    for name, kind in relations:
        keyword = {"v": "view", "m": "materialized view"}.get(kind, "table")
        connection.execute(
            sql.SQL("alter " + keyword + " {} owner to {}").format(sql.Identifier(schema, name), writer)
        )
    grant_bi_read(connection.cursor(), schema)
