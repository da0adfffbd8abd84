"""The main job end to end on demo data: the published marts match the planted truth."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.pipeline import JobFailed, run_job
from orchestration.settings import Settings

def published(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.published_db_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_stage_counts_match_truth(demo_run):
    settings, truth = demo_run.settings, demo_run.truth
    stages = ["raw_lead", "inquiry", "contact", "opportunity", "closed_won", "closed_lost"]
    columns = ", ".join(f"count({stage}_at)" for stage in stages)

    [counts] = published(settings, f"select {columns} from fct_lead_funnel")

    assert dict(zip(stages, counts)) == truth.as_dict()["stages_reached"]


def test_quarantine_counts_match_truth(demo_run):
    settings, result, truth = demo_run.settings, demo_run.result, demo_run.truth
    quarantined = {entity: count for entity, count in truth.as_dict()["quarantined"].items() if count}

    loaded = {}
    for file_result in result.load.loaded_files:
        if file_result.rows_quarantined:
            loaded[file_result.entity] = file_result.rows_quarantined
        assert file_result.rows_read == file_result.rows_loaded + file_result.rows_quarantined

    assert loaded == quarantined


def test_bookings_per_currency_match_truth(demo_run):
    settings, truth = demo_run.settings, demo_run.truth
    expected = {
        currency: (totals["count"], Decimal(totals["total_amount"]))
        for currency, totals in truth.as_dict()["bookings"]["by_currency"].items()
    }

    rows = published(settings, "select currency_code, count(*), sum(booking_amount) from fct_bookings group by 1")

    assert {currency: (count, Decimal(total)) for currency, count, total in rows} == expected


def test_reporting_amounts_all_converted(demo_run):
    settings = demo_run.settings

    [(missing, currencies)] = published(
        settings,
        "select count(*) filter (where reporting_amount is null), count(distinct reporting_currency_code) from fct_bookings",
    )

    assert missing == 0
    assert currencies == 1


def test_leads_per_source_match_truth(demo_run):
    settings, truth = demo_run.settings, demo_run.truth

    rows = published(
        settings,
        "select s.lead_source, count(*) from fct_lead_funnel f "
        "join dim_lead_source s using (lead_source_key) group by 1",
    )

    assert dict(rows) == truth.as_dict()["leads_by_lead_source"]


def test_opportunity_outcomes_match_truth(demo_run):
    settings, truth = demo_run.settings, demo_run.truth
    expected = truth.as_dict()["opportunities"]

    [(count, won, lost, still_open)] = published(
        settings,
        "select count(*), count(*) filter (where is_won), count(*) filter (where is_lost), "
        "count(*) filter (where is_open) from fct_opportunities",
    )

    assert (count, won, lost, still_open) == (expected["count"], expected["won"], expected["lost"], expected["open"])


def test_conversion_rates_within_bounds(demo_run):
    settings = demo_run.settings

    [(low, high, over_converted)] = published(
        settings,
        "select min(conversion_rate), max(conversion_rate), count(*) filter (where converted_count > entered_count) "
        "from rpt_funnel_conversion",
    )

    assert low >= 0
    assert high <= 1
    assert over_converted == 0


def test_summary_names_published_file(demo_run):
    settings, result, truth = demo_run.settings, demo_run.result, demo_run.truth

    text = result.summary_text()

    assert str(settings.published_db_path) in text
    assert f"raw_lead     {truth.as_dict()['stages_reached']['raw_lead']:>10,}" in text


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def copied_run(demo_run, tmp_path):
    """Return settings for a copy of the module's landing folder and warehouse, to run the job again."""
    settings = demo_run.settings
    shutil.copytree(settings.landing_dir, tmp_path / "landing")
    shutil.copytree(settings.warehouse_dir, tmp_path / "warehouse")
    return Settings.from_env(landing_dir=tmp_path / "landing", warehouse_dir=tmp_path / "warehouse")


def test_rerun_loads_only_new_files_while_reader_open(demo_run, copied_run):
    """A second run loads only the new file. A reader holding the published file does not block it and keeps the old version."""
    first = demo_run.result
    reader = duckdb.connect(str(copied_run.published_db_path), read_only=True)
    [(leads_before,)] = reader.execute("select count(*) from fct_lead_funnel").fetchall()
    (copied_run.landing_dir / "leads_more.csv").write_text(
        "lead_id,created_at,country\nNEW-1,2025-05-01 09:00:00,DE\nNEW-2,2025-05-02 09:00:00,US\n", encoding="utf-8"
    )

    try:
        second = run_job(copied_run, echo=lambda message: None)
        [(leads_seen_by_open_reader,)] = reader.execute("select count(*) from fct_lead_funnel").fetchall()
    finally:
        reader.close()

    # Read once the reader is closed: DuckDB shares one open database per file within a process.
    stages = list(first.summary.stage_counts)
    [stage_counts] = published(copied_run, f"select {', '.join(f'count({stage}_at)' for stage in stages)} from fct_lead_funnel")
    [(bookings_after,)] = published(copied_run, "select count(*) from fct_bookings")
    assert second.load.totals()["rows_loaded"] == 2
    assert second.load.totals()["files_skipped"] == first.load.totals()["files"]
    assert leads_seen_by_open_reader == leads_before
    # The two new leads reached no stage beyond raw_lead, so no other figure moves.
    assert dict(zip(stages, stage_counts)) == {**first.summary.stage_counts, "raw_lead": leads_before + 2}
    assert bookings_after == first.summary.booking_count


def test_failed_gate_keeps_published_datamart(copied_run):
    before = file_digest(copied_run.published_db_path)
    # A new leads file repeats one lead id twice: a duplicate key inside one raw file.
    (copied_run.landing_dir / "leads_fix.csv").write_text(
        "lead_id,created_at\nDUP-1,2025-03-01 10:00:00\nDUP-1,2025-03-02 10:00:00\n", encoding="utf-8"
    )

    with pytest.raises(JobFailed) as raised:
        run_job(copied_run, echo=lambda message: None)

    assert "DUP-1" in str(raised.value)
    assert file_digest(copied_run.published_db_path) == before


def test_published_columns_documented(demo_run, dbt_manifest):
    settings = demo_run.settings
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    models = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}

    columns = published(
        settings,
        "select table_name, column_name, comment from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' and not starts_with(table_name, '_')",
    )

    undocumented = [
        f"{table}.{column}"
        for table, column, _ in columns
        if not models[table]["columns"].get(column, {}).get("description")
    ]
    without_comment = [f"{table}.{column}" for table, column, comment in columns if not comment]
    assert columns
    assert undocumented == []
    assert without_comment == []


# ---- funnel rules on the demo data (docs/funnel-rules.md) ------------------------------------


@pytest.fixture
def demo(demo_run):
    """The settings and planted truth of the session's demo run."""
    return demo_run.settings, demo_run.truth.as_dict()


def demo_people(landing: Path, truth: dict) -> int:
    """Count the people among the demo's valid leads: one per email after trimming and lower-casing, one per blank."""
    quarantined_lines = {row["line"] for row in truth["bad_rows"] if row["entity"] == "leads"}
    with (landing / "leads.csv").open(encoding="utf-8", newline="") as source:
        leads = [row for line, row in enumerate(csv.DictReader(source), start=2) if line not in quarantined_lines]
    emails = {row["email"].strip().lower() for row in leads if row["email"].strip()}
    blanks = sum(1 for row in leads if not row["email"].strip())
    return len(emails) + blanks


def test_demo_reentries_and_reopens_match_truth(demo):
    settings, truth = demo
    [(recycled,)] = published(
        settings,
        "select count(distinct lead_id) from fct_stage_transitions where to_stage = 'inquiry' and is_reentry",
    )
    [(reopened,)] = published(settings, "select count(*) from fct_lead_funnel where is_reopened_after_loss")

    assert recycled == truth["planted"]["leads_recycled_from_nurture"]
    assert reopened == truth["planted"]["leads_with_second_opportunity"]


def test_demo_cohorts_count_every_person(demo):
    settings, truth = demo
    lead_months = published(settings, "select strftime(cohort_month, '%Y-%m'), count(*) from fct_lead_funnel group by 1")
    [(people, cohort_people)] = published(
        settings,
        "select (select count(*) from dim_person), (select sum(entered_count) from rpt_cohort_conversion "
        "where from_stage = 'raw_lead' and to_stage = 'inquiry')",
    )
    boundary = {lead["lead_id"]: lead["created_at_utc"][:7] for lead in truth["planted"]["time_zone_boundary_leads"]}
    cohorts = dict(
        published(
            settings,
            "select lead_id, strftime(cohort_month, '%Y-%m') from fct_lead_funnel "
            f"where lead_id in ({', '.join(repr(lead_id) for lead_id in boundary)})",
        )
    )

    assert dict(lead_months) == truth["leads_by_created_month"]
    assert people == cohort_people == demo_people(settings.landing_dir, truth) == 600
    assert cohorts == boundary


def test_demo_win_loss_matches_truth(demo):
    settings, truth = demo
    [(won, lost)] = published(settings, "select sum(won_count), sum(lost_count) from rpt_win_loss")
    [(open_now,)] = published(settings, "select count(*) from fct_pipeline_snapshot")

    assert (won, lost) == (truth["opportunities"]["won"], truth["opportunities"]["lost"])
    assert open_now == truth["opportunities"]["open"]
