"""Publishing to PostgreSQL and reading it as a BI tool does: pyodbc, unixODBC and psqlODBC on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pyodbc
import pytest
from postgres_server import free_port, make_enterable_by_others, postgres_server  # noqa: F401  (module-scoped fixture)

from orchestration.serving.local_server import LocalServer, find_running_local_server
from orchestration.serving.postgres_publish import PostgresPublishReport, publish_to_postgres
from orchestration.serving.roles import ADMIN_URL_ENV, BI_ROLE, PASSWORD_ENVS, WRITER_ROLE, ensure_roles
from orchestration.serving.schema_swap import PublishLockTimeout
from orchestration.serving.source_tables import postgres_type
from orchestration.serving.targets import publish_to_configured_postgres, resolve_admin_conninfo

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Totals each test version publishes: sum of bookings.reporting_amount and of funnel_conversion.entered_count.
VERSION_A_TOTALS = (Decimal("1600.00"), 14)
VERSION_B_TOTALS = (Decimal("1850.50"), 16)

TOTALS_QUERY = """
select
    (select sum(reporting_amount) from funnelmart.bookings),
    (select sum(entered_count) from funnelmart.funnel_conversion)
"""

DIMENSIONS_SQL = """
create table dim_geography as
select * from (values
    ('DE', 'DE', 'DEU', 'Germany', 'Western Europe', 'EMEA'),
    ('US', 'US', 'USA', 'United States of America', 'Northern America', 'NA'),
    ('ZZ', 'ZZ', 'ZZZ', 'Unknown', 'Unknown', 'Unknown')
) as t(geography_key, country_code, country_code_alpha3, country_name, region, theater);

create table dim_rep as
select
    rep_key, rep_id, rep_name, team, manager_name, territory,
    cast(valid_from as timestamp) as valid_from, cast(valid_to as timestamp) as valid_to, is_current
from (values
    ('rk1', 'R1', 'Dana Reyes', 'enterprise', 'Lee Park', 'EMEA North', '2020-01-01', null, true),
    ('rk0', '(unassigned)', '(unassigned)', '(unassigned)', null, null, '1900-01-01', null, true)
) as t(rep_key, rep_id, rep_name, team, manager_name, territory, valid_from, valid_to, is_current);

create table dim_campaign as
select
    campaign_key, campaign_id, campaign_name, channel_code, channel_group, program,
    cast(start_date as date) as start_date, cast(end_date as date) as end_date,
    cast(budget_amount as decimal(18, 2)) as budget_amount, budget_currency_code, is_mapped
from (values
    ('ck1', 'C1', 'Spring webinar', 'webinar', 'owned', 'demand_gen', '2024-03-01', '2024-03-31', 5000, 'USD', true),
    ('ck0', '(none)', '(none)', 'unknown', 'unknown', null, null, null, null, null, false)
) as t(
    campaign_key, campaign_id, campaign_name, channel_code, channel_group, program,
    start_date, end_date, budget_amount, budget_currency_code, is_mapped
);

create table dim_lead_source as
select * from (values
    ('lk1', 'webinar', 'owned'),
    ('lk0', '(not set)', 'unknown')
) as t(lead_source_key, lead_source, channel_group);

create table dim_stage as
select
    stage_key, stage_code, stage_name, cast(stage_order as integer) as stage_order,
    cast(funnel_position as integer) as funnel_position, is_funnel_stage, is_closed, is_won, owner_team
from (values
    ('sk1', 'raw_lead', 'Raw lead', 1, 1, true, false, false, 'marketing'),
    ('sk2', 'inquiry', 'Inquiry', 2, 2, true, false, false, 'marketing'),
    ('sk3', 'contact', 'Contact', 3, 3, true, false, false, 'sales'),
    ('sk4', 'opportunity', 'Opportunity', 4, 4, true, false, false, 'sales'),
    ('sk5', 'closed_won', 'Closed won', 5, 5, true, true, true, 'sales'),
    ('sk6', 'closed_lost', 'Closed lost', 6, 5, true, true, false, 'sales')
) as t(stage_key, stage_code, stage_name, stage_order, funnel_position, is_funnel_stage, is_closed, is_won, owner_team);

create table dim_date as
select
    cast(strftime(day, '%Y%m%d') as integer) as date_key,
    day as date_day,
    year(day) as year_number,
    quarter(day) as quarter_number,
    month(day) as month_number,
    cast(date_trunc('month', day) as date) as month_start_date,
    cast(date_trunc('week', day) as date) as week_start_date,
    isodow(day) as day_of_week_number,
    monthname(day) as month_name,
    strftime(day, '%Y-%m') as year_month
from (select cast(range as date) as day from range(date '2024-03-01', date '2024-05-01', interval 1 day));
"""

BOOKINGS_SQL = """
create table fct_bookings as
select
    booking_id, opportunity_id, lead_id,
    cast(booked_at as timestamp) as booked_at,
    cast(strftime(cast(booked_at as timestamp), '%Y%m%d') as integer) as booking_date_key,
    cast(booking_amount as decimal(18, 2)) as booking_amount, currency_code,
    cast(reporting_amount as decimal(18, 2)) as reporting_amount, 'USD' as reporting_currency_code,
    pillar, rep_key, geography_key, campaign_key, lead_source_key
from (values {rows}) as t(
    booking_id, opportunity_id, lead_id, booked_at, booking_amount, currency_code, reporting_amount,
    pillar, rep_key, geography_key, campaign_key, lead_source_key
);
"""
BOOKING_ROWS_A = [
    "('B1', 'O1', 'L1', '2024-03-14 09:30:00', 1000.00, 'EUR', 1100.00, 'new_business', 'rk1', 'DE', 'ck1', 'lk1')",
    "('B2', 'O2', null, '2024-04-02 16:00:00', 500.00, 'USD', 500.00, 'renewal', 'rk0', 'ZZ', 'ck0', 'lk0')",
]
BOOKING_ROWS_B = [
    *BOOKING_ROWS_A,
    "('B3', 'O3', 'L2', '2024-04-20 11:00:00', 250.50, 'USD', 250.50, 'web_shop', 'rk1', 'US', 'ck1', 'lk1')",
]

LEAD_FUNNEL_SQL = """
create table fct_lead_funnel as
select
    lead_id,
    cast(created_at as timestamp) as created_at,
    cast(created_at as timestamp) as raw_lead_at,
    cast(inquiry_at as timestamp) as inquiry_at,
    cast(contact_at as timestamp) as contact_at,
    cast(opportunity_at as timestamp) as opportunity_at,
    cast(closed_won_at as timestamp) as closed_won_at,
    cast(null as timestamp) as closed_lost_at,
    is_inquiry_inferred, false as is_contact_inferred, false as is_opportunity_inferred,
    is_won, false as is_lost, current_stage,
    campaign_key, lead_source_key, geography_key, rep_key,
    cast(date_trunc('month', cast(created_at as timestamp)) as date) as cohort_month,
    email
from (values
    ('L1', '2024-03-01 10:00:00', '2024-03-05 08:00:00', '2024-03-08 12:00:00', '2024-03-10 09:00:00',
     '2024-03-14 09:30:00', true, true, 'closed_won', 'ck1', 'lk1', 'DE', 'rk1', 'ana@example.com'),
    ('L2', '2024-03-20 15:00:00', null, null, null, null, false, false, 'raw_lead', 'ck0', 'lk0', 'US', 'rk0',
     'ben@example.com')
) as t(
    lead_id, created_at, inquiry_at, contact_at, opportunity_at, closed_won_at, is_inquiry_inferred, is_won,
    current_stage, campaign_key, lead_source_key, geography_key, rep_key, email
);
"""

FUNNEL_CONVERSION_SQL = """
create table rpt_funnel_conversion as
select
    cast(cohort_month as date) as cohort_month, from_stage, to_stage,
    geography_key, lead_source_key, campaign_key, rep_key,
    cast(entered_count as bigint) as entered_count, cast(converted_count as bigint) as converted_count,
    cast(converted_count as double) / entered_count as conversion_rate,
    theater, country_code, lead_source, campaign_name, team, rep_name
from (values {rows}) as t(
    cohort_month, from_stage, to_stage, geography_key, lead_source_key, campaign_key, rep_key,
    entered_count, converted_count, theater, country_code, lead_source, campaign_name, team, rep_name
);
"""
FUNNEL_ROWS_A = [
    "('2024-03-01', 'raw_lead', 'inquiry', 'DE', 'lk1', 'ck1', 'rk1', 10, 4, 'EMEA', 'DE', 'webinar', "
    "'Spring webinar', 'enterprise', 'Dana Reyes')",
    "('2024-03-01', 'inquiry', 'contact', 'DE', 'lk1', 'ck1', 'rk1', 4, 1, 'EMEA', 'DE', 'webinar', "
    "'Spring webinar', 'enterprise', 'Dana Reyes')",
]
FUNNEL_ROWS_B = [
    FUNNEL_ROWS_A[0].replace(" 10, 4,", " 12, 5,"),
    FUNNEL_ROWS_A[1],
]

EXPECTED_VIEW_COLUMNS = {
    "bookings": [
        ("booking_id", "text"),
        ("opportunity_id", "text"),
        ("lead_id", "text"),
        ("booked_at", "timestamp"),
        ("booking_amount", "numeric"),
        ("currency_code", "text"),
        ("reporting_amount", "numeric"),
        ("reporting_currency_code", "text"),
        ("pillar", "text"),
        ("booking_date", "date"),
        ("booking_year_month", "text"),
        ("country_code", "text"),
        ("country_name", "text"),
        ("region", "text"),
        ("theater", "text"),
        ("rep_id", "text"),
        ("rep_name", "text"),
        ("team", "text"),
        ("manager_name", "text"),
        ("territory", "text"),
        ("campaign_id", "text"),
        ("campaign_name", "text"),
        ("campaign_channel_code", "text"),
        ("campaign_channel_group", "text"),
        ("lead_source", "text"),
        ("lead_source_channel_group", "text"),
    ],
    "funnel_conversion": [
        ("cohort_month", "date"),
        ("from_stage", "text"),
        ("to_stage", "text"),
        ("entered_count", "int8"),
        ("converted_count", "int8"),
        ("conversion_rate", "float8"),
        ("theater", "text"),
        ("country_code", "text"),
        ("lead_source", "text"),
        ("campaign_name", "text"),
        ("team", "text"),
        ("rep_name", "text"),
        ("from_stage_name", "text"),
        ("to_stage_name", "text"),
        ("country_name", "text"),
        ("region", "text"),
    ],
}


def write_published_duckdb(path: Path, booking_rows: list[str], funnel_rows: list[str]) -> Path:
    """Write a published DuckDB file with spec-shaped marts, an internal table and a stray email column."""
    with duckdb.connect(str(path)) as connection:
        connection.execute(DIMENSIONS_SQL)
        connection.execute(BOOKINGS_SQL.format(rows=",\n".join(booking_rows)))
        connection.execute(LEAD_FUNNEL_SQL)
        connection.execute(FUNNEL_CONVERSION_SQL.format(rows=",\n".join(funnel_rows)))
        connection.execute("create table _publish_info as select 'internal' as note")
    return path


@pytest.fixture(scope="module")
def version_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base_dir = tmp_path_factory.mktemp("published")
    return {
        "a": write_published_duckdb(base_dir / "version_a.duckdb", BOOKING_ROWS_A, FUNNEL_ROWS_A),
        "b": write_published_duckdb(base_dir / "version_b.duckdb", BOOKING_ROWS_B, FUNNEL_ROWS_B),
    }


@pytest.fixture
def published_a(postgres_server: LocalServer, version_files: dict[str, Path]) -> PostgresPublishReport:  # noqa: F811
    return publish_to_postgres(version_files["a"], postgres_server.conninfo(WRITER_ROLE))


def connect_odbc(server: LocalServer, role: str = BI_ROLE, autocommit: bool = True) -> pyodbc.Connection:
    password = os.environ[PASSWORD_ENVS[role]]
    return pyodbc.connect(f"{server.odbc_connection_string(role)};PWD={password}", autocommit=autocommit, timeout=10)


def admin_execute(server: LocalServer, statement: str, params: tuple | dict = ()) -> list[tuple]:
    with psycopg.connect(server.admin_conninfo, autocommit=True) as connection:
        cursor = connection.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def test_publish_reports_tables_and_views(published_a: PostgresPublishReport) -> None:
    assert published_a.schema == "funnelmart"
    assert published_a.row_counts() == {
        "dim_campaign": 2,
        "dim_date": 61,
        "dim_geography": 3,
        "dim_lead_source": 2,
        "dim_rep": 2,
        "dim_stage": 6,
        "fct_bookings": 2,
        "fct_lead_funnel": 2,
        "rpt_funnel_conversion": 2,
    }
    assert published_a.views == ("funnel_conversion", "bookings", "lead_funnel")
    assert published_a.missing_views == ("opportunities", "stage_transitions")
    assert published_a.dropped_columns == {"fct_lead_funnel": ("email",)}


def test_personal_columns_not_in_postgres(postgres_server: LocalServer, published_a: PostgresPublishReport) -> None:
    email_columns = admin_execute(
        postgres_server,
        "select table_name from information_schema.columns where table_schema = 'funnelmart' and column_name = 'email'",
    )
    internal_tables = admin_execute(
        postgres_server, "select tablename from pg_tables where tablename like '\\_%%' and schemaname = 'funnelmart'"
    )

    assert email_columns == []
    assert internal_tables == []


def test_bi_role_reads_every_view(postgres_server: LocalServer, published_a: PostgresPublishReport) -> None:
    with connect_odbc(postgres_server) as connection:
        cursor = connection.cursor()
        row_counts = {
            view: cursor.execute(f"select count(*) from funnelmart.{view}").fetchone()[0] for view in published_a.views
        }
        booking = cursor.execute(
            "select booking_date, country_name, rep_name, campaign_name, lead_source, reporting_amount, booked_at "
            "from funnelmart.bookings where booking_id = 'B1'"
        ).fetchone()
        unknown_booking = cursor.execute(
            "select country_name, rep_name, campaign_name from bookings where booking_id = 'B2'"
        ).fetchone()
        conversion = cursor.execute(
            "select from_stage_name, to_stage_name, country_name, conversion_rate from funnelmart.funnel_conversion "
            "where from_stage = 'raw_lead'"
        ).fetchone()
        lead = cursor.execute(
            "select current_stage_name, is_won, inquiry_at from funnelmart.lead_funnel where lead_id = 'L1'"
        ).fetchone()

    assert row_counts == {"funnel_conversion": 2, "bookings": 2, "lead_funnel": 2}
    assert str(booking.booking_date) == "2024-03-14"
    assert booking.country_name == "Germany"
    assert booking.rep_name == "Dana Reyes"
    assert booking.campaign_name == "Spring webinar"
    assert booking.lead_source == "webinar"
    assert booking.reporting_amount == Decimal("1100.00")
    assert booking.booked_at.isoformat() == "2024-03-14T09:30:00"
    assert tuple(unknown_booking) == ("Unknown", "(unassigned)", "(none)")
    assert tuple(conversion) == ("Raw lead", "Inquiry", "Germany", 0.4)
    assert lead.current_stage_name == "Closed won"
    assert lead.is_won is True
    assert lead.inquiry_at.isoformat() == "2024-03-05T08:00:00"


def test_bi_role_cannot_read_raw(postgres_server: LocalServer, published_a: PostgresPublishReport) -> None:
    admin_execute(postgres_server, "create schema if not exists raw")
    admin_execute(postgres_server, "create table if not exists raw.leads (lead_id text, email text)")
    admin_execute(postgres_server, "insert into raw.leads values ('L1', 'ana@example.com')")

    with connect_odbc(postgres_server) as connection:
        with pytest.raises(pyodbc.Error, match="permission denied for schema raw"):
            connection.cursor().execute("select email from raw.leads").fetchall()


@pytest.mark.parametrize(
    "statement",
    [
        "insert into funnelmart.fct_bookings (booking_id) values ('X1')",
        "update funnelmart.dim_geography set country_name = 'X'",
        "delete from funnelmart.dim_geography",
        "create table funnelmart.scratch (id integer)",
        "create view funnelmart.scratch as select 1 as id",
        "drop table funnelmart.fct_bookings",
        "create schema scratch",
        "create table public.scratch (id integer)",
    ],
)
def test_bi_role_cannot_write(
    postgres_server: LocalServer, published_a: PostgresPublishReport, statement: str
) -> None:
    with connect_odbc(postgres_server) as connection:
        with pytest.raises(pyodbc.Error, match="permission denied|must be owner"):
            connection.cursor().execute(statement)

    assert admin_execute(postgres_server, "select count(*) from funnelmart.fct_bookings") == [(2,)]


def test_odbc_catalog_lists_views_and_types(postgres_server: LocalServer, published_a: PostgresPublishReport) -> None:
    with connect_odbc(postgres_server) as connection:
        cursor = connection.cursor()
        relations = {row.table_name: row.table_type for row in cursor.tables(schema="funnelmart")}
        view_columns = {
            view: [(row.column_name, row.type_name) for row in cursor.columns(table=view, schema="funnelmart")]
            for view in EXPECTED_VIEW_COLUMNS
        }
        amount = next(row for row in cursor.columns(table="bookings", schema="funnelmart")
                      if row.column_name == "reporting_amount")
        flag = next(row for row in cursor.columns(table="lead_funnel", schema="funnelmart")
                    if row.column_name == "is_won")

    assert relations == {
        "bookings": "VIEW",
        "funnel_conversion": "VIEW",
        "lead_funnel": "VIEW",
        "dim_campaign": "TABLE",
        "dim_date": "TABLE",
        "dim_geography": "TABLE",
        "dim_lead_source": "TABLE",
        "dim_rep": "TABLE",
        "dim_stage": "TABLE",
        "fct_bookings": "TABLE",
        "fct_lead_funnel": "TABLE",
        "rpt_funnel_conversion": "TABLE",
    }
    assert view_columns == EXPECTED_VIEW_COLUMNS
    assert (amount.data_type, amount.column_size, amount.decimal_digits) == (pyodbc.SQL_NUMERIC, 18, 2)
    assert flag.data_type == pyodbc.SQL_BIT


# PostgreSQL type names that psqlODBC reports in SQLColumns, as docs/bi-tools.md spells them.
DOCUMENTED_TYPE_NAMES = {"int8": "bigint", "int4": "integer", "float8": "double precision", "bool": "boolean"}


def documented_view_fields(view: str) -> list[tuple[str, str]]:
    """Return the (field, type) rows docs/bi-tools.md lists under the heading of a view."""
    text = (PROJECT_DIR / "docs" / "bi-tools.md").read_text(encoding="utf-8")
    section = re.search(rf"^### funnelmart\.{view}\n(.*?)(?=^#)", text, flags=re.MULTILINE | re.DOTALL)
    assert section is not None, f"docs/bi-tools.md has no section for funnelmart.{view}"
    return re.findall(r"^\| `([a-z_]+)` \| ([a-z ]+) \|", section.group(1), flags=re.MULTILINE)


def test_docs_list_view_fields() -> None:
    for view, columns in EXPECTED_VIEW_COLUMNS.items():
        expected = [(name, DOCUMENTED_TYPE_NAMES.get(type_name, type_name)) for name, type_name in columns]
        assert documented_view_fields(view) == expected, view


def test_reader_sees_whole_versions(
    postgres_server: LocalServer, version_files: dict[str, Path], published_a: PostgresPublishReport
) -> None:
    observed: list[tuple[Decimal, int]] = []
    failures: list[BaseException] = []
    stop = threading.Event()
    first_read = threading.Event()

    def read_totals() -> None:
        deadline = time.monotonic() + 30
        try:
            with connect_odbc(postgres_server) as connection:
                cursor = connection.cursor()
                while not stop.is_set() and len(observed) < 5000 and time.monotonic() < deadline:
                    observed.append(tuple(cursor.execute(TOTALS_QUERY).fetchone()))
                    first_read.set()
        except BaseException as error:  # reported by the assertions below
            failures.append(error)
            first_read.set()

    reader = threading.Thread(target=read_totals)
    reader.start()
    first_read.wait(timeout=10)
    writer_conninfo = postgres_server.conninfo(WRITER_ROLE)
    for version in ("b", "a", "b"):
        publish_to_postgres(version_files[version], writer_conninfo)
        time.sleep(0.2)
    stop.set()
    reader.join(timeout=30)

    assert not reader.is_alive()
    assert failures == []
    assert set(observed) == {VERSION_A_TOTALS, VERSION_B_TOTALS}
    assert observed[-1] == VERSION_B_TOTALS


def test_open_transaction_blocks_swap(
    postgres_server: LocalServer, version_files: dict[str, Path], published_a: PostgresPublishReport
) -> None:
    writer_conninfo = postgres_server.conninfo(WRITER_ROLE)
    with connect_odbc(postgres_server, autocommit=False) as holder, connect_odbc(postgres_server) as other:
        holder.cursor().execute("select count(*) from funnelmart.bookings").fetchall()
        with pytest.raises(PublishLockTimeout, match=f"user {BI_ROLE}"):
            publish_to_postgres(version_files["b"], writer_conninfo, lock_wait_seconds=0.5)
        totals_while_held = tuple(other.cursor().execute(TOTALS_QUERY).fetchone())
        with pytest.raises(pyodbc.Error, match="permission denied for schema funnelmart_next"):
            other.cursor().execute("select count(*) from funnelmart_next.fct_bookings").fetchall()
        holder.commit()
        report = publish_to_postgres(version_files["b"], writer_conninfo)
        totals_after = tuple(other.cursor().execute(TOTALS_QUERY).fetchone())

    assert totals_while_held == VERSION_A_TOTALS
    assert report.row_counts()["fct_bookings"] == 3
    assert totals_after == VERSION_B_TOTALS


def test_copy_keeps_values_exact(postgres_server: LocalServer, tmp_path: Path) -> None:
    source_path = tmp_path / "edge_cases.duckdb"
    with duckdb.connect(str(source_path)) as connection:
        connection.execute(
            """
            create table dim_edge_case as
            select * from (values
                (1, '', 0.1::double + 0.2::double, 'a,b "quoted"' || chr(10) || 'next line', '\\x00\\xff'::blob,
                 timestamptz '2024-01-01 10:00:00+02', 'Zürich ✓'),
                (2, null, 'inf'::double, null, null, null, null)
            ) as t(id, label, ratio, note, payload, changed_at, city)
            """
        )

    publish_to_postgres(source_path, postgres_server.conninfo(WRITER_ROLE), schema="edge_cases")
    rows = admin_execute(
        postgres_server,
        "select id, label, ratio, note, payload, changed_at at time zone 'UTC', city "
        "from edge_cases.dim_edge_case order by id",
    )

    assert rows[0][:4] == (1, "", 0.30000000000000004, 'a,b "quoted"\nnext line')
    assert bytes(rows[0][4]) == b"\x00\xff"
    assert rows[0][5].isoformat() == "2024-01-01T08:00:00"
    assert rows[0][6] == "Zürich ✓"
    assert rows[1] == (2, None, float("inf"), None, None, None, None)


def test_column_comments_from_manifest(
    postgres_server: LocalServer, version_files: dict[str, Path], tmp_path: Path
) -> None:
    manifest = {
        "nodes": {
            "model.funnelmart.fct_bookings": {
                "resource_type": "model",
                "name": "fct_bookings",
                "alias": "fct_bookings",
                "description": "One row per booking.",
                "columns": {
                    "booking_id": {"name": "booking_id", "description": "Booking id from the source system."},
                    "pillar": {"name": "pillar", "description": ""},
                },
            },
            "test.funnelmart.unique_fct_bookings_booking_id": {"resource_type": "test", "name": "unique"},
        }
    }
    manifest_path = tmp_path / "manifest.json"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")

    report = publish_to_postgres(
        version_files["a"], postgres_server.conninfo(WRITER_ROLE), manifest_path=manifest_path
    )
    comments = dict(
        admin_execute(
            postgres_server,
            """
            select relations.relname || '.' || coalesce(attributes.attname, ''), descriptions.description
            from pg_description as descriptions
            inner join pg_class as relations on relations.oid = descriptions.objoid
            inner join pg_namespace as namespaces on namespaces.oid = relations.relnamespace
            left join pg_attribute as attributes
                on attributes.attrelid = relations.oid and attributes.attnum = descriptions.objsubid
            where namespaces.nspname = 'funnelmart' and relations.relname in ('fct_bookings', 'bookings')
            """,
        )
    )

    assert comments["fct_bookings."] == "One row per booking."
    assert comments["fct_bookings.booking_id"] == "Booking id from the source system."
    assert "fct_bookings.pillar" not in comments
    assert comments["bookings.booking_id"] == "Booking id from the source system."
    assert comments["bookings.booking_date"] == "Day of the booking (UTC)."
    assert comments["bookings."].startswith("One row per booking")
    assert report.comment_count == 17


def test_ensure_roles_is_idempotent(postgres_server: LocalServer, published_a: PostgresPublishReport) -> None:
    ensure_roles(postgres_server.admin_conninfo)
    ensure_roles(postgres_server.admin_conninfo)

    privileges = admin_execute(
        postgres_server,
        """
        select
            has_database_privilege(%(bi)s, current_database(), 'CREATE'),
            has_schema_privilege(%(bi)s, 'funnelmart', 'CREATE'),
            has_schema_privilege(%(bi)s, 'funnelmart', 'USAGE'),
            has_table_privilege(%(bi)s, 'funnelmart.fct_bookings', 'SELECT'),
            has_table_privilege(%(bi)s, 'funnelmart.fct_bookings', 'INSERT'),
            has_database_privilege(%(writer)s, current_database(), 'CREATE'),
            (select nspowner::regrole::text from pg_namespace where nspname = 'funnelmart')
        """,
        {"bi": BI_ROLE, "writer": WRITER_ROLE},
    )
    attributes = admin_execute(
        postgres_server,
        "select rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin from pg_roles "
        "where rolname like 'funnelmart%%' order by rolname",
    )

    assert privileges == [(False, False, True, True, False, True, WRITER_ROLE)]
    assert attributes == [(BI_ROLE, False, False, False, True), (WRITER_ROLE, False, False, False, True)]


def test_example_dsn_connects(
    postgres_server: LocalServer, published_a: PostgresPublishReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = (PROJECT_DIR / "examples" / "odbc.ini").read_text(encoding="utf-8")
    user_ini = tmp_path / "odbc.ini"
    user_ini.write_text(re.sub(r"^Port\s*=.*$", f"Port = {postgres_server.port}", example, flags=re.MULTILINE))
    monkeypatch.setenv("ODBCINI", str(user_ini))
    password = os.environ[PASSWORD_ENVS[BI_ROLE]]

    with pyodbc.connect(f"DSN=funnelmart;PWD={password}", autocommit=True, timeout=10) as connection:
        total = connection.cursor().execute("select sum(reporting_amount) from bookings").fetchone()[0]

    assert re.search(r"^\s*(password|pwd)\s*=", example, flags=re.IGNORECASE | re.MULTILINE) is None
    assert total == VERSION_A_TOTALS[0]


def test_publish_finds_local_server(
    postgres_server: LocalServer, version_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ADMIN_URL_ENV, raising=False)

    running = find_running_local_server(postgres_server.data_dir)
    report = publish_to_configured_postgres(version_files["b"], data_dir=postgres_server.data_dir)

    assert running is not None
    assert running.port == postgres_server.port
    assert report.row_counts()["fct_bookings"] == 3
    assert admin_execute(postgres_server, "select sum(reporting_amount) from funnelmart.bookings") == [
        (VERSION_B_TOTALS[0],)
    ]


def test_serve_stops_server_on_sigterm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`funnelmart serve` stops its PostgreSQL on SIGTERM, as a service manager sends, not only on Ctrl-C."""
    for variable in PASSWORD_ENVS.values():
        monkeypatch.setenv(variable, secrets.token_urlsafe(18))
    make_enterable_by_others(tmp_path)
    data_dir = tmp_path / "pgdata"
    command = [
        sys.executable, "-m", "orchestration.cli", "serve",
        "--port", str(free_port()), "--data-dir", str(data_dir), "--warehouse", str(tmp_path / "no-warehouse"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        running = find_running_local_server(data_dir)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()

    assert running is not None, "".join(lines)
    assert process.returncode == 0
    assert find_running_local_server(data_dir) is None


def test_admin_url_takes_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    admin_url = "postgresql://postgres@127.0.0.1:5433/funnelmart"
    monkeypatch.setenv(ADMIN_URL_ENV, admin_url)

    resolved = resolve_admin_conninfo(tmp_path / "no-server")

    assert resolved == admin_url


def test_publish_without_server_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ADMIN_URL_ENV, raising=False)

    with pytest.raises(RuntimeError, match="No PostgreSQL server to publish to"):
        resolve_admin_conninfo(tmp_path / "no-server")


def test_stop_without_server_warns(
    postgres_server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stopped = LocalServer(data_dir=tmp_path, port=postgres_server.port, bin_dir=postgres_server.bin_dir)

    stopped.stop()

    assert f"no PostgreSQL server runs from {tmp_path}" in caplog.text
    assert find_running_local_server(tmp_path) is None


def test_local_server_strings_hide_password(postgres_server: LocalServer) -> None:
    password = os.environ[PASSWORD_ENVS[BI_ROLE]]
    lines = postgres_server.summary_lines()

    assert postgres_server.url() == f"postgresql://funnelmart_bi@127.0.0.1:{postgres_server.port}/funnelmart"
    assert "Servername=127.0.0.1" in postgres_server.odbc_connection_string()
    assert all(password not in line for line in lines)


@pytest.mark.parametrize(
    ("duckdb_type", "expected"),
    [
        ("VARCHAR", "text"),
        ("DECIMAL(18,2)", "numeric(18, 2)"),
        ("TIMESTAMP", "timestamp"),
        ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
        ("DATE", "date"),
        ("BOOLEAN", "boolean"),
        ("BIGINT", "bigint"),
        ("INTEGER", "integer"),
        ("DOUBLE", "double precision"),
        ("UBIGINT", "numeric(20, 0)"),
        ("ENUM('a', 'b')", "text"),
    ],
)
def test_duckdb_type_maps_to_postgres(duckdb_type: str, expected: str) -> None:
    assert postgres_type(duckdb_type) == expected


def test_nested_duckdb_type_rejected() -> None:
    with pytest.raises(ValueError, match=r"VARCHAR\[\] has no PostgreSQL column type"):
        postgres_type("VARCHAR[]")
