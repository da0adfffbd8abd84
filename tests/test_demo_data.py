"""Tests of the seeded demo-data generator (orchestration/demo_data.py).

The truth the generator writes is checked against an independent reading of its CSV files:
plain Python, a hand-written status and country table, no code shared with the generator.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from orchestration.contract import load_contract
from orchestration.demo_data import TRUTH_FILE_NAME, DemoTruth, write_demo_data

CONTRACT_FILES = (
    "leads.csv", "stage_events.csv", "stage_dates.csv", "web_visits.csv", "campaigns.csv", "campaign_spend.csv",
    "reps.csv", "opportunities.csv", "bookings.csv",
)
FUNNEL = ("raw_lead", "inquiry", "contact", "opportunity", "closed_won", "closed_lost")
POSITIONS = {"raw_lead": 1, "inquiry": 2, "contact": 3, "opportunity": 4, "closed_won": 5, "closed_lost": 5}

# Status mapping of the `default` source system for the statuses the generator writes,
# matched case-insensitively on trimmed text as seeds/status_mappings.csv is.
STATUS_STAGES = {
    "new": "raw_lead",
    "mql": "inquiry",
    "working": "contact",
    "sql": "opportunity",
    "prospecting": "opportunity",
    "proposal": "opportunity",
    "won": "closed_won",
    "lost": "closed_lost",
    "nurture": "nurture",
    "disqualified": "disqualified",
}
# Every country text the generator may write, resolved by hand to ISO alpha-2.
COUNTRY_CODES = {
    "US": "US", "USA": "US", "United States of America": "US",
    "CA": "CA", "CAN": "CA", "Canada": "CA",
    "GB": "GB", "GBR": "GB", "UK": "GB", "Great Britain": "GB",
    "DE": "DE", "DEU": "DE", "Germany": "DE", "Deutschland": "DE",
    "FR": "FR", "FRA": "FR", "France": "FR",
    "NL": "NL", "NLD": "NL",
    "SE": "SE", "SWE": "SE", "Sweden": "SE",
    "ES": "ES", "ESP": "ES", "Spain": "ES",
    "IT": "IT", "ITA": "IT", "Italy": "IT",
    "BR": "BR", "BRA": "BR", "Brazil": "BR", "Brasil": "BR",
    "MX": "MX", "MEX": "MX", "Mexico": "MX",
    "JP": "JP", "JPN": "JP", "Japan": "JP",
    "AU": "AU", "AUS": "AU", "Australia": "AU",
    "IN": "IN", "IND": "IN", "India": "IN",
    "SG": "SG", "SGP": "SG", "Singapore": "SG",
    "": "ZZ",
}
KNOWN_CURRENCIES = {"USD", "EUR", "GBP", "JPY", "BRL"}
EXPORT_AT = datetime(2026, 10, 1)


def read_rows(landing: Path, file_name: str) -> list[dict[str, str]]:
    with (landing / file_name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_header(landing: Path, file_name: str) -> list[str]:
    with (landing / file_name).open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def parse_utc(text: str) -> datetime | None:
    """Parse an ISO 8601 timestamp to naive UTC, or return None. A value without an offset is UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def is_decimal(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def valid_bookings(landing: Path) -> list[dict[str, str]]:
    return [
        row for row in read_rows(landing, "bookings.csv")
        if is_decimal(row["booking_amount"]) and row["currency_code"] in KNOWN_CURRENCIES
    ]


def recompute_funnel(landing: Path, status_stages: dict[str, str] = STATUS_STAGES) -> dict[str, object]:
    """Count stages per lead from the files alone, with funnel semantics."""
    leads = {
        row["lead_id"]: parse_utc(row["created_at"])
        for row in read_rows(landing, "leads.csv")
        if row["lead_id"] and parse_utc(row["created_at"]) is not None
    }
    stages: dict[str, set[str]] = {lead_id: {"raw_lead"} for lead_id in leads}

    opportunity_leads = {}
    for row in read_rows(landing, "opportunities.csv"):
        opportunity_leads[row["opportunity_id"]] = row["lead_id"]
        if not row["lead_id"]:
            continue
        if row["created_at"]:
            stages[row["lead_id"]].add("opportunity")
        outcome = status_stages[row["source_status"].strip().lower()]
        if row["closed_at"] and outcome in ("closed_won", "closed_lost"):
            stages[row["lead_id"]].add(outcome)

    for row in read_rows(landing, "stage_events.csv"):
        stage = status_stages[row["source_status"].strip().lower()]
        if row["record_type"] == "lead":
            stages[row["record_id"]].add(stage)
        elif opportunity_leads[row["record_id"]]:
            stages[opportunity_leads[row["record_id"]]].add(stage)

    for row in read_rows(landing, "stage_dates.csv"):
        assert row["record_type"] in ("", "lead")
        for column, value in row.items():
            if column.endswith("_at") and value:
                stages[row["record_id"]].add(status_stages[column.removesuffix("_at").lower()])

    for row in valid_bookings(landing):
        if row["lead_id"] and not row["opportunity_id"]:
            stages[row["lead_id"]].add("closed_won")

    reached = Counter()
    entered = Counter()
    for lead_stages in stages.values():
        top = max(POSITIONS[stage] for stage in lead_stages if stage in POSITIONS)
        for stage in ("raw_lead", "inquiry", "contact", "opportunity"):
            if POSITIONS[stage] <= top:
                reached[stage] += 1
        for stage in ("closed_won", "closed_lost"):
            if stage in lead_stages:
                reached[stage] += 1
        for stage in ("nurture", "disqualified"):
            if stage in lead_stages:
                entered[stage] += 1
    return {
        "leads": leads,
        "stages_reached": {stage: reached[stage] for stage in FUNNEL},
        "stages_entered": {"nurture": entered["nurture"], "disqualified": entered["disqualified"]},
        "won_and_lost": sum(1 for lead_stages in stages.values() if {"closed_won", "closed_lost"} <= lead_stages),
    }


def money_by_currency(rows: list[dict[str, str]], amount_column: str) -> dict[str, dict[str, object]]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    counts: Counter[str] = Counter()
    for row in rows:
        totals[row["currency_code"]] += Decimal(row[amount_column])
        counts[row["currency_code"]] += 1
    return {currency: {"count": counts[currency], "total_amount": totals[currency]} for currency in totals}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoTruth]:
    landing = tmp_path_factory.mktemp("landing")
    truth = write_demo_data(landing, leads=3000, seed=42)
    return landing, truth


def test_same_seed_identical_bytes(tmp_path: Path) -> None:
    write_demo_data(tmp_path / "first", leads=500, seed=7)
    write_demo_data(tmp_path / "second", leads=500, seed=7)

    for file_name in (*CONTRACT_FILES, TRUTH_FILE_NAME):
        first = (tmp_path / "first" / file_name).read_bytes()
        second = (tmp_path / "second" / file_name).read_bytes()
        assert first == second, file_name


def test_same_seed_across_hash_seeds(tmp_path: Path) -> None:
    write_demo_data(tmp_path / "here", leads=300, seed=11)
    script = (
        "import sys; from pathlib import Path; from orchestration.demo_data import write_demo_data; "
        "write_demo_data(Path(sys.argv[1]), leads=300, seed=11)"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "there")],
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        cwd=Path(__file__).resolve().parent.parent,
    )

    for file_name in (*CONTRACT_FILES, TRUTH_FILE_NAME):
        assert (tmp_path / "here" / file_name).read_bytes() == (tmp_path / "there" / file_name).read_bytes(), file_name


def test_different_seed_different_files(tmp_path: Path) -> None:
    first = write_demo_data(tmp_path / "first", leads=500, seed=1)
    second = write_demo_data(tmp_path / "second", leads=500, seed=2)

    assert (tmp_path / "first" / "leads.csv").read_bytes() != (tmp_path / "second" / "leads.csv").read_bytes()
    assert (tmp_path / "first" / "stage_events.csv").read_bytes() != (
        tmp_path / "second" / "stage_events.csv"
    ).read_bytes()
    assert first.seed == 1
    assert second.seed == 2
    assert first.leads == second.leads == 500


def test_headers_match_contract(demo: tuple[Path, DemoTruth]) -> None:
    landing, _ = demo
    contract = load_contract()

    for file_name in CONTRACT_FILES:
        entity = contract[file_name.removesuffix(".csv")]
        header = read_header(landing, file_name)
        if entity.wide:
            assert tuple(header[: len(entity.column_names)]) == entity.column_names
            status_columns = header[len(entity.column_names):]
            assert status_columns, "the wide file needs at least one status column"
            for column in status_columns:
                assert column.endswith("_at"), column
                assert column.removesuffix("_at").lower() in STATUS_STAGES, column
        else:
            assert tuple(header) == entity.column_names, file_name


def test_files_are_utf8_with_lf(demo: tuple[Path, DemoTruth]) -> None:
    landing, _ = demo

    for file_name in (*CONTRACT_FILES, TRUTH_FILE_NAME):
        content = (landing / file_name).read_bytes()
        assert b"\r" not in content, file_name
        assert content.endswith(b"\n"), file_name
        content.decode("utf-8")
    assert "Müller" in (landing / "leads.csv").read_text(encoding="utf-8")


def test_rows_have_header_field_count(demo: tuple[Path, DemoTruth]) -> None:
    landing, truth = demo

    for file_name in CONTRACT_FILES:
        with (landing / file_name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        header, data = rows[0], rows[1:]
        assert {len(row) for row in data} <= {len(header)}, file_name
        assert len(data) == truth.file_rows[file_name], file_name


def test_truth_funnel_is_consistent(demo: tuple[Path, DemoTruth]) -> None:
    _, truth = demo
    reached = truth.stages_reached

    assert reached["raw_lead"] == truth.leads
    assert reached["raw_lead"] >= reached["inquiry"] >= reached["contact"] >= reached["opportunity"]
    assert reached["opportunity"] >= reached["closed_won"]
    assert reached["opportunity"] >= reached["closed_lost"]
    assert truth.leads_won == reached["closed_won"]
    assert truth.leads_lost == reached["closed_lost"]
    assert truth.leads_won + truth.leads_lost - truth.leads_won_and_lost <= reached["opportunity"]
    assert truth.leads_won_and_lost <= min(truth.leads_won, truth.leads_lost)
    assert truth.stages_entered["nurture"] <= truth.leads
    assert truth.stages_entered["disqualified"] <= truth.leads

    opportunities = truth.opportunities
    assert opportunities["won"] + opportunities["lost"] + opportunities["open"] == opportunities["count"]
    assert opportunities["with_lead"] <= opportunities["count"]

    assert sum(truth.leads_by_lead_source.values()) == truth.leads
    assert sum(truth.leads_by_country.values()) == truth.leads
    assert sum(truth.leads_by_created_month.values()) == truth.leads
    assert sum(currency["count"] for currency in truth.bookings["by_currency"].values()) == truth.bookings["count"]
    assert sum(truth.bookings["by_pillar"].values()) == truth.bookings["count"]
    assert truth.bookings["without_opportunity"] == truth.planted["web_shop_bookings"]
    assert truth.quarantined["leads"] + truth.leads == truth.file_rows["leads.csv"]


def test_truth_plants_every_case(demo: tuple[Path, DemoTruth]) -> None:
    _, truth = demo

    assert truth.leads_won_and_lost > 0
    assert truth.stages_entered["nurture"] > 0
    assert truth.stages_entered["disqualified"] > 0
    for name in (
        "leads_in_stage_dates", "leads_skipping_to_opportunity", "leads_recycled_from_nurture",
        "leads_with_same_second_events", "leads_with_unmapped_campaign", "leads_with_second_opportunity",
        "leads_without_owner", "web_shop_bookings", "opportunities_without_created_at",
    ):
        assert truth.planted[name] > 0, name
    assert len(truth.planted["time_zone_boundary_leads"]) == 2
    assert set(truth.bookings["by_currency"]) == KNOWN_CURRENCIES
    assert set(truth.leads_by_lead_source) >= {"(not set)", "paid_search", "webinar", "events", "partner"}
    assert "ZZ" in truth.leads_by_country
    assert truth.web_visits["returning_visitors"] > 0
    assert truth.web_visits["form_submits_without_lead"] > 0


def test_truth_matches_files_recomputed(demo: tuple[Path, DemoTruth]) -> None:
    landing, truth = demo
    recomputed = recompute_funnel(landing)

    assert len(recomputed["leads"]) == truth.leads
    assert recomputed["stages_reached"] == truth.stages_reached
    assert recomputed["stages_entered"] == truth.stages_entered
    assert recomputed["won_and_lost"] == truth.leads_won_and_lost

    months = Counter(created_at.strftime("%Y-%m") for created_at in recomputed["leads"].values())
    assert dict(months) == truth.leads_by_created_month

    valid_leads = [row for row in read_rows(landing, "leads.csv") if row["lead_id"] in recomputed["leads"]]
    sources = Counter(row["lead_source"].strip().lower() or "(not set)" for row in valid_leads)
    assert dict(sources) == truth.leads_by_lead_source
    countries = Counter(COUNTRY_CODES[row["country"].strip()] for row in valid_leads)
    assert dict(countries) == truth.leads_by_country


@pytest.mark.parametrize("sql_stage", ["opportunity", "contact"])
def test_truth_independent_of_sql_mapping(demo: tuple[Path, DemoTruth], sql_stage: str) -> None:
    # Some status tables map SQL to contact, others to opportunity. The truth must hold for both.
    landing, truth = demo
    recomputed = recompute_funnel(landing, {**STATUS_STAGES, "sql": sql_stage})

    assert recomputed["stages_reached"] == truth.stages_reached
    assert recomputed["stages_entered"] == truth.stages_entered
    assert recomputed["won_and_lost"] == truth.leads_won_and_lost


def test_truth_money_matches_files(demo: tuple[Path, DemoTruth]) -> None:
    landing, truth = demo

    bookings = valid_bookings(landing)
    assert len(bookings) == truth.bookings["count"]
    expected = money_by_currency(bookings, "booking_amount")
    for currency, values in truth.bookings["by_currency"].items():
        assert values["count"] == expected[currency]["count"], currency
        assert Decimal(values["total_amount"]) == expected[currency]["total_amount"], currency
    assert dict(Counter(row["pillar"] for row in bookings)) == truth.bookings["by_pillar"]

    spend = [row for row in read_rows(landing, "campaign_spend.csv") if is_date(row["spend_date"])]
    assert len(spend) == truth.campaign_spend["rows"]
    expected = money_by_currency(spend, "spend_amount")
    for currency, values in truth.campaign_spend["by_currency"].items():
        assert Decimal(values["total_amount"]) == expected[currency]["total_amount"], currency

    opportunities = read_rows(landing, "opportunities.csv")
    statuses = Counter(row["source_status"] for row in opportunities)
    assert len(opportunities) == truth.opportunities["count"]
    assert statuses["Won"] == truth.opportunities["won"]
    assert statuses["Lost"] == truth.opportunities["lost"]
    assert statuses["Prospecting"] + statuses["Proposal"] == truth.opportunities["open"]
    assert sum(1 for row in opportunities if row["lead_id"]) == truth.opportunities["with_lead"]


def test_bad_rows_found_by_naive_check(demo: tuple[Path, DemoTruth]) -> None:
    landing, truth = demo

    leads = read_rows(landing, "leads.csv")
    missing_id_lines = [line for line, row in enumerate(leads, start=2) if not row["lead_id"]]
    bad_created_lines = [
        line for line, row in enumerate(leads, start=2) if row["lead_id"] and parse_utc(row["created_at"]) is None
    ]
    bookings = read_rows(landing, "bookings.csv")
    bad_amount_lines = [line for line, row in enumerate(bookings, start=2) if not is_decimal(row["booking_amount"])]
    bad_currency_lines = [
        line for line, row in enumerate(bookings, start=2) if row["currency_code"] not in KNOWN_CURRENCIES
    ]
    spend = read_rows(landing, "campaign_spend.csv")
    bad_date_lines = [line for line, row in enumerate(spend, start=2) if not is_date(row["spend_date"])]

    assert len(missing_id_lines) == 1
    assert len(bad_created_lines) == 1
    assert len(bad_amount_lines) == 1
    assert len(bad_currency_lines) == 1
    assert len(bad_date_lines) == 1
    assert truth.quarantined["leads"] == len(missing_id_lines) + len(bad_created_lines)
    assert truth.quarantined["bookings"] == len(bad_amount_lines) + len(bad_currency_lines)
    assert truth.quarantined["campaign_spend"] == len(bad_date_lines)
    assert sum(truth.quarantined.values()) == 5

    planted_lines = {(bad_row["file"], bad_row["column"]): bad_row["line"] for bad_row in truth.bad_rows}
    assert planted_lines == {
        ("leads.csv", "lead_id"): missing_id_lines[0],
        ("leads.csv", "created_at"): bad_created_lines[0],
        ("bookings.csv", "booking_amount"): bad_amount_lines[0],
        ("bookings.csv", "currency_code"): bad_currency_lines[0],
        ("campaign_spend.csv", "spend_date"): bad_date_lines[0],
    }


def test_events_within_lead_lifetime(demo: tuple[Path, DemoTruth]) -> None:
    landing, _ = demo
    created = recompute_funnel(landing)["leads"]
    opportunity_leads = {row["opportunity_id"]: row["lead_id"] for row in read_rows(landing, "opportunities.csv")}

    for row in read_rows(landing, "stage_events.csv"):
        changed_at = parse_utc(row["changed_at"])
        assert changed_at is not None, row
        assert "." not in row["changed_at"], row
        assert changed_at < EXPORT_AT, row
        lead_id = row["record_id"] if row["record_type"] == "lead" else opportunity_leads[row["record_id"]]
        if lead_id:
            assert changed_at >= created[lead_id], row

    for created_at in created.values():
        assert datetime(2025, 1, 1) <= created_at < datetime(2026, 7, 1)


def test_spend_within_campaign_dates(demo: tuple[Path, DemoTruth]) -> None:
    landing, _ = demo
    campaigns = {row["campaign_id"]: row for row in read_rows(landing, "campaigns.csv")}

    currencies = set()
    for row in read_rows(landing, "campaign_spend.csv"):
        if not is_date(row["spend_date"]):
            continue
        campaign = campaigns[row["campaign_id"]]
        assert campaign["start_date"] <= row["spend_date"] <= campaign["end_date"], row
        currencies.add(row["currency_code"])
    assert currencies == KNOWN_CURRENCIES
    assert set(row["channel"] for row in campaigns.values()) == {
        "paid_search", "paid_social", "email", "webinar", "events", "content", "display", "partner",
    }


def test_timestamp_formats_mixed(demo: tuple[Path, DemoTruth]) -> None:
    landing, _ = demo
    texts = [row["created_at"] for row in read_rows(landing, "leads.csv")]
    texts += [row["changed_at"] for row in read_rows(landing, "stage_events.csv")]

    assert any(text.endswith("Z") for text in texts)
    assert any(text.endswith("+02:00") for text in texts)
    assert any(text.endswith("-05:00") for text in texts)
    plain = [text for text in texts if len(text) == 19 and text[10] == " "]
    assert len(plain) > len(texts) * 0.8


def test_truth_json_round_trip(demo: tuple[Path, DemoTruth]) -> None:
    landing, truth = demo

    assert DemoTruth.read(landing / TRUTH_FILE_NAME) == truth
    document = json.loads((landing / TRUTH_FILE_NAME).read_text(encoding="utf-8"))
    assert document["seed"] == 42
    assert document["source_time_zone"] == "UTC"


def test_tiny_generation_exact_values(tmp_path: Path) -> None:
    truth = write_demo_data(tmp_path, leads=20, seed=42)
    leads = read_rows(tmp_path, "leads.csv")

    # 20 valid leads in id order plus the two planted bad rows.
    assert len(leads) == 22
    valid_ids = [row["lead_id"] for row in leads if row["lead_id"] and row["created_at"] != "2025-02-30 09:15:00"]
    assert valid_ids == [f"L{number:06d}" for number in range(1, 21)]
    assert truth.leads == 20
    assert truth.stages_reached["raw_lead"] == 20
    assert truth.quarantined == {
        "leads": 2, "stage_events": 0, "stage_dates": 0, "web_visits": 0, "campaigns": 0, "campaign_spend": 1,
        "reps": 0, "opportunities": 0, "bookings": 2,
    }

    missing_id = next(row for row in leads if not row["lead_id"])
    assert missing_id["email"] == "kai.berger@polar-labs.example"
    bad_created = next(row for row in leads if row["created_at"] == "2025-02-30 09:15:00")
    assert bad_created["lead_id"] == "L000021"

    # The two time-zone boundary leads: local month differs from the UTC month.
    boundary = {item["created_at_text"]: item for item in truth.planted["time_zone_boundary_leads"]}
    assert boundary["2025-02-01T01:30:00+02:00"]["created_at_utc"] == "2025-01-31 23:30:00"
    assert boundary["2026-02-28T21:00:00-05:00"]["created_at_utc"] == "2026-03-01 02:00:00"
    texts = {row["created_at"]: row["lead_id"] for row in leads}
    assert texts["2025-02-01T01:30:00+02:00"] == boundary["2025-02-01T01:30:00+02:00"]["lead_id"]
    assert truth.leads_by_created_month["2025-01"] >= 1
    assert truth.leads_by_created_month["2026-03"] >= 1

    # 6 quarters x 14 campaigns + 3 half-years x 3 campaigns, whatever the lead count.
    assert truth.campaigns == 93
    assert len(read_rows(tmp_path, "campaigns.csv")) == 93
    bad_spend = [row for row in read_rows(tmp_path, "campaign_spend.csv") if row["spend_date"] == "2025-02-29"]
    assert bad_spend == [{"campaign_id": "CMP-0001", "spend_date": "2025-02-29", "spend_amount": "512.40",
                          "currency_code": "USD"}]

    bookings = read_rows(tmp_path, "bookings.csv")
    assert [row["booking_amount"] for row in bookings if row["currency_code"] == "XXX"] == ["1500.00"]
    assert [row["currency_code"] for row in bookings if row["booking_amount"] == "TBD"] == ["USD"]

    # max(1, 20 // 200) = 1 renewal opportunity: the one without a creation date.
    opportunities = read_rows(tmp_path, "opportunities.csv")
    without_lead = [row for row in opportunities if not row["lead_id"]]
    assert len(without_lead) == 1
    assert without_lead[0]["created_at"] == ""
    assert without_lead[0]["source_status"] == "Prospecting"
    assert without_lead[0]["pillar"] == "renewal"
    assert without_lead[0]["rep_id"] == "R401"

    # Bots: 4 crawlers x 10 page views + a burst of 60 requests from one script.
    assert truth.web_visits["bot_visitors"] == 5
    assert truth.web_visits["bot_rows"] == 100
    visits = read_rows(tmp_path, "web_visits.csv")
    burst = [row for row in visits if row["user_agent"] == "python-requests/2.31.0"]
    assert len(burst) == 60
    assert len({row["visitor_id"] for row in burst}) == 1
    burst_moments = [parse_utc(row["occurred_at"]) for row in burst]
    assert (max(burst_moments) - min(burst_moments)).total_seconds() == 14


def test_reps_change_team_and_territory(tmp_path: Path) -> None:
    truth = write_demo_data(tmp_path, leads=20, seed=42)
    reps = read_rows(tmp_path, "reps.csv")

    assert len(reps) == 27
    assert truth.reps == {"rows": 27, "reps": 25}
    assert {row["team"] for row in reps} == {"sdr", "inside", "field", "renewals", "partner"}
    territory_change = [row for row in reps if row["rep_id"] == "R202"]
    assert [(row["territory"], row["valid_from"], row["valid_to"]) for row in territory_change] == [
        ("NA West", "2024-03-01", "2025-09-30"),
        ("NA East", "2025-10-01", ""),
    ]
    team_change = [row for row in reps if row["rep_id"] == "R104"]
    assert [(row["team"], row["manager_name"], row["valid_from"], row["valid_to"]) for row in team_change] == [
        ("sdr", "Jonas Berg", "", "2025-12-31"),
        ("inside", "Claire Dubois", "2026-01-01", ""),
    ]


def test_web_visitors_identify_on_form(demo: tuple[Path, DemoTruth]) -> None:
    landing, truth = demo
    visits = read_rows(landing, "web_visits.csv")
    lead_ids = set(recompute_funnel(landing)["leads"])

    form_submits = [row for row in visits if row["event_type"] == "form_submit"]
    with_lead = [row for row in form_submits if row["lead_id"]]
    assert len(visits) == truth.web_visits["rows"]
    assert len(form_submits) == truth.web_visits["form_submits"]
    assert len(with_lead) == truth.web_visits["form_submits_with_lead"]
    assert {row["lead_id"] for row in with_lead} <= lead_ids
    assert len({row["visitor_id"] for row in visits}) == truth.web_visits["visitors"]
    assert len({row["visitor_id"] for row in with_lead}) == truth.web_visits["identified_visitors"]
    assert all(row["event_type"] == "page_view" for row in visits if not row["lead_id"] and not row["email"])
    crawlers = [row for row in visits if "bot" in row["user_agent"].lower()]
    assert crawlers
    assert all(not row["lead_id"] for row in crawlers)
    assert any(row["utm_campaign"].startswith("CMP-") for row in visits)


def test_large_generation_completes(tmp_path: Path) -> None:
    # Checks that 50,000 leads generate with the expected sizes. This test does not assert speed.
    truth = write_demo_data(tmp_path, leads=50_000, seed=3)

    assert truth.leads == 50_000
    assert truth.file_rows["leads.csv"] == 50_002
    assert truth.stages_reached["raw_lead"] == 50_000
    with (tmp_path / "leads.csv").open(encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == 50_003


def test_rejects_fewer_than_one_lead(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="leads must be at least 1"):
        write_demo_data(tmp_path, leads=0)
    assert not (tmp_path / "leads.csv").exists()


def test_module_imports_standard_library_only() -> None:
    source = Path(__file__).resolve().parent.parent / "orchestration" / "demo_data.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))

    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == {"orchestration"}
