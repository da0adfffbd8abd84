"""Tests of the quality gate on small DuckDB files built here with the marts' columns."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from orchestration.contract import load_contract, raw_table_ddl
from orchestration.quality import (
    PUBLISHED_SCHEMA_MAP,
    RAW_SCHEMA_MAP,
    SUITES_DIR,
    GateResult,
    _check_result,
    contract_suites,
    load_suites,
    run_publish_gate,
    run_quality_gate,
)

STAGE_ROWS = """
    ('raw_lead', 'Raw lead', 1, 1, true, false, false, 'marketing'),
    ('inquiry', 'Inquiry', 2, 2, true, false, false, 'marketing'),
    ('contact', 'Contact', 3, 3, true, false, false, 'sales'),
    ('opportunity', 'Opportunity', 4, 4, true, false, false, 'sales'),
    ('closed_won', 'Closed won', 5, 5, true, true, true, 'sales'),
    ('closed_lost', 'Closed lost', 6, 5, true, true, false, 'sales'),
    ('nurture', 'Nurture', 7, null, false, false, false, 'marketing'),
    ('disqualified', 'Disqualified', 8, null, false, true, false, 'marketing')
"""

# One statement per mart, with the columns of the mart interface. {schema} is "marts" in a
# build file and "main" in a published file. Two leads: L1 (Germany, webinar, campaign C1,
# rep R1) reached inquiry and became opportunity O1, booked as B1; L2 has no attributes.
MART_TABLES = {
    "dim_date": """
        create table {schema}.dim_date as
        select
            cast(strftime(day, '%Y%m%d') as integer) as date_key,
            cast(day as date) as date_day,
            year(day) as year_number,
            quarter(day) as quarter_number,
            month(day) as month_number,
            cast(date_trunc('month', day) as date) as month_start_date,
            cast(date_trunc('week', day) as date) as week_start_date,
            isodow(day) as day_of_week_number,
            monthname(day) as month_name,
            strftime(day, '%Y-%m') as year_month
        from range(date '2024-03-01', date '2024-03-04', interval 1 day) as days (day)
    """,
    "dim_stage": f"""
        create table {{schema}}.dim_stage as
        select md5(stage_code) as stage_key, *
        from (values {STAGE_ROWS}) as stages (
            stage_code, stage_name, stage_order, funnel_position, is_funnel_stage, is_closed, is_won, owner_team
        )
    """,
    "dim_campaign": """
        create table {schema}.dim_campaign as
        select md5(campaign_id) as campaign_key, *
        from (values
            ('(none)', '(none)', null, 'unknown', null, null, null, null, null, false),
            ('C1', 'Spring webinar', 'webinar', 'owned', 'Webinars', date '2024-03-01', date '2024-03-31',
                5000.00, 'EUR', true)
        ) as campaigns (
            campaign_id, campaign_name, channel_code, channel_group, program, start_date, end_date,
            budget_amount, budget_currency_code, is_mapped
        )
    """,
    "dim_lead_source": """
        create table {schema}.dim_lead_source as
        select md5(lead_source) as lead_source_key, *
        from (values ('(not set)', 'unknown'), ('webinar', 'owned')) as sources (lead_source, channel_group)
    """,
    "dim_rep": """
        create table {schema}.dim_rep as
        select md5(rep_id || '|' || cast(valid_from as varchar)) as rep_key, *
        from (values
            ('(unassigned)', '(unassigned)', 'unknown', null, 'Unknown', date '1900-01-01', null, true),
            ('R1', 'Ada Rep', 'inside', 'Grace Lead', 'EMEA North', date '2023-01-01', null, true)
        ) as reps (rep_id, rep_name, team, manager_name, territory, valid_from, valid_to, is_current)
    """,
    "dim_geography": """
        create table {schema}.dim_geography as
        select country_code as geography_key, *
        from (values
            ('ZZ', 'ZZZ', 'Unknown', 'Unknown', 'Unknown'),
            ('DE', 'DEU', 'Germany', 'Western Europe', 'EMEA')
        ) as countries (country_code, country_code_alpha3, country_name, region, theater)
    """,
    "fct_stage_transitions": """
        create table {schema}.fct_stage_transitions as
        select
            md5(event_source || '|' || record_id || '|' || to_stage) as transition_key,
            record_type, record_id, lead_id, opportunity_id, journey_id, stage_sequence_number,
            from_stage, to_stage, transitioned_at,
            cast(strftime(transitioned_at, '%Y%m%d') as integer) as transition_date_key,
            days_since_previous_stage, is_out_of_time_order, false as is_inferred, source_status,
            event_source, md5(rep_id || '|' || rep_valid_from) as rep_key, md5(campaign_id) as campaign_key,
            md5(lead_source) as lead_source_key, geography_key
        from (values
            ('lead', 'L1', 'L1', null, 'L1', 1, null, 'raw_lead', timestamp '2024-03-01 09:00:00', null, false,
                null, 'lead_created', 'R1', '2023-01-01', 'C1', 'webinar', 'DE'),
            ('lead', 'L1', 'L1', null, 'L1', 2, 'raw_lead', 'inquiry', timestamp '2024-03-03 10:00:00', 2, false,
                'MQL', 'stage_events', 'R1', '2023-01-01', 'C1', 'webinar', 'DE'),
            ('lead', 'L2', 'L2', null, 'L2', 1, null, 'raw_lead', timestamp '2024-03-02 11:00:00', null, false,
                null, 'lead_created', '(unassigned)', '1900-01-01', '(none)', '(not set)', 'ZZ')
        ) as events (
            record_type, record_id, lead_id, opportunity_id, journey_id, stage_sequence_number, from_stage,
            to_stage, transitioned_at, days_since_previous_stage, is_out_of_time_order, source_status,
            event_source, rep_id, rep_valid_from, campaign_id, lead_source, geography_key
        )
    """,
    "fct_lead_funnel": """
        create table {schema}.fct_lead_funnel as
        select
            lead_id, created_at, raw_lead_at, inquiry_at, contact_at, opportunity_at, closed_won_at,
            closed_lost_at, false as is_raw_lead_inferred, false as is_inquiry_inferred,
            false as is_contact_inferred, false as is_opportunity_inferred,
            closed_won_at is not null as is_won, closed_lost_at is not null as is_lost, current_stage,
            md5(campaign_id) as campaign_key, md5(lead_source) as lead_source_key, geography_key,
            md5(rep_id || '|' || rep_valid_from) as rep_key,
            cast(date_trunc('month', created_at) as date) as cohort_month
        from (values
            ('L1', timestamp '2024-03-01 09:00:00', timestamp '2024-03-01 09:00:00',
                timestamp '2024-03-03 10:00:00', cast(null as timestamp), cast(null as timestamp),
                cast(null as timestamp), cast(null as timestamp), 'inquiry', 'C1', 'webinar', 'DE', 'R1',
                '2023-01-01'),
            ('L2', timestamp '2024-03-02 11:00:00', timestamp '2024-03-02 11:00:00', null, null, null, null,
                null, 'raw_lead', '(none)', '(not set)', 'ZZ', '(unassigned)', '1900-01-01')
        ) as leads (
            lead_id, created_at, raw_lead_at, inquiry_at, contact_at, opportunity_at, closed_won_at,
            closed_lost_at, current_stage, campaign_id, lead_source, geography_key, rep_id, rep_valid_from
        )
    """,
    "fct_opportunities": """
        create table {schema}.fct_opportunities as
        select
            'O1' as opportunity_id, 'L1' as lead_id, timestamp '2024-03-05 08:00:00' as created_at,
            cast(null as timestamp) as closed_at, 'Proposal' as source_status, 'opportunity' as current_stage,
            true as is_open, false as is_won, false as is_lost, cast(1000.00 as decimal(18, 4)) as amount,
            'EUR' as currency_code, cast(1085.00 as decimal(18, 4)) as reporting_amount,
            'USD' as reporting_currency_code, 'new_business' as pillar,
            md5('R1|2023-01-01') as rep_key, 'DE' as geography_key
    """,
    "fct_bookings": """
        create table {schema}.fct_bookings as
        select
            booking_id, 'O1' as opportunity_id, 'L1' as lead_id, booked_at,
            cast(strftime(booked_at, '%Y%m%d') as integer) as booking_date_key,
            cast(booking_amount as decimal(18, 4)) as booking_amount, 'EUR' as currency_code,
            cast(reporting_amount as decimal(18, 4)) as reporting_amount, 'USD' as reporting_currency_code,
            'new_business' as pillar, md5('R1|2023-01-01') as rep_key, 'DE' as geography_key,
            md5('C1') as campaign_key, md5('webinar') as lead_source_key
        from (values
            ('B1', timestamp '2024-03-20 15:00:00', 1000.00, 1085.00),
            ('B2', timestamp '2024-03-21 15:00:00', 200.00, 217.00)
        ) as bookings (booking_id, booked_at, booking_amount, reporting_amount)
    """,
    "rpt_funnel_conversion": """
        create table {schema}.rpt_funnel_conversion as
        select
            md5(from_stage || '|' || geography_key) as funnel_conversion_key,
            date '2024-03-01' as cohort_month, from_stage, to_stage, geography_key,
            md5(lead_source) as lead_source_key, md5(campaign_id) as campaign_key,
            md5(rep_id || '|' || rep_valid_from) as rep_key, entered_count, converted_count,
            cast(converted_count as double) / entered_count as conversion_rate, theater, geography_key as country_code,
            lead_source, campaign_name, team, rep_name
        from (values
            ('raw_lead', 'inquiry', 'DE', 'webinar', 'C1', 'R1', '2023-01-01', 1, 1, 'EMEA', 'Spring webinar',
                'inside', 'Ada Rep'),
            ('raw_lead', 'inquiry', 'ZZ', '(not set)', '(none)', '(unassigned)', '1900-01-01', 1, 0, 'Unknown',
                '(none)', 'unknown', '(unassigned)')
        ) as pairs (
            from_stage, to_stage, geography_key, lead_source, campaign_id, rep_id, rep_valid_from, entered_count,
            converted_count, theater, campaign_name, team, rep_name
        )
    """,
}


def build_marts(connection: duckdb.DuckDBPyConnection, schema: str = "marts") -> None:
    """Create every mart with two leads' worth of consistent rows in `schema`."""
    connection.execute(f"create schema if not exists {schema}")
    for statement in MART_TABLES.values():
        connection.execute(statement.format(schema=schema))


def build_raw(connection: duckdb.DuckDBPyConnection) -> None:
    """Create every raw table of the contract, with two leads and one booking loaded from files."""
    connection.execute("create schema if not exists raw")
    for entity in load_contract().values():
        connection.execute(raw_table_ddl(entity))
    connection.execute(
        """
        insert into raw.leads (lead_id, created_at, country, _source_file, _source_line, _file_hash, _loaded_at)
        values
            ('L1', timestamp '2024-03-01 09:00:00', 'DE', 'leads.csv', 2, 'hash-a', timestamp '2024-03-30 00:00:00'),
            ('L2', timestamp '2024-03-02 11:00:00', null, 'leads.csv', 3, 'hash-a', timestamp '2024-03-30 00:00:00')
        """
    )
    connection.execute(
        """
        insert into raw.bookings (booking_id, booked_at, booking_amount, currency_code, pillar, _file_hash)
        values ('B1', timestamp '2024-03-20 15:00:00', 1000.00, 'EUR', 'new_business', 'hash-b')
        """
    )


def build_database(path: Path, schema: str = "marts", with_raw: bool = True) -> Path:
    """Write a DuckDB file holding the raw tables (optional) and the marts in `schema`."""
    with duckdb.connect(str(path)) as connection:
        if with_raw:
            build_raw(connection)
        build_marts(connection, schema)
    return path


def execute(path: Path, *statements: str) -> None:
    with duckdb.connect(str(path)) as connection:
        for statement in statements:
            connection.execute(statement)


def find(gate: GateResult, suite: str, expectation_type: str, column: str | None = None) -> list:
    return [
        result
        for result in gate.results
        if result.suite == suite and result.expectation_type == expectation_type and result.column == column
    ]


# The gate's behaviour is tested with the suites these hand-built marts were written for, kept
# in tests/fixtures. The repository's suites are checked against the real marts by test_pipeline.
GATE_SUITES = Path(__file__).parent / "fixtures" / "quality_suites"


@pytest.fixture
def build_db(tmp_path: Path) -> Path:
    return build_database(tmp_path / "build.duckdb")


# A gate run takes seconds, so the cases below share a few runs: each module-scoped fixture
# builds one file, applies its faults and runs the gate once.


@pytest.fixture(scope="module")
def good_gate(tmp_path_factory: pytest.TempPathFactory) -> GateResult:
    return run_quality_gate(build_database(tmp_path_factory.mktemp("good") / "build.duckdb"), GATE_SUITES)


@pytest.fixture(scope="module")
def bad_data_gate(tmp_path_factory: pytest.TempPathFactory) -> GateResult:
    path = build_database(tmp_path_factory.mktemp("bad_data") / "build.duckdb")
    execute(
        path,
        "update marts.fct_bookings set booking_id = 'B1' where booking_id = 'B2'",
        "update marts.fct_bookings set reporting_amount = null where booking_amount = 200",
        "insert into marts.rpt_funnel_conversion select * from marts.rpt_funnel_conversion where geography_key = 'ZZ'",
        "update marts.rpt_funnel_conversion set conversion_rate = 1.5 where geography_key = 'DE'",
        "delete from marts.dim_geography where country_code = 'ZZ'",
    )
    return run_quality_gate(path, GATE_SUITES)


@pytest.fixture(scope="module")
def broken_gate(tmp_path_factory: pytest.TempPathFactory) -> GateResult:
    path = build_database(tmp_path_factory.mktemp("broken") / "build.duckdb")
    execute(
        path,
        "alter table marts.fct_lead_funnel drop column cohort_month",
        "drop table marts.fct_bookings",
    )
    return run_quality_gate(path, GATE_SUITES)


def test_gate_passes_on_good_data(good_gate: GateResult) -> None:
    assert good_gate.errors == (), good_gate.summary()
    assert good_gate.failures == (), good_gate.summary()
    assert good_gate.warnings == (), good_gate.summary()
    assert good_gate.passed
    assert good_gate.status == "passed"
    assert "marts.rpt_funnel_conversion" in good_gate.suites
    assert "raw.leads" in good_gate.suites
    assert good_gate.summary().startswith("Quality gate PASSED: 0 data failures, 0 errors, 0 warnings")


def test_bad_data_fails_without_errors(bad_data_gate: GateResult) -> None:
    assert not bad_data_gate.passed
    assert bad_data_gate.status == "failed"
    assert bad_data_gate.errors == ()
    assert "Errors (" not in bad_data_gate.summary()


def test_duplicate_key_fails_with_value(bad_data_gate: GateResult) -> None:
    [unique] = find(bad_data_gate, "marts.fct_bookings", "expect_column_values_to_be_unique", "booking_id")

    assert unique.status == "failed"
    assert unique.unexpected_count == 2
    assert list(unique.unexpected_values) == ["B1", "B1"]
    expected_line = (
        "FAILED marts.fct_bookings.booking_id: expect_column_values_to_be_unique: "
        '2 unexpected values, offending values ["B1", "B1"]'
    )
    assert expected_line in bad_data_gate.summary()


def test_compound_key_duplicate_fails(bad_data_gate: GateResult) -> None:
    grain = "cohort_month, from_stage, to_stage, geography_key, lead_source_key, campaign_key, rep_key"
    [compound] = find(bad_data_gate, "marts.rpt_funnel_conversion", "expect_compound_columns_to_be_unique", grain)

    assert compound.status == "failed"
    assert compound.unexpected_count == 2
    assert compound.unexpected_values[0]["geography_key"] == "ZZ"


def test_rate_above_one_fails(bad_data_gate: GateResult) -> None:
    [rate] = find(bad_data_gate, "marts.rpt_funnel_conversion", "expect_column_values_to_be_between", "conversion_rate")

    assert rate.status == "failed"
    assert rate.unexpected_values == (1.5,)
    expected_line = (
        "FAILED marts.rpt_funnel_conversion.conversion_rate: expect_column_values_to_be_between"
        "(min_value=0, max_value=1): 1 unexpected value, offending values [1.5]"
    )
    assert expected_line in bad_data_gate.summary()


def test_reporting_amount_required_with_booking(bad_data_gate: GateResult) -> None:
    [required] = find(bad_data_gate, "marts.fct_bookings", "expect_column_values_to_not_be_null", "reporting_amount")

    assert required.status == "failed"
    assert required.unexpected_count == 1
    assert "(where booking_amount is not null)" in required.describe()


def test_missing_unknown_member_fails(bad_data_gate: GateResult) -> None:
    [contains] = find(
        bad_data_gate, "marts.dim_geography", "expect_column_distinct_values_to_contain_set", "geography_key"
    )

    assert contains.status == "failed"
    assert contains.unexpected_values == ("ZZ",)


def test_bad_data_failures_are_exact(bad_data_gate: GateResult) -> None:
    failed = sorted((result.suite, result.expectation_type, result.column) for result in bad_data_gate.failures)

    assert failed == [
        ("marts.dim_geography", "expect_column_distinct_values_to_contain_set", "geography_key"),
        ("marts.fct_bookings", "expect_column_values_to_be_unique", "booking_id"),
        ("marts.fct_bookings", "expect_column_values_to_not_be_null", "reporting_amount"),
        ("marts.rpt_funnel_conversion", "expect_column_values_to_be_between", "conversion_rate"),
        ("marts.rpt_funnel_conversion", "expect_column_values_to_be_unique", "funnel_conversion_key"),
        (
            "marts.rpt_funnel_conversion",
            "expect_compound_columns_to_be_unique",
            "cohort_month, from_stage, to_stage, geography_key, lead_source_key, campaign_key, rep_key",
        ),
    ]


def test_missing_column_is_error(broken_gate: GateResult) -> None:
    [not_null] = find(broken_gate, "marts.fct_lead_funnel", "expect_column_values_to_not_be_null", "cohort_month")
    [column_set] = find(broken_gate, "marts.fct_lead_funnel", "expect_table_columns_to_match_set")

    assert not_null.status == "error"
    assert not_null.message == "column cohort_month not found in table marts.fct_lead_funnel"
    assert column_set.status == "error"
    assert column_set.message == "table columns differ from the suite: missing cohort_month"


def test_missing_table_is_error(broken_gate: GateResult) -> None:
    [table_error] = [result for result in broken_gate.errors if result.suite == "marts.fct_bookings"]

    assert table_error.expectation_type is None
    assert table_error.message.startswith("table marts.fct_bookings not found, so none of its ")


def test_errors_are_not_data_failures(broken_gate: GateResult) -> None:
    summary = broken_gate.summary()

    assert broken_gate.status == "error"
    assert not broken_gate.passed
    assert broken_gate.failures == ()
    assert {result.suite for result in broken_gate.errors} == {"marts.fct_lead_funnel", "marts.fct_bookings"}
    assert "Data failures" not in summary
    assert "tool or configuration errors, not findings about the data" in summary
    expected_line = (
        "ERROR marts.fct_lead_funnel.cohort_month: expect_column_values_to_not_be_null: "
        "column cohort_month not found in table marts.fct_lead_funnel"
    )
    assert expected_line in summary
    assert "ERROR marts.fct_bookings: suite: table marts.fct_bookings not found" in summary


def test_tool_exception_is_error(build_db: Path, tmp_path: Path) -> None:
    suites_dir = tmp_path / "suites"
    suites_dir.mkdir()
    suite = {
        "name": "marts.dim_stage",
        "expectations": [
            # Comparing text with a number raises inside Great Expectations' pandas engine.
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "stage_code", "min_value": 0}},
            {"type": "expect_column_values_to_be_shiny", "kwargs": {"column": "stage_code"}},
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "stage_code"}},
        ],
    }
    (suites_dir / "dim_stage.json").write_text(json.dumps(suite))

    gate = run_quality_gate(build_db, suites_dir, schema_map={"marts": "marts"})

    statuses = {result.expectation_type: result.status for result in gate.results}
    assert statuses == {
        "expect_column_values_to_be_between": "error",
        "expect_column_values_to_be_shiny": "error",
        "expect_column_values_to_be_unique": "passed",
    }
    [raised] = find(gate, "marts.dim_stage", "expect_column_values_to_be_between", "stage_code")
    assert raised.message.startswith("Great Expectations raised: ")
    [unknown] = find(gate, "marts.dim_stage", "expect_column_values_to_be_shiny", "stage_code")
    assert "expect_column_values_to_be_shiny not found" in unknown.message
    assert gate.status == "error"


def test_failure_without_details_is_error() -> None:
    # A failure whose metrics returned nothing: no exception and no result details.
    result = SimpleNamespace(
        expectation_config=SimpleNamespace(
            type="expect_column_values_to_not_be_null",
            kwargs={"column": "lead_id", "batch_id": "b"},
            severity=None,
        ),
        result={},
        exception_info={"raised_exception": False, "exception_message": None},
        success=False,
    )

    check = _check_result("raw.leads", "raw.leads", result)

    assert check.status == "error"
    assert check.kwargs == {"column": "lead_id"}
    assert check.message.startswith("Great Expectations reported a failure without any result details")


def test_invalid_suite_file_is_error(build_db: Path, tmp_path: Path) -> None:
    suites_dir = tmp_path / "suites"
    suites_dir.mkdir()
    (suites_dir / "broken.json").write_text('{"name": "fct_bookings", "expectations": []}')

    gate = run_quality_gate(build_db, suites_dir, schema_map={"marts": "marts"})

    assert gate.status == "error"
    assert gate.errors[0].message.endswith("suite name must be '<schema>.<table>', got 'fct_bookings'")
    assert gate.errors[-1].message.startswith("no suite in ")


def test_missing_database_is_error(tmp_path: Path) -> None:
    gate = run_quality_gate(tmp_path / "absent.duckdb")

    assert gate.status == "error"
    assert gate.errors[-1].message == f"database file {tmp_path / 'absent.duckdb'} not found, so no suite ran"


@pytest.fixture(scope="module")
def published_gate(tmp_path_factory: pytest.TempPathFactory) -> GateResult:
    path = build_database(tmp_path_factory.mktemp("published") / "funnelmart.duckdb", schema="main", with_raw=False)
    execute(path, "update main.dim_campaign set end_date = date '2024-02-01' where campaign_id = 'C1'")
    return run_quality_gate(path, GATE_SUITES, schema_map=PUBLISHED_SCHEMA_MAP)


def test_published_schema_map_reads_main(published_gate: GateResult) -> None:
    assert published_gate.passed, published_gate.summary()
    assert all(suite.startswith("marts.") for suite in published_gate.suites)
    assert {result.relation for result in published_gate.results} >= {"main.fct_bookings", "main.dim_date"}


def test_warning_severity_does_not_block(published_gate: GateResult) -> None:
    [warning] = published_gate.warnings

    assert published_gate.passed
    assert published_gate.failures == ()
    assert warning.suite == "marts.dim_campaign"
    assert warning.expectation_type == "expect_column_pair_values_a_to_be_greater_than_b"
    assert warning.severity == "warning"
    assert "WARNING marts.dim_campaign.end_date, start_date" in published_gate.summary()


def test_publish_gate_combines_databases(build_db: Path, tmp_path: Path) -> None:
    candidate = build_database(tmp_path / "candidate.duckdb", schema="main", with_raw=False)
    execute(candidate, "update main.fct_bookings set booking_amount = -5 where booking_id = 'B2'")

    gate = run_publish_gate(build_db, candidate, GATE_SUITES)

    assert gate.db_paths == (build_db, candidate)
    assert {suite.split(".")[0] for suite in gate.suites} == {"raw", "marts"}
    [failure] = gate.failures
    assert failure.relation == "main.fct_bookings"
    assert failure.column == "booking_amount"
    assert failure.unexpected_values == (-5.0,)


@pytest.fixture(scope="module")
def raw_gate(tmp_path_factory: pytest.TempPathFactory) -> GateResult:
    path = build_database(tmp_path_factory.mktemp("raw") / "build.duckdb")
    execute(
        path,
        # L1 twice in the same file (hash-a), and L2 again in a later file (hash-c).
        """
        insert into raw.leads (lead_id, created_at, _source_file, _file_hash)
        values
            ('L1', timestamp '2024-03-01 09:00:00', 'leads.csv', 'hash-a'),
            ('L2', timestamp '2024-03-02 11:00:00', 'leads_2024-04.csv', 'hash-c')
        """,
        """
        insert into raw.stage_events (event_id, record_type, record_id, source_status, changed_at, _file_hash)
        values ('E1', 'account', 'A1', 'New', timestamp '2024-03-01 00:00:00', 'hash-d')
        """,
        """
        insert into raw.bookings (booking_id, booked_at, booking_amount, currency_code, _file_hash)
        values ('B9', timestamp '2024-03-01 00:00:00', 1, 'eur', 'hash-b')
        """,
    )
    return run_quality_gate(path, GATE_SUITES, schema_map=RAW_SCHEMA_MAP)


def test_raw_duplicate_within_file_fails(raw_gate: GateResult) -> None:
    [unique] = find(raw_gate, "raw.leads", "expect_compound_columns_to_be_unique", "lead_id, _file_hash")

    assert unique.status == "failed"
    assert unique.unexpected_count == 2
    assert unique.unexpected_values[0] == {"lead_id": "L1", "_file_hash": "hash-a"}


def test_raw_same_key_other_file_passes(raw_gate: GateResult) -> None:
    [unique] = find(raw_gate, "raw.leads", "expect_compound_columns_to_be_unique", "lead_id, _file_hash")

    assert {"lead_id": "L2", "_file_hash": "hash-c"} not in unique.unexpected_values
    assert {value["lead_id"] for value in unique.unexpected_values} == {"L1"}


def test_raw_accepted_values_fail(raw_gate: GateResult) -> None:
    failed = {(result.suite, result.column): result.unexpected_values for result in raw_gate.failures}

    assert failed == {
        ("raw.leads", "lead_id, _file_hash"): (
            {"lead_id": "L1", "_file_hash": "hash-a"},
            {"lead_id": "L1", "_file_hash": "hash-a"},
        ),
        ("raw.stage_events", "record_type"): ("account",),
        ("raw.bookings", "currency_code"): ("eur",),
    }


def test_raw_gate_skips_marts(raw_gate: GateResult) -> None:
    assert raw_gate.errors == ()
    assert all(suite.startswith("raw.") for suite in raw_gate.suites)


def test_contract_suites_cover_raw_tables() -> None:
    suites = {suite.name: suite for suite in contract_suites()}

    assert set(suites) == {f"raw.{name}" for name in load_contract()}
    leads_types = [expectation["type"] for expectation in suites["raw.leads"].expectations]
    assert leads_types.count("expect_table_columns_to_match_set") == 1
    [spend_key] = [
        expectation["kwargs"]["column_list"]
        for expectation in suites["raw.campaign_spend"].expectations
        if expectation["type"] == "expect_compound_columns_to_be_unique"
    ]
    assert spend_key == ["campaign_id", "spend_date", "currency_code", "_file_hash"]


def test_repository_suites_load() -> None:
    suites, errors = load_suites(SUITES_DIR)

    assert errors == []
    names = {suite.name for suite in suites}
    marts = {
        "dim_date", "dim_stage", "dim_campaign", "dim_lead_source", "dim_rep", "dim_geography",
        "fct_stage_transitions", "fct_lead_funnel", "fct_opportunities", "fct_bookings", "rpt_funnel_conversion",
    }
    assert {f"marts.{name}" for name in marts} <= names
    raw_bookings = next(suite for suite in suites if suite.name == "raw.bookings")
    assert raw_bookings.sources == ("orchestration/contract.yml", str(SUITES_DIR / "raw" / "bookings.json"))
