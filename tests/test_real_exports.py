"""The main job on the real Olist and Maven exports: published figures against the CSVs themselves.

The expected numbers are computed here with the csv module straight from the source files,
independently of the import profiles and the dbt models.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.settings import Settings


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as source:
        return list(csv.DictReader(source))


def published(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.published_db_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_olist_leads_and_won(olist_run):
    export, settings = olist_run
    leads = read_rows(export / "olist_marketing_qualified_leads_dataset.csv")
    won_ids = {row["mql_id"] for row in read_rows(export / "olist_closed_deals_dataset.csv")}

    [(lead_count, won_count, inquiry_count)] = published(
        settings, "select count(*), count(closed_won_at), count(inquiry_at) from fct_lead_funnel"
    )

    assert lead_count == len(leads) == 8000
    assert won_count == len(won_ids) == 842
    assert inquiry_count == 8000
    assert round(won_count / lead_count, 3) == 0.105


def test_olist_counts_per_origin(olist_run):
    export, settings = olist_run
    leads = read_rows(export / "olist_marketing_qualified_leads_dataset.csv")
    won_ids = {row["mql_id"] for row in read_rows(export / "olist_closed_deals_dataset.csv")}
    expected_leads = Counter(row["origin"].strip() or "(not set)" for row in leads)
    expected_won = Counter(row["origin"].strip() or "(not set)" for row in leads if row["mql_id"] in won_ids)

    rows = published(
        settings,
        "select s.lead_source, count(*), count(f.closed_won_at) from fct_lead_funnel f "
        "join dim_lead_source s using (lead_source_key) group by 1",
    )

    assert {source: leads for source, leads, _ in rows} == dict(expected_leads)
    assert {source: won for source, _, won in rows if won} == dict(expected_won)
    assert dict((source, leads) for source, leads, _ in rows)["organic_search"] == 2296
    assert expected_leads["(not set)"] == 60
    assert expected_leads["unknown"] == 1099


def test_olist_bookings_in_brl(olist_run):
    export, settings = olist_run
    deals = read_rows(export / "olist_closed_deals_dataset.csv")
    expected_total = sum(Decimal(row["declared_monthly_revenue"] or "0") for row in deals)

    [(count, total, currencies)] = published(
        settings, "select count(*), sum(booking_amount), string_agg(distinct currency_code) from fct_bookings"
    )

    assert count == 842
    assert Decimal(total) == expected_total
    assert currencies == "BRL"


def test_maven_won_and_lost(maven_run):
    export, settings = maven_run
    stages = Counter(row["deal_stage"] for row in read_rows(export / "sales_pipeline.csv"))

    [(total, won, lost, still_open)] = published(
        settings,
        "select count(*), count(*) filter (where is_won), count(*) filter (where is_lost), "
        "count(*) filter (where is_open) from fct_opportunities",
    )

    assert total == sum(stages.values()) == 8800
    assert won == stages["Won"] == 4238
    assert lost == stages["Lost"] == 2473
    assert still_open == stages["Engaging"] + stages["Prospecting"]


def test_maven_bookings_per_regional_office(maven_run):
    export, settings = maven_run
    office_of = {row["sales_agent"]: row["regional_office"] for row in read_rows(export / "sales_teams.csv")}
    expected = defaultdict(Decimal)
    for row in read_rows(export / "sales_pipeline.csv"):
        if row["deal_stage"] == "Won":
            expected[office_of[row["sales_agent"]]] += Decimal(row["close_value"])

    rows = published(
        settings,
        "select r.territory, sum(b.booking_amount) from fct_bookings b join dim_rep r using (rep_key) group by 1",
    )

    assert {office: Decimal(total) for office, total in rows} == dict(expected)
    assert sum(expected.values()) == 10_005_534
    assert expected["Central"] == 3_346_293


def test_maven_win_rate_per_office(maven_run):
    _, settings = maven_run

    rows = published(
        settings,
        "select r.territory, count(*) filter (where o.is_won), count(*) filter (where o.is_won or o.is_lost) "
        "from fct_opportunities o join dim_rep r using (rep_key) group by 1 order by 1",
    )

    assert rows == [("Central", 1629, 2604), ("East", 1171, 1858), ("West", 1438, 2249)]


def test_maven_win_loss_per_office(maven_run):
    export, settings = maven_run
    with (export / "sales_pipeline.csv").open(encoding="utf-8", newline="") as source:
        stages = [row["deal_stage"] for row in csv.DictReader(source)]

    rows = published(
        settings,
        "select territory, sum(won_count), sum(closed_count), sum(won_reporting_amount) from rpt_win_loss "
        "group by 1 order by 1",
    )
    [(open_pipeline,)] = published(settings, "select count(*) from fct_pipeline_snapshot")

    assert rows == [
        ("Central", 1629, 2604, Decimal("3346293")),
        ("East", 1171, 1858, Decimal("3090594")),
        ("West", 1438, 2249, Decimal("3568647")),
    ]
    assert open_pipeline == stages.count("Engaging") + stages.count("Prospecting") == 2089
