"""The funnel rules of docs/funnel-rules.md on messy CRM data.

The messy fixture (tests/fixtures/dbt_messy) is built once per module. Every expected figure
comes from its EXPECTED.md, computed by hand from the fixture files, never from the models.
The same rules on the demo data and the Maven export are tested in test_pipeline.py and
test_real_exports.py, next to the other figures of those runs.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.pipeline import load_and_build
from orchestration.settings import PROJECT_DIR, Settings
from orchestration.transform import run_dbt_build

MESSY_FIXTURE = PROJECT_DIR / "tests" / "fixtures" / "dbt_messy"
# Timestamps without an offset in the fixture are New York time. The machine clock is set to
# Pacific/Chatham (UTC+13:45) to show that it changes nothing.
MESSY_SOURCE_TIME_ZONE = "America/New_York"
MACHINE_TIME_ZONE = "Pacific/Chatham"
MESSY_VARS = "{theater_overrides: {BR: EMEA}}"
# The snapshot test rebuilds two models of the messy fixture; their tests ran with the fixture.
MODELS_ONLY = ["--exclude", "resource_type:test", "resource_type:unit_test"]
# The messy fixture runs the singular tests (the warnings and the row-count checks) but not the
# schema and unit tests, which `make test` runs on tests/fixtures/dbt_small.
SINGULAR_TESTS_ONLY = ["--exclude", "test_type:generic", "test_type:unit"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def query(db_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def rounded(value, places: int = 3):
    return None if value is None else round(float(value), places)


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    """Load and build the messy fixture once; return its settings and the dbt result."""
    warehouse = tmp_path_factory.mktemp("messy") / "warehouse"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FUNNELMART_SOURCE_TZ", MESSY_SOURCE_TIME_ZONE)
        patch.setenv("TZ", MACHINE_TIME_ZONE)
        settings = Settings.from_env(landing_dir=MESSY_FIXTURE, warehouse_dir=warehouse)
        _, build = load_and_build(
            settings,
            echo=lambda message: None,
            dbt_arguments=["--vars", MESSY_VARS, "--store-failures", *SINGULAR_TESTS_ONLY],
        )
    return settings, build


@pytest.fixture(scope="module")
def messy_db(messy) -> Path:
    settings, _ = messy
    return settings.build_db_path


# ---- transitions ---------------------------------------------------------------------------


def test_transitions_keep_every_event(messy_db):
    [(rows, stage_changes)] = query(
        messy_db, "select count(*), count(*) filter (where is_stage_change) from marts.fct_stage_transitions"
    )
    repeats = query(
        messy_db,
        "select journey_id, stage_sequence_number from marts.fct_stage_transitions "
        "where not is_stage_change order by 1, 2",
    )
    per_journey = dict(query(messy_db, "select journey_id, count(*) from marts.fct_stage_transitions group by 1"))

    assert rows == 42
    assert stage_changes == 38
    assert repeats == [("lead:M3", 3), ("lead:M4", 3), ("lead:M4", 7), ("lead:M5", 7)]
    assert per_journey == {
        "lead:M1": 7, "lead:M2": 4, "lead:M3": 5, "lead:M4": 7, "lead:M5": 7,
        "lead:M6": 3, "lead:M7": 3, "lead:M8": 1, "lead:M9": 4, "opportunity:O4": 1,
    }


def test_transition_flags_per_case(messy_db):
    rows = query(
        messy_db,
        "select journey_id, stage_sequence_number, from_stage, to_stage, days_since_previous_stage, "
        "stage_entry_number, is_reentry, is_backward, is_reopen, is_outcome_correction "
        "from marts.fct_stage_transitions "
        "where is_reentry or is_backward or is_reopen or is_outcome_correction order by 1, 2",
    )

    assert rows == [
        ("lead:M1", 4, "nurture", "inquiry", 16, 2, True, False, False, False),
        ("lead:M4", 5, "closed_lost", "opportunity", 24, 2, True, True, True, False),
        ("lead:M5", 6, "closed_won", "closed_lost", 1, 1, False, False, False, True),
        ("lead:M7", 3, "contact", "inquiry", 2, 1, False, True, False, False),
        ("lead:M9", 4, "disqualified", "inquiry", 17, 2, True, False, False, False),
    ]


def test_ties_ordered_by_stage(messy_db):
    rows = query(
        messy_db,
        "select stage_sequence_number, to_stage, transitioned_at, days_since_previous_stage "
        "from marts.fct_stage_transitions where journey_id = 'lead:M5' and stage_sequence_number <= 3 order by 1",
    )

    assert rows == [
        (1, "raw_lead", at("2024-02-01 13:00:00"), None),
        (2, "inquiry", at("2024-02-02 09:00:00"), 1),
        (3, "contact", at("2024-02-02 09:00:00"), 0),
    ]


def test_out_of_order_event_has_no_days(messy_db):
    out_of_order = query(
        messy_db,
        "select journey_id, stage_sequence_number, to_stage, days_since_previous_stage "
        "from marts.fct_stage_transitions where is_out_of_time_order",
    )
    [(negative_days,)] = query(
        messy_db, "select count(*) from marts.fct_stage_transitions where days_since_previous_stage < 0"
    )
    [(next_days,)] = query(
        messy_db,
        "select days_since_previous_stage from marts.fct_stage_transitions "
        "where journey_id = 'lead:M6' and stage_sequence_number = 3",
    )

    assert out_of_order == [("lead:M6", 2, "inquiry", None)]
    assert negative_days == 0
    assert next_days == 4


def test_final_outcome_closes_marked(messy_db):
    rows = query(
        messy_db,
        "select journey_id, stage_sequence_number, to_stage from marts.fct_stage_transitions "
        "where is_final_outcome_close order by 1",
    )

    assert rows == [
        ("lead:M1", 7, "closed_won"),
        ("lead:M3", 5, "closed_won"),
        ("lead:M4", 7, "closed_won"),
        ("lead:M5", 7, "closed_lost"),
    ]


def test_warnings_name_the_records(messy):
    settings, build = messy
    warned = {node.unique_id.split(".")[2] for node in build.warnings()}

    stage_order = query(
        settings.build_db_path,
        "select lead_id, earlier_stage, later_stage from dbt_test__audit.assert_stage_times_in_funnel_order order by 1",
    )
    time_order = query(
        settings.build_db_path,
        "select journey_id, to_stage from dbt_test__audit.assert_transitions_in_time_order",
    )

    assert warned == {
        "assert_transitions_in_time_order",
        "assert_stage_times_in_funnel_order",
        "assert_country_text_recognised",
        "assert_statuses_mapped",
    }
    assert stage_order == [("M6", "raw_lead", "inquiry"), ("M7", "inquiry", "contact")]
    assert time_order == [("lead:M6", "inquiry")]


# ---- leads, people and outcomes ------------------------------------------------------------


def test_lead_funnel_reached_stages(messy_db):
    rows = query(
        messy_db,
        "select lead_id, count(raw_lead_at) + count(inquiry_at) + count(contact_at) + count(opportunity_at), "
        "closed_won_at, closed_lost_at, is_won, is_lost, current_stage, cohort_month "
        "from marts.fct_lead_funnel group by all order by 1",
    )

    assert rows == [
        ("M1", 4, at("2024-02-12 10:00:00"), None, True, False, "closed_won", date(2024, 1, 1)),
        ("M2", 4, None, None, False, False, "opportunity", date(2024, 2, 1)),
        ("M3", 4, at("2024-02-20 12:00:00"), None, True, False, "closed_won", date(2024, 1, 1)),
        ("M4", 4, at("2024-03-25 10:00:00"), None, True, False, "closed_won", date(2024, 1, 1)),
        ("M5", 4, None, at("2024-02-16 09:00:00"), False, True, "closed_lost", date(2024, 2, 1)),
        ("M6", 3, None, None, False, False, "contact", date(2024, 2, 1)),
        ("M7", 3, None, None, False, False, "inquiry", date(2024, 3, 1)),
        ("M8", 1, None, None, False, False, "raw_lead", date(2024, 4, 1)),
        ("M9", 2, None, None, False, False, "inquiry", date(2024, 2, 1)),
    ]


def test_skipped_stages_inferred(messy_db):
    rows = query(
        messy_db,
        "select lead_id, inquiry_at, is_inquiry_inferred, contact_at, is_contact_inferred, opportunity_at "
        "from marts.fct_lead_funnel where lead_id in ('M3', 'M4') order by 1",
    )
    [(inferred_inquiry, inferred_contact, inferred_opportunity)] = query(
        messy_db,
        "select count(*) filter (where is_inquiry_inferred), count(*) filter (where is_contact_inferred), "
        "count(*) filter (where is_opportunity_inferred) from marts.fct_lead_funnel",
    )

    assert rows == [
        ("M3", at("2024-01-16 05:00:00"), False, at("2024-01-25 15:00:00"), True, at("2024-01-25 15:00:00")),
        ("M4", at("2024-01-20 12:00:00"), True, at("2024-01-20 12:00:00"), True, at("2024-01-20 12:00:00")),
    ]
    assert (inferred_inquiry, inferred_contact, inferred_opportunity) == (1, 2, 0)


def test_reopened_and_out_of_order_leads_flagged(messy_db):
    reopened = query(messy_db, "select lead_id from marts.fct_lead_funnel where is_reopened_after_loss")
    violations = query(
        messy_db, "select lead_id from marts.fct_lead_funnel where has_stage_order_violation order by 1"
    )

    assert reopened == [("M4",)]
    assert violations == [("M6",), ("M7",)]


def test_time_zones_stored_in_utc(messy_db):
    created = dict(
        query(
            messy_db,
            "select lead_id, created_at from marts.fct_lead_funnel where lead_id in ('M1', 'M3', 'M5', 'M8', 'M9')",
        )
    )
    [(m9_inquiry_at,)] = query(messy_db, "select inquiry_at from marts.fct_lead_funnel where lead_id = 'M9'")

    assert created == {
        "M1": at("2024-01-10 14:00:00"),
        "M3": at("2024-01-15 08:00:00"),
        "M5": at("2024-02-01 13:00:00"),
        "M8": at("2024-04-01 02:30:00"),
        "M9": at("2024-02-29 22:30:00"),
    }
    assert m9_inquiry_at == at("2024-02-29 23:00:00")


def test_duplicate_email_one_person(messy_db):
    leads = query(
        messy_db,
        "select f.lead_id, p.person_id, f.is_primary_lead from marts.fct_lead_funnel f "
        "join marts.dim_person p using (person_key) order by 1",
    )
    [(persons, merged)] = query(
        messy_db, "select count(*), count(*) filter (where lead_count > 1) from marts.dim_person"
    )

    assert leads == [
        ("M1", "M1", True), ("M2", "M1", False), ("M3", "M3", True), ("M4", "M4", True), ("M5", "M5", True),
        ("M6", "M6", True), ("M7", "M7", True), ("M8", "M8", True), ("M9", "M9", True),
    ]
    assert persons == 8
    assert merged == 1


def test_person_funnel_merges_leads(messy_db):
    [person] = query(
        messy_db,
        "select lead_count, raw_lead_at, inquiry_at, contact_at, opportunity_at, closed_won_at, geography_key, "
        "opportunity_count, booking_count, days_to_first_booking from marts.fct_person_funnel where person_id = 'M1'",
    )
    days = dict(query(messy_db, "select person_id, days_to_first_booking from marts.fct_person_funnel"))

    assert person[:9] == (
        2, at("2024-01-10 14:00:00"), at("2024-01-12 14:00:00"), at("2024-02-06 15:00:00"),
        at("2024-02-07 10:00:00"), at("2024-02-12 10:00:00"), "BR", 2, 1,
    )
    assert {person_id: rounded(value) for person_id, value in days.items() if value is not None} == {
        "M1": 32.833, "M3": 36.167, "M4": 64.917,
    }


def test_opportunity_close_history(messy_db):
    rows = query(
        messy_db,
        "select opportunity_id, is_won, is_lost, is_open, first_closed_at, final_closed_at, close_event_count, "
        "is_reopened_after_loss, is_outcome_corrected from marts.fct_opportunities order by 1",
    )

    assert rows == [
        ("O1", True, False, False, at("2024-02-20 12:00:00"), at("2024-02-20 12:00:00"), 1, False, False),
        ("O2", True, False, False, at("2024-02-10 10:00:00"), at("2024-03-25 10:00:00"), 2, True, False),
        ("O3", False, True, False, at("2024-02-15 10:00:00"), at("2024-02-16 09:00:00"), 2, False, True),
        ("O4", False, False, True, None, None, 0, False, False),
        ("O5", False, False, True, None, None, 0, False, False),
        ("O6", False, False, True, None, None, 0, False, False),
        ("O7", True, False, False, at("2024-02-12 10:00:00"), at("2024-02-12 10:00:00"), 1, False, False),
    ]


def test_rep_territory_then_and_now(messy_db):
    bookings = query(
        messy_db,
        "select b.booking_id, b.reporting_amount, then_rep.territory, now_rep.territory "
        "from marts.fct_bookings b join marts.dim_rep then_rep on b.rep_key = then_rep.rep_key "
        "join marts.dim_rep now_rep on b.current_rep_key = now_rep.rep_key order by 1",
    )
    versions = query(
        messy_db,
        "select team, territory, current_team, current_territory from marts.dim_rep where rep_id = 'R1' order by valid_from",
    )

    assert bookings == [
        ("B1", Decimal("10000.00"), "West", "West"),
        ("B2", Decimal("5436.10"), "Central", "Central"),
        ("B3", Decimal("1500.00"), "East", "West"),
    ]
    assert versions == [("sdr", "East", "inside", "West"), ("inside", "West", "inside", "West")]


def test_theater_override_and_unknown(messy_db):
    brazil = query(
        messy_db,
        "select theater, reference_theater, is_theater_overridden from marts.dim_geography where country_code = 'BR'",
    )
    unknown_leads = query(messy_db, "select lead_id from marts.fct_lead_funnel where geography_key = 'ZZ' order by 1")
    [(unknown_theater,)] = query(messy_db, "select theater from marts.dim_geography where geography_key = 'ZZ'")

    assert brazil == [("EMEA", "LATAM", True)]
    assert unknown_leads == [("M6",), ("M7",)]
    assert unknown_theater == "Unknown"


# ---- reports ---------------------------------------------------------------------------------


def test_win_loss_by_final_outcome(messy_db):
    rows = query(
        messy_db,
        "select close_month, sum(won_count), sum(lost_count), sum(won_reporting_amount), sum(lost_reporting_amount), "
        "sum(reopened_after_loss_count), sum(outcome_corrected_count) from marts.rpt_win_loss group by 1 order by 1",
    )
    cycles = query(messy_db, "select won_cycle_median_days from marts.rpt_win_loss where won_count > 0")

    assert rows == [
        (date(2024, 2, 1), 2, 1, Decimal("11500.00"), Decimal("2000.00"), 0, 1),
        (date(2024, 3, 1), 1, 0, Decimal("5436.10"), Decimal("0.00"), 1, 0),
    ]
    assert sorted(rounded(value) for (value,) in cycles) == [5.0, 25.875, 63.042]


COHORT_SQL = (
    "select cohort_month, sum(entered_count), sum(converted_count), sum(converted_30d_count), "
    "sum(converted_60d_count), sum(converted_90d_count) from marts.rpt_cohort_conversion "
    "where from_stage = '{}' and to_stage = '{}' group by 1 order by 1"
)


@pytest.mark.parametrize(
    ("from_stage", "to_stage", "expected"),
    [
        ("raw_lead", "inquiry", [(1, 3, 3, 3, 3, 3), (2, 3, 3, 3, 3, 3), (3, 1, 1, 1, 1, 1), (4, 1, 0, 0, 0, 0)]),
        ("inquiry", "contact", [(1, 3, 3, 3, 3, 3), (2, 3, 2, 2, 2, 2), (3, 1, 1, 1, 1, 1)]),
        ("contact", "opportunity", [(1, 2, 2, 2, 2, 2), (2, 3, 2, 2, 2, 2), (3, 1, 0, 0, 0, 0)]),
        ("opportunity", "closed_won", [(1, 2, 2, 1, 1, 2), (2, 2, 1, 1, 1, 1)]),
        ("opportunity", "closed_lost", [(1, 2, 0, 0, 0, 0), (2, 2, 1, 1, 1, 1)]),
        ("raw_lead", "closed_won", [(1, 3, 3, 0, 2, 3), (2, 3, 0, 0, 0, 0), (3, 1, 0, 0, 0, 0), (4, 1, 0, 0, 0, 0)]),
    ],
)
def test_cohort_conversion_by_month(messy_db, from_stage, to_stage, expected):
    rows = query(messy_db, COHORT_SQL.format(from_stage, to_stage))

    assert [(month.month, *counts) for month, *counts in rows] == expected


def test_cohort_maturity_against_as_of(messy_db):
    rows = query(
        messy_db,
        "select distinct cohort_month, is_mature_30d, is_mature_60d, is_mature_90d, as_of_date "
        "from marts.rpt_cohort_conversion order by 1",
    )

    assert rows == [
        (date(2024, 1, 1), True, True, False, date(2024, 4, 1)),
        (date(2024, 2, 1), True, False, False, date(2024, 4, 1)),
        (date(2024, 3, 1), False, False, False, date(2024, 4, 1)),
        (date(2024, 4, 1), False, False, False, date(2024, 4, 1)),
    ]


def test_funnel_conversion_is_cohort_subset(messy_db):
    [(funnel_rows, cohort_rows, differing)] = query(
        messy_db,
        "select (select count(*) from marts.rpt_funnel_conversion), "
        "(select count(*) from marts.rpt_cohort_conversion where (from_stage, to_stage) in "
        "(('raw_lead', 'inquiry'), ('inquiry', 'contact'), ('contact', 'opportunity'), "
        "('opportunity', 'closed_won'), ('raw_lead', 'closed_won'))), "
        "(select count(*) from marts.rpt_funnel_conversion f join marts.rpt_cohort_conversion c "
        "on f.funnel_conversion_key = c.cohort_conversion_key "
        "where f.entered_count != c.entered_count or f.converted_count != c.converted_count)",
    )

    assert funnel_rows == cohort_rows
    assert differing == 0


def test_period_conversion_counts(messy_db):
    rows = query(
        messy_db,
        "select from_stage, to_stage, period_month, sum(from_stage_count), sum(to_stage_count), "
        "sum(from_stage_entry_count) from marts.rpt_period_conversion "
        "where (from_stage, to_stage) in (('inquiry', 'contact'), ('opportunity', 'closed_won')) "
        "group by all order by 1, 3",
    )
    [(null_rate_rows,)] = query(
        messy_db,
        "select count(*) from marts.rpt_period_conversion where from_stage = 'opportunity' "
        "and to_stage = 'closed_won' and period_month = '2024-03-01' and period_conversion_rate is not null",
    )

    assert [(pair_from, pair_to, month.month, *counts) for pair_from, pair_to, month, *counts in rows] == [
        ("inquiry", "contact", 1, 3, 2, 2),
        ("inquiry", "contact", 2, 3, 3, 5),
        ("inquiry", "contact", 3, 1, 1, 2),
        ("opportunity", "closed_won", 1, 2, 0, 2),
        ("opportunity", "closed_won", 2, 2, 2, 2),
        ("opportunity", "closed_won", 3, 0, 1, 2),
    ]
    assert null_rate_rows == 0


def test_conversion_trends_month_over_month(messy_db):
    rows = query(
        messy_db,
        "select conversion_method, month_start_date, numerator_count, denominator_count, "
        "conversion_rate, conversion_rate_change_mom from marts.rpt_conversion_trends "
        "where from_stage = 'inquiry' and to_stage = 'contact' and dimension_name = 'total' "
        "and conversion_window in ('ever', 'same_month') order by 1, 2",
    )
    theaters = query(
        messy_db,
        "select dimension_value, numerator_count, denominator_count from marts.rpt_conversion_trends "
        "where from_stage = 'inquiry' and to_stage = 'contact' and dimension_name = 'theater' "
        "and conversion_window = 'ever' and month_start_date = '2024-01-01' order by 1",
    )

    assert [(method, month.month, n, d, rounded(rate), rounded(change)) for method, month, n, d, rate, change in rows] == [
        ("cohort", 1, 3, 3, 1.0, None),
        ("cohort", 2, 2, 3, 0.667, -0.333),
        ("cohort", 3, 1, 1, 1.0, 0.333),
        ("period", 1, 2, 3, 0.667, None),
        ("period", 2, 3, 3, 1.0, 0.333),
        ("period", 3, 1, 1, 1.0, 0.0),
    ]
    assert theaters == [("EMEA", 2, 2), ("NA", 1, 1)]


def test_velocity_skips_inferred_and_out_of_order(messy_db):
    rows = query(
        messy_db,
        "select velocity_month, sum(reached_both_count), sum(measured_count), sum(inferred_count), "
        "sum(out_of_order_count), list(median_days order by median_days) filter (where measured_count > 0) "
        "from marts.rpt_stage_velocity where from_stage = 'inquiry' and to_stage = 'contact' group by 1 order by 1",
    )
    full_cycle = query(
        messy_db,
        "select velocity_month, median_days from marts.rpt_stage_velocity "
        "where from_stage = 'raw_lead' and to_stage = 'closed_won' order by 1, 2",
    )

    assert [(month.month, *counts, [rounded(value) for value in medians or []]) for month, *counts, medians in rows] == [
        (1, 2, 0, 2, 0, []),
        (2, 3, 3, 0, 0, [0.0, 4.0, 25.042]),
        (3, 1, 0, 0, 1, []),
    ]
    assert [(month.month, rounded(days)) for month, days in full_cycle] == [(2, 32.833), (2, 36.167), (3, 64.917)]


def test_time_in_stage_visits(messy_db):
    rows = query(
        messy_db,
        "select exit_month, sum(visit_count), list(median_days order by median_days) "
        "from marts.rpt_time_in_stage where stage_code = 'inquiry' group by 1 order by 1",
    )

    assert [(month.month, visits, [rounded(value) for value in medians]) for month, visits, medians in rows] == [
        (1, 2, [8.042, 9.417]),
        (2, 4, [0.0, 1.0, 1.0, 4.0]),
        (3, 1, [2.542]),
    ]


def test_stage_aging_as_of(messy_db):
    rows = query(
        messy_db,
        "select stage_code, journey_type, open_count, max_age_days from marts.rpt_stage_aging order by 1, 2, 4",
    )
    [(young, middle)] = query(
        messy_db, "select sum(age_0_30_count), sum(age_31_60_count) from marts.rpt_stage_aging"
    )

    assert rows == [
        ("contact", "lead", 1, 49),
        ("inquiry", "lead", 1, 12),
        ("inquiry", "lead", 1, 28),
        ("opportunity", "lead", 1, 17),
        ("opportunity", "opportunity", 1, 22),
        ("raw_lead", "lead", 1, 0),
    ]
    assert (young, middle) == (5, 1)


# ---- pipeline snapshot -----------------------------------------------------------------------


def snapshot_rows(db_path: Path) -> list[tuple]:
    return query(
        db_path,
        "select snapshot_date, opportunity_id, stage_code, days_open, reporting_amount "
        "from marts.fct_pipeline_snapshot order by 1, 2",
    )


def test_pipeline_snapshot_accumulates_by_day(messy, tmp_path):
    settings, _ = messy
    copy = Settings.from_env(landing_dir=MESSY_FIXTURE, warehouse_dir=tmp_path / "warehouse")
    shutil.copytree(settings.warehouse_dir, copy.warehouse_dir)
    first_day = [
        (date(2024, 4, 1), "O4", "opportunity", 22, Decimal("7000.00")),
        (date(2024, 4, 1), "O5", "opportunity", None, None),
        (date(2024, 4, 1), "O6", "opportunity", 17, Decimal("3813.78")),
    ]
    earlier_day = [
        (date(2024, 2, 14), "O1", "opportunity", 20, Decimal("10000.00")),
        (date(2024, 2, 14), "O3", "opportunity", 9, Decimal("2000.00")),
        (date(2024, 2, 14), "O5", "opportunity", None, None),
    ]
    snapshot_models = ["--select", "int_as_of_date", "fct_pipeline_snapshot", *MODELS_ONLY]

    assert snapshot_rows(copy.build_db_path) == first_day
    run_dbt_build(copy, [*snapshot_models, "--vars", MESSY_VARS])
    assert snapshot_rows(copy.build_db_path) == first_day
    run_dbt_build(copy, [*snapshot_models, "--vars", "{as_of_date: 2024-02-14}"])
    assert snapshot_rows(copy.build_db_path) == earlier_day + first_day
    # A full refresh (funnelmart run --full-refresh) rebuilds other models but keeps the history.
    run_dbt_build(copy, [*snapshot_models, "--vars", MESSY_VARS, "--full-refresh"])
    assert snapshot_rows(copy.build_db_path) == earlier_day + first_day
