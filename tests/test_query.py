"""Tests of read-only SQL on a published datamart file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.query import DatamartNotFoundError, QueryError, ReadOnlyQueryError, run_sql


@pytest.fixture
def published_db(tmp_path: Path) -> Path:
    path = tmp_path / "funnelmart.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            """
            create table fct_bookings as
            select * from (values
                ('B1', timestamp '2024-03-20 15:00:00', cast(1000.00 as decimal(18, 4)), 'EUR', true),
                ('B22', timestamp '2024-03-21 08:30:00', cast(12.50 as decimal(18, 4)), 'USD', false),
                ('B3', null, null, 'say "hi", ok', null)
            ) as bookings (booking_id, booked_at, booking_amount, currency_code, is_first)
            """
        )
    return path


def test_table_format_aligns_columns(published_db: Path) -> None:
    output = run_sql(published_db, "select booking_id, booking_amount, is_first from fct_bookings order by booking_id")

    assert output.splitlines() == [
        "booking_id | booking_amount | is_first",
        "-----------+----------------+---------",
        "B1         |      1000.0000 | true",
        "B22        |        12.5000 | false",
        "B3         |           NULL | NULL",
        "(3 rows)",
    ]


def test_table_format_empty_result(published_db: Path) -> None:
    output = run_sql(published_db, "select booking_id from fct_bookings where false")

    assert output.splitlines() == ["booking_id", "----------", "(0 rows)"]


def test_csv_format_quotes_and_nulls(published_db: Path) -> None:
    output = run_sql(
        published_db,
        "select booking_id, booked_at, booking_amount, currency_code from fct_bookings order by booking_id",
        "csv",
    )

    assert output.splitlines() == [
        "booking_id,booked_at,booking_amount,currency_code",
        "B1,2024-03-20 15:00:00,1000.0000,EUR",
        "B22,2024-03-21 08:30:00,12.5000,USD",
        'B3,,,"say ""hi"", ok"',
    ]


def test_json_format_types(published_db: Path) -> None:
    output = run_sql(published_db, "select * from fct_bookings where booking_id in ('B1', 'B3') order by 1", "json")

    assert json.loads(output) == [
        {
            "booking_id": "B1",
            "booked_at": "2024-03-20T15:00:00",
            "booking_amount": 1000,
            "currency_code": "EUR",
            "is_first": True,
        },
        {
            "booking_id": "B3",
            "booked_at": None,
            "booking_amount": None,
            "currency_code": 'say "hi", ok',
            "is_first": None,
        },
    ]
    # Decimals keep their exact digits and scale, as in the csv output.
    assert '"booking_amount": 1000.0000,' in output


def test_last_statement_result_returned(published_db: Path) -> None:
    output = run_sql(published_db, "select 1 as first_value; select count(*) as booking_count from fct_bookings", "csv")

    assert output == "booking_count\n3"


def test_missing_file_error(tmp_path: Path) -> None:
    missing = tmp_path / "warehouse" / "funnelmart.duckdb"

    with pytest.raises(DatamartNotFoundError) as raised:
        run_sql(missing, "select 1")

    assert str(raised.value).startswith(f"No published datamart at {missing}. Run `funnelmart run` first")
    assert isinstance(raised.value, QueryError)
    assert not missing.exists()


@pytest.mark.parametrize(
    "statement",
    [
        "create table scratch (i integer)",
        "insert into fct_bookings (booking_id) values ('B9')",
        "delete from fct_bookings",
        "drop table fct_bookings",
    ],
)
def test_write_statement_rejected(published_db: Path, statement: str) -> None:
    before = hashlib.sha256(published_db.read_bytes()).hexdigest()

    with pytest.raises(ReadOnlyQueryError) as raised:
        run_sql(published_db, statement)

    assert str(raised.value).startswith(f"The published datamart {published_db} is read-only")
    assert hashlib.sha256(published_db.read_bytes()).hexdigest() == before


def test_invalid_sql_error(published_db: Path) -> None:
    with pytest.raises(QueryError, match="Query failed: Catalog Error: Table with name fct_missing does not exist"):
        run_sql(published_db, "select * from fct_missing")


def test_invalid_output_format(published_db: Path) -> None:
    with pytest.raises(ValueError, match="Invalid output format 'xml'"):
        run_sql(published_db, "select 1", "xml")  # type: ignore[arg-type]


def test_connection_closed_after_query(published_db: Path) -> None:
    run_sql(published_db, "select count(*) from fct_bookings")

    with duckdb.connect(str(published_db)) as writer:
        writer.execute("insert into fct_bookings (booking_id) values ('B4')")

    assert run_sql(published_db, "select count(*) as n from fct_bookings", "csv") == "n\n4"


def test_copy_to_file_rejected(tmp_path: Path) -> None:
    published = tmp_path / "published.duckdb"
    with duckdb.connect(str(published)) as connection:
        connection.execute("create table fct_bookings as select 1 as booking_id")
    target = tmp_path / "export.csv"

    with pytest.raises(QueryError):
        run_sql(published, f"copy fct_bookings to '{target}'", "table")

    assert not target.exists()
