"""The dbt models are portable: every model builds and every dbt test passes on PostgreSQL, with DuckDB's figures.

A small demo data set is loaded into DuckDB as usual. Its raw tables are copied into a
PostgreSQL server that the test starts on 127.0.0.1, and `dbt build --target postgres` runs
there. The same models built on DuckDB are the reference for row counts and key figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest
from postgres_server import postgres_server  # noqa: F401  (module-scoped fixture)
from psycopg import sql

from orchestration.demo_data import write_demo_data
from orchestration.loading import load_landing
from orchestration.pipeline import load_and_build
from orchestration.serving.local_server import LocalServer
from orchestration.serving.roles import WRITER_ROLE, role_password
from orchestration.serving.source_tables import postgres_type
from orchestration.settings import PROJECT_DIR, Settings
from orchestration.transform import SKIP_UNIT_TESTS

# Figures compared between the two builds: a label and the query that computes it.
FIGURES = {
    "leads per stage": "select count(raw_lead_at), count(inquiry_at), count(contact_at), count(opportunity_at), "
    "count(closed_won_at), count(closed_lost_at) from marts.fct_lead_funnel",
    "bookings in reporting currency": "select count(*), sum(reporting_amount) from marts.fct_bookings",
    "opportunities won and lost": "select count(*) filter (where is_won), count(*) filter (where is_lost) "
    "from marts.fct_opportunities",
    "funnel conversion counts": "select sum(entered_count), sum(converted_count) from marts.rpt_funnel_conversion",
    "attribution weights": "select attribution_model, sum(attribution_weight) from marts.bdg_attribution "
    "group by 1 order by 1",
    "marketing spend": "select sum(spend_amount) from marts.rpt_marketing_roi",
}


def copy_raw_tables(build_db: Path, admin_conninfo: str) -> dict[str, int]:
    """Create schema raw in PostgreSQL with the build file's raw tables and rows; return rows per table."""
    copied = {}
    with duckdb.connect(str(build_db), read_only=True) as source, psycopg.connect(admin_conninfo, autocommit=True) as target:
        target.execute("create schema raw")
        tables = source.execute(
            "select table_name from duckdb_tables() where database_name = current_database() and schema_name = 'raw'"
        ).fetchall()
        for (table,) in tables:
            columns = source.execute(
                "select column_name, data_type from duckdb_columns() "
                "where database_name = current_database() and schema_name = 'raw' and table_name = ? "
                "order by column_index",
                [table],
            ).fetchall()
            definitions = [
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(postgres_type(kind)))
                for name, kind in columns
            ]
            target.execute(sql.SQL("create table raw.{} ({})").format(sql.Identifier(table), sql.SQL(", ").join(definitions)))
            rows = source.execute(f'select * from raw."{table}"').fetchall()
            with target.cursor().copy(sql.SQL("copy raw.{} from stdin").format(sql.Identifier(table))) as copy:
                for row in rows:
                    copy.write_row(row)
            copied[table] = len(rows)
        target.execute(sql.SQL("grant usage on schema raw to {}").format(sql.Identifier(WRITER_ROLE)))
        target.execute(sql.SQL("grant select on all tables in schema raw to {}").format(sql.Identifier(WRITER_ROLE)))
    return copied


def figures(connection) -> dict[str, list[tuple]]:
    """Run every FIGURES query on a DuckDB or psycopg connection, which both have execute().fetchall()."""
    return {label: [tuple(row) for row in connection.execute(query).fetchall()] for label, query in FIGURES.items()}


def rounded(rows: list[tuple]) -> list[tuple]:
    """Round decimals and floats to 6 places, since the two engines may differ in the last digits of a sum."""
    return [
        tuple(round(Decimal(str(value)), 6) if isinstance(value, (Decimal, float)) else value for value in row)
        for row in rows
    ]


@pytest.fixture(scope="module")
def builds(tmp_path_factory, postgres_server: LocalServer):  # noqa: F811 - the imported fixture
    """Build the demo on DuckDB and on PostgreSQL; return the copied row counts, PostgreSQL's dbt result and both figures."""
    root = tmp_path_factory.mktemp("portability")
    write_demo_data(root / "landing", leads=150, seed=3)
    duckdb_settings = Settings.from_env(landing_dir=root / "landing", warehouse_dir=root / "duckdb")
    load_and_build(duckdb_settings, echo=lambda message: None, dbt_arguments=SKIP_UNIT_TESTS)

    raw_only = Settings.from_env(landing_dir=root / "landing", warehouse_dir=root / "raw")
    load_landing(raw_only)
    copied = copy_raw_tables(raw_only.build_db_path, postgres_server.admin_conninfo)
    environment = {
        **os.environ,
        "FUNNELMART_DBT_TARGET": "postgres",
        "FUNNELMART_PG_HOST": postgres_server.host,
        "FUNNELMART_PG_PORT": str(postgres_server.port),
        "FUNNELMART_PG_USER": WRITER_ROLE,
        "FUNNELMART_PG_PASSWORD": role_password(WRITER_ROLE),
        "FUNNELMART_PG_DATABASE": postgres_server.database,
        "DBT_TARGET_PATH": str(root / "postgres-target"),
        "DBT_LOG_PATH": str(root / "postgres-logs"),
    }
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "build", *SKIP_UNIT_TESTS, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
        env=environment,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )

    with duckdb.connect(str(duckdb_settings.build_db_path), read_only=True) as connection:
        duckdb_figures = figures(connection)
    postgres_figures = {}
    if result.returncode == 0:
        with psycopg.connect(postgres_server.admin_conninfo) as connection:
            postgres_figures = figures(connection)
    return copied, result, duckdb_figures, postgres_figures


def test_every_model_and_test_passes_on_postgres(builds):
    copied, result, _, _ = builds

    assert copied["leads"] > 0
    assert result.returncode == 0, result.stdout[-4000:]
    assert "ERROR=0" in result.stdout
    assert "WARN=0" in result.stdout


@pytest.mark.parametrize("label", list(FIGURES))
def test_postgres_figures_equal_duckdb(builds, label):
    _, _, duckdb_figures, postgres_figures = builds

    assert rounded(postgres_figures[label]) == rounded(duckdb_figures[label])
