"""Copy the published DuckDB file into a PostgreSQL schema that BI tools read over ODBC.

Publishing loads every table into the staging schema `<schema>_next` and commits. A second, short
transaction then renames `<schema>` to `<schema>_old` and `<schema>_next` to `<schema>`, drops
`<schema>_old` and grants the BI role read access. That transaction first locks every old table
and view, so it commits only when no reader's transaction uses the old version, and a reader that
reaches a locked table waits until the commit and then reads the new one. A query, or a
read-committed transaction, therefore reads the whole old version or the whole new one.
"""

from __future__ import annotations

import re
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import psycopg
from psycopg import sql

from orchestration.logs import get_logger
from orchestration.serving.dbt_docs import TableDocs, read_dbt_docs
from orchestration.serving.roles import BI_ROLE, DEFAULT_SCHEMA, role_exists
from orchestration.serving.schema_swap import swap_schemas
from orchestration.serving.source_tables import (
    SourceColumn,
    SourceTable,
    quote_duckdb_identifier,
    read_source_tables,
)
from orchestration.serving.views import ViewPlan, create_view_statement, plan_views

COPY_CHUNK_BYTES = 1 << 20
# PostgreSQL truncates identifiers to 63 bytes; the schema name leaves room for "_next".
SCHEMA_NAME_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,57}")
# Key of the session advisory lock that keeps two publishes from loading the same staging schema.
PUBLISH_LOCK_NAMESPACE = "funnelmart publish"


@dataclass(frozen=True)
class PublishedTable:
    """A table copied to PostgreSQL and the number of rows it received."""

    name: str
    row_count: int
    column_count: int


@dataclass(frozen=True)
class PostgresPublishReport:
    """Summary of one publish to PostgreSQL: the tables and views created and what was left out."""

    schema: str
    tables: tuple[PublishedTable, ...]
    views: tuple[str, ...]
    # Reporting views not created because their base table is not in the published file.
    missing_views: tuple[str, ...]
    # Personal-data columns found in the DuckDB file and not copied, per table.
    dropped_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    comment_count: int = 0
    swap_attempts: int = 1
    seconds: float = 0.0

    def row_counts(self) -> dict[str, int]:
        """Return the row count of each published table by name."""
        return {table.name: table.row_count for table in self.tables}


def publish_to_postgres(
    published_duckdb: Path,
    conninfo: str,
    schema: str = DEFAULT_SCHEMA,
    *,
    manifest_path: Path | None = None,
    source_schema: str = "main",
    lock_wait_seconds: float = 60.0,
) -> PostgresPublishReport:
    """Publish every table of the published DuckDB file, and the reporting views, to a PostgreSQL schema.

    conninfo is a libpq URL or key=value string, normally for the funnelmart_writer role. Column and
    table comments come from the dbt manifest at manifest_path when given. Columns named like
    personal data (email, first_name, last_name and similar) are not copied. The BI role must exist
    (see ensure_roles). While open reader transactions use the old tables, the swap is retried
    every 50 ms. Raises PublishLockTimeout when they still do after lock_wait_seconds; the old
    version then stays published, unchanged, beside the loaded `<schema>_next`.
    """
    if not SCHEMA_NAME_PATTERN.fullmatch(schema):
        raise ValueError(f"Invalid schema name {schema!r}: use lower-case letters, digits and _, at most 58.")
    started = time.monotonic()
    logger = get_logger()
    docs = read_dbt_docs(manifest_path)
    staging_schema = f"{schema}_next"

    with duckdb.connect(str(published_duckdb), read_only=True) as source:
        tables = read_source_tables(source, source_schema)
        if not tables:
            raise ValueError(f"No tables to publish in schema {source_schema} of {published_duckdb}.")
        with psycopg.connect(conninfo, autocommit=True) as target:
            if not role_exists(target, BI_ROLE):
                raise RuntimeError(
                    f"Role {BI_ROLE} does not exist on the PostgreSQL server. Create the roles with "
                    "ensure_roles and the admin URL (FUNNELMART_PG_URL); `funnelmart serve` does this itself."
                )
            with _publish_lock(target, schema):
                published, view_plans, missing_views, comment_count = _load_staging_schema(
                    source, target, tables, staging_schema, docs, published_duckdb
                )
                attempts = swap_schemas(target, schema, staging_schema, lock_wait_seconds)

    dropped = {table.name: table.personal_columns for table in tables if table.personal_columns}
    report = PostgresPublishReport(
        schema=schema,
        tables=tuple(published),
        views=tuple(plan.view.name for plan in view_plans),
        missing_views=tuple(missing_views),
        dropped_columns=dropped,
        comment_count=comment_count,
        swap_attempts=attempts,
        seconds=time.monotonic() - started,
    )
    logger.info(
        "Published %d tables (%d rows) and %d views to PostgreSQL schema %s in %.1f s",
        len(report.tables),
        sum(table.row_count for table in report.tables),
        len(report.views),
        schema,
        report.seconds,
    )
    return report


@contextmanager
def _publish_lock(connection: psycopg.Connection, schema: str) -> Iterator[None]:
    key = f"{PUBLISH_LOCK_NAMESPACE} {schema}"
    acquired = connection.execute("select pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone()[0]
    if not acquired:
        raise RuntimeError(
            f"Another publish to schema {schema} is running on this database. Wait for it to finish and retry."
        )
    try:
        yield
    finally:
        connection.execute("select pg_advisory_unlock(hashtext(%s))", (key,))


def _load_staging_schema(
    source: duckdb.DuckDBPyConnection,
    target: psycopg.Connection,
    tables: list[SourceTable],
    staging_schema: str,
    docs: dict[str, TableDocs],
    published_duckdb: Path,
) -> tuple[list[PublishedTable], list[ViewPlan], list[str], int]:
    logger = get_logger()
    for table in tables:
        if table.personal_columns:
            logger.warning(
                "Table %s has personal-data columns %s, which are not published to PostgreSQL",
                table.name,
                ", ".join(table.personal_columns),
            )
    view_plans, missing_views = plan_views({table.name: table for table in tables}, docs)
    staging = sql.Identifier(staging_schema)
    published = []
    comment_count = 0
    with (
        tempfile.TemporaryDirectory(prefix="funnelmart-publish-") as work_dir_name,
        target.transaction(),
        target.cursor() as cursor,
    ):
        work_dir = Path(work_dir_name)
        cursor.execute(sql.SQL("drop schema if exists {} cascade").format(staging))
        cursor.execute(sql.SQL("create schema {}").format(staging))
        published_at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        cursor.execute(
            sql.SQL("comment on schema {} is {}").format(
                staging, sql.Literal(f"funnelmart datamart published {published_at} from {published_duckdb.name}")
            )
        )
        for table in tables:
            _create_table(cursor, staging_schema, table)
            row_count = _copy_rows(source, cursor, staging_schema, table, work_dir)
            comment_count += _comment_table(cursor, staging_schema, table, docs.get(table.name, TableDocs()))
            cursor.execute(sql.SQL("analyze {}.{}").format(staging, sql.Identifier(table.name)))
            published.append(PublishedTable(table.name, row_count, len(table.columns)))
            logger.debug("Loaded %s.%s: %d rows", staging_schema, table.name, row_count)
        for plan in view_plans:
            if plan.skipped_joins:
                logger.warning(
                    "View %s lacks the columns from %s because those tables or their keys are not published",
                    plan.view.name,
                    ", ".join(plan.skipped_joins),
                )
            cursor.execute(create_view_statement(plan, staging_schema))
            comment_count += _comment_view(cursor, staging_schema, plan)
    if missing_views:
        logger.warning("Views %s not created: their base tables are not published", ", ".join(missing_views))
    return published, view_plans, missing_views, comment_count


def _create_table(cursor: psycopg.Cursor, schema: str, table: SourceTable) -> None:
    column_definitions = sql.SQL(",\n    ").join(
        sql.SQL("{} {}").format(sql.Identifier(column.name), sql.SQL(column.postgres_type))
        for column in table.columns
    )
    cursor.execute(
        sql.SQL("create table {}.{} (\n    {}\n)").format(
            sql.Identifier(schema), sql.Identifier(table.name), column_definitions
        )
    )


def _copy_rows(
    source: duckdb.DuckDBPyConnection, cursor: psycopg.Cursor, schema: str, table: SourceTable, work_dir: Path
) -> int:
    """Copy a table through a CSV file that DuckDB writes and PostgreSQL's COPY reads, and return the row count.

    Both sides use the same CSV rules: an unquoted empty field is NULL and `""` is an empty string.
    """
    if not table.columns:
        # Every column was personal data; the PostgreSQL table stays empty.
        return 0
    csv_path = work_dir / f"{table.name}.csv"
    select_list = ", ".join(_duckdb_csv_expression(column) for column in table.columns)
    source.execute(
        f"copy (select {select_list} from {table.quoted_name}) to {_duckdb_string_literal(str(csv_path))} "
        "(format csv, header false, delimiter ',', quote '\"', escape '\"', nullstr '')"
    )
    copy_statement = sql.SQL("copy {}.{} ({}) from stdin (format csv)").format(
        sql.Identifier(schema),
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(name) for name in table.column_names),
    )
    with cursor.copy(copy_statement) as copy, csv_path.open("rb") as csv_file:
        while chunk := csv_file.read(COPY_CHUNK_BYTES):
            copy.write(chunk)
    csv_path.unlink()
    return cursor.rowcount


def _duckdb_csv_expression(column: SourceColumn) -> str:
    quoted = quote_duckdb_identifier(column.name)
    if column.duckdb_type == "BLOB":
        # DuckDB writes a BLOB as text with \xNN escapes; PostgreSQL reads bytea as \x and hex digits.
        return f"'\\x' || hex({quoted})"
    return quoted


def _duckdb_string_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _comment_table(cursor: psycopg.Cursor, schema: str, table: SourceTable, docs: TableDocs) -> int:
    relation = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table.name))
    count = 0
    if docs.description:
        cursor.execute(sql.SQL("comment on table {} is {}").format(relation, sql.Literal(docs.description)))
        count += 1
    for name in table.column_names:
        description = docs.columns.get(name)
        if description:
            cursor.execute(
                sql.SQL("comment on column {}.{} is {}").format(relation, sql.Identifier(name), sql.Literal(description))
            )
            count += 1
    return count


def _comment_view(cursor: psycopg.Cursor, schema: str, plan: ViewPlan) -> int:
    relation = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(plan.view.name))
    cursor.execute(sql.SQL("comment on view {} is {}").format(relation, sql.Literal(plan.view.description)))
    count = 1
    for column in plan.columns:
        if column.description:
            cursor.execute(
                sql.SQL("comment on column {}.{} is {}").format(
                    relation, sql.Identifier(column.view_name), sql.Literal(column.description)
                )
            )
            count += 1
    return count
