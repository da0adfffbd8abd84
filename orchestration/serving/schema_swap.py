"""The transaction that replaces the published PostgreSQL schema with the freshly loaded one.

It renames `<schema>` to `<schema>_old` and `<schema>_next` to `<schema>`, drops `<schema>_old`
and grants the BI role read access. It first locks every old table and view, so it commits only
when no reader's transaction uses the old version.
"""

from __future__ import annotations

import time

import psycopg
from psycopg import errors, sql

from orchestration.logs import get_logger
from orchestration.serving.roles import WRITER_ROLE, grant_bi_read

# Pause between swap attempts while readers hold the old tables.
SWAP_RETRY_SECONDS = 0.05
# Guard for locks the swap does not take up front, such as catalog rows another session changes.
SWAP_LOCK_TIMEOUT_MS = 5000


class PublishLockTimeout(RuntimeError):
    """The swap could not lock the old tables because readers kept them in open transactions."""


def swap_schemas(connection: psycopg.Connection, schema: str, staging_schema: str, lock_wait_seconds: float) -> int:
    """Swap the staging schema in and return the number of attempts it took.

    Retries every 50 ms while readers hold the old tables. Raises PublishLockTimeout when they
    still do after lock_wait_seconds.
    """
    logger = get_logger()
    old_schema = f"{schema}_old"
    deadline = time.monotonic() + lock_wait_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            with connection.transaction(), connection.cursor() as cursor:
                _swap_in_transaction(cursor, schema, staging_schema, old_schema)
        except (errors.LockNotAvailable, errors.DeadlockDetected) as error:
            if time.monotonic() >= deadline:
                holders = _describe_lock_holders(connection, schema)
                raise PublishLockTimeout(
                    f"Could not swap {staging_schema} into {schema} within {lock_wait_seconds:g} s because open "
                    f"transactions hold its tables: {holders}. The previous version stays published. End those "
                    "transactions and publish again; BI tools should connect with autocommit on."
                ) from error
            if attempt == 1:
                logger.info("Waiting for readers of schema %s to release its tables before the swap", schema)
            time.sleep(SWAP_RETRY_SECONDS)
            continue
        logger.info("Swapped %s into %s after %d attempt(s)", staging_schema, schema, attempt)
        return attempt


def _swap_in_transaction(cursor: psycopg.Cursor, schema: str, staging_schema: str, old_schema: str) -> None:
    # The swap locks every old table and view up front with NOWAIT. It never queues behind a
    # reader while holding locks that other readers wait for, so no deadlock with readers forms.
    # A reader that reaches a locked table waits until this short transaction ends, then reads
    # the new version.
    cursor.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(f"{SWAP_LOCK_TIMEOUT_MS}ms")))
    cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(old_schema)))
    relations = cursor.execute(
        """
        select relations.relname
        from pg_class as relations
        inner join pg_namespace as namespaces on namespaces.oid = relations.relnamespace
        where namespaces.nspname = %s and relations.relkind in ('r', 'v', 'm', 'p')
        order by relations.relname
        """,
        (schema,),
    ).fetchall()
    if relations:
        lock_statement = sql.SQL("lock table {} in access exclusive mode nowait").format(
            sql.SQL(", ").join(sql.Identifier(schema, name) for (name,) in relations)
        )
        try:
            cursor.execute(lock_statement)
        except errors.InsufficientPrivilege as error:
            raise RuntimeError(
                f"Cannot lock the tables of schema {schema}: {str(error).strip()}. Another role owns them. "
                "Run ensure_roles with the admin URL (`funnelmart publish --to postgres` does) to hand them "
                f"to {WRITER_ROLE}, then publish again."
            ) from error
    current = cursor.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone()
    if current is not None:
        cursor.execute(
            sql.SQL("alter schema {} rename to {}").format(sql.Identifier(schema), sql.Identifier(old_schema))
        )
    cursor.execute(
        sql.SQL("alter schema {} rename to {}").format(sql.Identifier(staging_schema), sql.Identifier(schema))
    )
    if current is not None:
        cursor.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(old_schema)))
    grant_bi_read(cursor, schema)


def _describe_lock_holders(connection: psycopg.Connection, schema: str) -> str:
    rows = connection.execute(
        """
        select distinct activity.pid, activity.usename, activity.application_name
        from pg_locks as locks
        inner join pg_class as relations on relations.oid = locks.relation
        inner join pg_namespace as namespaces on namespaces.oid = relations.relnamespace
        inner join pg_stat_activity as activity on activity.pid = locks.pid
        where namespaces.nspname = %s
            and locks.granted
            and locks.pid <> pg_backend_pid()
        order by activity.pid
        """,
        (schema,),
    ).fetchall()
    if not rows:
        return "no session holds them now"
    return ", ".join(f"pid {pid} user {user} application {application or '-'}" for pid, user, application in rows)
