"""Tests for `funnelmart import`: the shipped profiles on the real exports, a hand-made export, and errors.

The real exports (Olist marketing funnel, Maven CRM sales opportunities) are not part of the
repository: they are expected in shared/data/real beside it. Without them these tests are
skipped, except under CI=true, where a missing folder fails the run.
Expected numbers come from the source CSVs, read here with the csv module, and from the
reference numbers published with each export.
"""

from __future__ import annotations

import csv
import os
import textwrap
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.contract import load_contract
from orchestration.importer import ImportReport, ProfileError, SourceFileError, import_export, load_profile

REAL_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
OLIST = "olist_marketing_funnel"
MAVEN = "maven_crm_sales_opportunities"


def real_export_dir(name: str) -> Path:
    folder = REAL_DATA_DIR / name
    if folder.is_dir():
        return folder
    message = f"Real export folder {folder} not found."
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} CI needs it: copy the exports into shared/data/real beside the repository.")
    pytest.skip(message)


def read_rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def read_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


@pytest.fixture(scope="module")
def olist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, ImportReport]:
    source_dir = real_export_dir(OLIST)
    landing_dir = tmp_path_factory.mktemp("olist_landing")
    return source_dir, landing_dir, import_export("olist", source_dir, landing_dir)


@pytest.fixture(scope="module")
def maven(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, ImportReport]:
    source_dir = real_export_dir(MAVEN)
    landing_dir = tmp_path_factory.mktemp("maven_landing")
    return source_dir, landing_dir, import_export("maven", source_dir, landing_dir)


# ---------------------------------------------------------------------------
# Olist


def test_olist_leads_match_mql_file(olist):
    source_dir, landing_dir, report = olist
    mqls = read_rows(source_dir / "olist_marketing_qualified_leads_dataset.csv")
    leads = read_rows(landing_dir / "leads.csv")

    assert len(mqls) == 8000
    assert len(leads) == 8000
    assert report.outputs["leads.csv"].rows_written == 8000
    assert report.sources["mqls"].rows_read == 8000
    assert not report.has_skipped_problems
    assert [lead["lead_id"] for lead in leads] == [mql["mql_id"] for mql in mqls]
    assert {lead["country"] for lead in leads} == {"BR"}
    assert {lead["source_system"] for lead in leads} == {"olist"}
    assert leads[0]["created_at"] == "2018-02-01 00:00:00"
    assert leads[0]["campaign_id"] == "88740e65d5d6b056e0cda098e1ea6313"


def test_olist_lead_sources_keep_blank(olist):
    source_dir, landing_dir, _report = olist
    published = {
        "organic_search": 2296,
        "paid_search": 1586,
        "social": 1350,
        "unknown": 1099,
        "direct_traffic": 499,
        "email": 493,
        "referral": 284,
        "other": 150,
        "display": 118,
        "other_publicities": 65,
        "": 60,
    }
    mqls = read_rows(source_dir / "olist_marketing_qualified_leads_dataset.csv")
    from_source = Counter(row["origin"] for row in mqls)
    imported = Counter(row["lead_source"] for row in read_rows(landing_dir / "leads.csv"))

    assert from_source == published
    assert imported == published


def test_olist_bookings_match_closed_deals(olist):
    source_dir, landing_dir, report = olist
    deals = read_rows(source_dir / "olist_closed_deals_dataset.csv")
    bookings = read_rows(landing_dir / "bookings.csv")
    lead_ids = {row["lead_id"] for row in read_rows(landing_dir / "leads.csv")}

    assert len(deals) == 842
    assert len(bookings) == 842
    assert [reason for reason in report.sources["deals"].skipped if reason.startswith("bookings")] == []
    assert [booking["booking_id"] for booking in bookings] == [deal["mql_id"] for deal in deals]
    assert {booking["lead_id"] for booking in bookings} <= lead_ids
    assert {booking["opportunity_id"] for booking in bookings} == {""}
    assert [booking["rep_id"] for booking in bookings] == [deal["sr_id"] for deal in deals]
    assert [booking["account_name"] for booking in bookings] == [deal["seller_id"] for deal in deals]
    assert {booking["currency_code"] for booking in bookings} == {"BRL"}
    assert {booking["pillar"] for booking in bookings} == {"new_business"}
    assert sum(Decimal(b["booking_amount"]) for b in bookings) == sum(
        Decimal(deal["declared_monthly_revenue"]) for deal in deals
    )
    assert sum(1 for booking in bookings if Decimal(booking["booking_amount"]) == 0) == 797
    assert bookings[0]["booked_at"] == "2018-02-26 19:58:54"


def test_olist_reps_from_sdr_and_sr(olist):
    source_dir, landing_dir, report = olist
    deals = read_rows(source_dir / "olist_closed_deals_dataset.csv")
    sdr_ids = {deal["sdr_id"] for deal in deals}
    sr_ids = {deal["sr_id"] for deal in deals}
    reps = read_rows(landing_dir / "reps.csv")
    team_by_rep = {rep["rep_id"]: rep["team"] for rep in reps}

    assert (len(sdr_ids), len(sr_ids), len(sdr_ids & sr_ids)) == (32, 22, 13)
    assert len(reps) == len(sdr_ids | sr_ids) == 41
    assert set(team_by_rep) == sdr_ids | sr_ids
    assert {rep_id for rep_id, team in team_by_rep.items() if team == "inside"} == sr_ids
    assert {rep_id for rep_id, team in team_by_rep.items() if team == "sdr"} == sdr_ids - sr_ids
    assert all(rep["rep_name"] == rep["rep_id"][:8] for rep in reps)
    duplicates = report.sources["deals"].skipped["reps: repeats a rep_id + valid_from already written (distinct: true)"]
    assert duplicates.count == 2 * len(deals) - 41
    assert duplicates.filtered


def test_olist_campaigns_and_stage_events(olist):
    source_dir, landing_dir, _report = olist
    mqls = read_rows(source_dir / "olist_marketing_qualified_leads_dataset.csv")
    deals = read_rows(source_dir / "olist_closed_deals_dataset.csv")
    campaigns = read_rows(landing_dir / "campaigns.csv")
    events = read_rows(landing_dir / "stage_events.csv")
    mappings = read_rows(landing_dir / "status_mappings.csv")

    assert len(campaigns) == len({mql["landing_page_id"] for mql in mqls}) == 495
    assert campaigns[0] == {
        "campaign_id": "88740e65d5d6b056e0cda098e1ea6313",
        "campaign_name": "Landing page 88740e65",
        "channel": "",
        "program": "",
        "start_date": "",
        "end_date": "",
        "budget_amount": "",
        "budget_currency_code": "",
    }
    assert Counter(event["source_status"] for event in events) == {"mql": 8000, "won": 842}
    assert len({event["event_id"] for event in events}) == 8842
    won = {event["record_id"]: event for event in events if event["source_status"] == "won"}
    first_deal = deals[0]
    assert won[first_deal["mql_id"]]["changed_at"] == first_deal["won_date"]
    assert won[first_deal["mql_id"]]["owner_rep_id"] == first_deal["sr_id"]
    assert mappings == [
        {"source_system": "olist", "source_status": "mql", "stage_code": "inquiry"},
        {"source_system": "olist", "source_status": "won", "stage_code": "closed_won"},
    ]


# ---------------------------------------------------------------------------
# Maven


def test_maven_opportunities_match_pipeline(maven):
    source_dir, landing_dir, report = maven
    pipeline = read_rows(source_dir / "sales_pipeline.csv")
    country_by_account = {row["account"]: row["office_location"] for row in read_rows(source_dir / "accounts.csv")}
    opportunities = read_rows(landing_dir / "opportunities.csv")

    assert len(pipeline) == 8800
    assert len(opportunities) == 8800
    assert report.sources["pipeline"].rows_read == 8800
    assert Counter(row["source_status"] for row in opportunities) == {
        "Won": 4238,
        "Lost": 2473,
        "Engaging": 1589,
        "Prospecting": 500,
    }
    assert [row["country"] for row in opportunities] == [
        country_by_account.get(deal["account"], "") for deal in pipeline
    ]
    assert sum(1 for row in opportunities if row["country"] == "") == 1425
    assert sum(1 for row in opportunities if row["created_at"] == "") == 500
    assert sum(1 for row in opportunities if row["closed_at"] == "") == 2089
    assert {row["currency_code"] for row in opportunities} == {"USD"}
    assert {row["source_system"] for row in opportunities} == {"maven"}
    assert opportunities[0]["created_at"] == "2016-10-20 00:00:00"
    assert opportunities[0]["closed_at"] == "2017-03-01 00:00:00"


def test_maven_bookings_total_matches(maven):
    source_dir, landing_dir, report = maven
    pipeline = read_rows(source_dir / "sales_pipeline.csv")
    won_value = sum(int(row["close_value"]) for row in pipeline if row["deal_stage"] == "Won")
    bookings = read_rows(landing_dir / "bookings.csv")
    territory_by_rep = {rep["rep_id"]: rep["territory"] for rep in read_rows(landing_dir / "reps.csv")}
    by_office = Counter()
    for booking in bookings:
        by_office[territory_by_rep[booking["rep_id"]]] += Decimal(booking["booking_amount"])

    assert len(bookings) == 4238
    assert won_value == 10_005_534
    assert sum(Decimal(booking["booking_amount"]) for booking in bookings) == 10_005_534
    assert by_office == {"Central": 3_346_293, "East": 3_090_594, "West": 3_568_647}
    assert all(booking["booking_id"] == booking["opportunity_id"] for booking in bookings)
    left_out = report.sources["pipeline"].skipped["bookings: filtered out by where deal_stage in [Won]"]
    assert left_out.count == 8800 - 4238
    assert left_out.filtered
    assert not report.has_skipped_problems


def test_maven_reps_from_sales_teams(maven):
    source_dir, landing_dir, _report = maven
    teams = read_rows(source_dir / "sales_teams.csv")
    reps = read_rows(landing_dir / "reps.csv")

    assert len(teams) == 35
    assert len(reps) == 35
    assert reps[0] == {
        "rep_id": "Anna Snelling",
        "rep_name": "Anna Snelling",
        "team": "field",
        "manager_name": "Dustin Brinkmann",
        "territory": "Central",
        "valid_from": "",
        "valid_to": "",
    }
    assert not (landing_dir / "leads.csv").exists()


def test_shipped_outputs_follow_contract(olist, maven):
    contract = load_contract()
    for _source_dir, landing_dir, report in (olist, maven):
        for file_name, output in report.outputs.items():
            content = output.path.read_bytes()
            assert read_header(output.path) == list(contract[output.entity].column_names), file_name
            assert b"\r" not in content, file_name
            assert not content.startswith(b"\xef\xbb\xbf"), file_name
            assert sum(1 for _ in output.path.open(encoding="utf-8")) == output.rows_written + 1, file_name
        assert sorted(path.name for path in landing_dir.iterdir()) == sorted(report.outputs)


# ---------------------------------------------------------------------------
# A hand-made export: ";" delimiter, byte order mark, CRLF, quoted ids, decimal commas, cp1252

CONTACTS_CSV = (
    '"Contact ID";"Created";"Source";"Country";"Owner";"MQL date";"Employees"\r\n'
    '"C;001";31.03.2024 14:05;Webinar;Deutschland;u1;01.04.2024;1.200\r\n'
    '"C-002";01.04.2024 09:00;;n/a;u2;;\r\n'
    '"C-003";2024-04-02;paid_search;FR;;03.04.2024;15\r\n'
    '"";02.04.2024 10:00;Webinar;DE;;;\r\n'
    '"C-005";32.04.2024 10:00;Webinar;DE;;;\r\n'
    '"C-006";03.04.2024 10:00;Webinar;DE;;\r\n'
)

DEALS_CSV = (
    "Deal;Contact;Account;Owner;Stage;Closed;Amount;Currency\r\n"
    'D1;"C;001";Müller GmbH;u1;Closed Won;05.04.2024;1.234,50;eur\r\n'
    "D2;C-002;Café Noir;u2;Closed Lost;06.04.2024;0;EUR\r\n"
    "D3;C-003;Acme;u1;Negotiation;;99,9;EUR\r\n"
    "D4;C-003;Acme;u1;Closed Won;07.04.2024;abc;EUR\r\n"
)

USERS_CSV = "user_id,full_name,team\nu1,Ana Lima,Inside Sales\nu2,Bo Chen,Field Sales\nu3,Cy Dee,Partner Team\n"

ACME_PROFILE = """\
name: acme
source_system: acme_crm
read:
  contacts:
    path: contacts.csv
    delimiter: ";"
    encoding: utf-8-sig
    decimal: ","
    thousands: "."
    timestamp_format: "%d.%m.%Y %H:%M"
    null_values: ["n/a"]
  deals:
    path: deals.csv
    delimiter: ";"
    encoding: cp1252
    decimal: ","
    thousands: "."
    date_format: "%d.%m.%Y"
  users:
    path: users.csv
outputs:
  leads:
    from: contacts
    columns:
      lead_id: Contact ID
      created_at: Created
      lead_source: {column: Source, map: {Webinar: webinar}}
      country: Country
      owner_rep_id: Owner
      employee_count: Employees
  stage_dates:
    from: contacts
    where:
      MQL date: not_blank
    columns:
      record_id: Contact ID
      owner_rep_id: Owner
      mql_at: {column: MQL date, format: "%d.%m.%Y"}
  opportunities:
    from: deals
    join:
      contact: {from: contacts, left_key: Contact, right_key: Contact ID}
    columns:
      opportunity_id: Deal
      lead_id: Contact
      account_name: Account
      country: contact.Country
      rep_id: Owner
      closed_at: Closed
      source_status: Stage
      amount: Amount
      currency_code: Currency
  bookings:
    from: deals
    join:
      contact: {from: contacts, left_key: Contact, right_key: Contact ID}
    where:
      Stage: {in: [closed won]}
    columns:
      booking_id: {template: "B-{Deal}"}
      opportunity_id: Deal
      account_name: Account
      country: contact.Country
      rep_id: Owner
      booked_at: Closed
      booking_amount: Amount
      currency_code: Currency
  reps:
    from: users
    columns:
      rep_id: user_id
      rep_name: full_name
      team: {column: team, map: {Inside Sales: inside, Field Sales: field}}
status_mappings:
  Negotiation: opportunity
  Closed Won: closed_won
"""


def write_acme_export(folder: Path) -> Path:
    """Write the hand-made export and its profile into folder; return the profile path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "contacts.csv").write_bytes(b"\xef\xbb\xbf" + CONTACTS_CSV.encode("utf-8"))
    (folder / "deals.csv").write_bytes(DEALS_CSV.encode("cp1252"))
    (folder / "users.csv").write_text(USERS_CSV, encoding="utf-8", newline="")
    profile_path = folder / "acme.yml"
    profile_path.write_text(ACME_PROFILE, encoding="utf-8")
    return profile_path


def test_custom_profile_converts_export(tmp_path):
    profile_path = write_acme_export(tmp_path / "export")
    landing_dir = tmp_path / "landing"

    report = import_export(str(profile_path), tmp_path / "export", landing_dir)

    assert read_rows(landing_dir / "leads.csv") == [
        {
            "lead_id": "C;001",
            "email": "",
            "first_name": "",
            "last_name": "",
            "company": "",
            "title": "",
            "country": "Deutschland",
            "lead_source": "webinar",
            "campaign_id": "",
            "created_at": "2024-03-31 14:05:00",
            "owner_rep_id": "u1",
            "industry": "",
            "employee_count": "1200",
            "source_system": "acme_crm",
        },
        {
            "lead_id": "C-002",
            "email": "",
            "first_name": "",
            "last_name": "",
            "company": "",
            "title": "",
            "country": "",
            "lead_source": "",
            "campaign_id": "",
            "created_at": "2024-04-01 09:00:00",
            "owner_rep_id": "u2",
            "industry": "",
            "employee_count": "",
            "source_system": "acme_crm",
        },
        {
            "lead_id": "C-003",
            "email": "",
            "first_name": "",
            "last_name": "",
            "company": "",
            "title": "",
            "country": "FR",
            "lead_source": "paid_search",
            "campaign_id": "",
            "created_at": "2024-04-02 00:00:00",
            "owner_rep_id": "",
            "industry": "",
            "employee_count": "15",
            "source_system": "acme_crm",
        },
    ]
    assert read_header(landing_dir / "stage_dates.csv") == [
        "record_id",
        "record_type",
        "owner_rep_id",
        "source_system",
        "mql_at",
    ]
    assert read_rows(landing_dir / "stage_dates.csv") == [
        {
            "record_id": "C;001",
            "record_type": "",
            "owner_rep_id": "u1",
            "source_system": "acme_crm",
            "mql_at": "2024-04-01 00:00:00",
        },
        {
            "record_id": "C-003",
            "record_type": "",
            "owner_rep_id": "",
            "source_system": "acme_crm",
            "mql_at": "2024-04-03 00:00:00",
        },
    ]
    opportunity_fields = ("opportunity_id", "account_name", "country", "amount", "closed_at", "currency_code")
    opportunities = [
        tuple(row[name] for name in opportunity_fields) for row in read_rows(landing_dir / "opportunities.csv")
    ]
    assert opportunities == [
        ("D1", "Müller GmbH", "Deutschland", "1234.50", "2024-04-05 00:00:00", "EUR"),
        ("D2", "Café Noir", "", "0", "2024-04-06 00:00:00", "EUR"),
        ("D3", "Acme", "FR", "99.9", "", "EUR"),
    ]
    assert read_rows(landing_dir / "bookings.csv") == [
        {
            "booking_id": "B-D1",
            "opportunity_id": "D1",
            "lead_id": "",
            "account_name": "Müller GmbH",
            "country": "Deutschland",
            "rep_id": "u1",
            "booked_at": "2024-04-05 00:00:00",
            "booking_amount": "1234.50",
            "currency_code": "EUR",
            "pillar": "",
        }
    ]
    assert [(row["rep_id"], row["team"]) for row in read_rows(landing_dir / "reps.csv")] == [
        ("u1", "inside"),
        ("u2", "field"),
    ]
    assert read_rows(landing_dir / "status_mappings.csv") == [
        {"source_system": "acme_crm", "source_status": "Negotiation", "stage_code": "opportunity"},
        {"source_system": "acme_crm", "source_status": "Closed Won", "stage_code": "closed_won"},
    ]
    for path in landing_dir.iterdir():
        assert b"\r" not in path.read_bytes(), path.name


def test_custom_profile_reports_skipped_rows(tmp_path):
    profile_path = write_acme_export(tmp_path / "export")

    report = import_export(str(profile_path), tmp_path / "export", tmp_path / "landing")

    contacts = report.sources["contacts"]
    assert contacts.rows_read == 6
    blank_id = contacts.skipped["leads: required column lead_id is blank"]
    assert (blank_id.count, blank_id.first_line) == (1, 5)
    bad_date = contacts.skipped["leads: created_at value does not match the formats %d.%m.%Y %H:%M, ISO 8601"]
    assert (bad_date.count, bad_date.first_line, bad_date.first_value) == (1, 6, "32.04.2024 10:00")
    short_row = contacts.skipped["leads: row has 6 fields but the header has 7"]
    assert (short_row.count, short_row.first_line, short_row.filtered) == (1, 7, False)
    no_mql_date = contacts.skipped["stage_dates: filtered out by where MQL date not_blank"]
    assert (no_mql_date.count, no_mql_date.filtered) == (3, True)

    deals = report.sources["deals"]
    bad_amount = deals.skipped["opportunities: amount value is not a number"]
    assert (bad_amount.count, bad_amount.first_line, bad_amount.first_value) == (1, 5, "abc")
    assert deals.skipped["bookings: filtered out by where Stage in [closed won]"].count == 2
    assert deals.skipped["bookings: booking_amount value is not a number"].count == 1

    users = report.sources["users"]
    bad_team = users.skipped["reps: team value is not one of inside, field, sdr, partner, renewals, web"]
    assert (bad_team.count, bad_team.first_value) == (1, "Partner Team")
    assert report.outputs["leads.csv"].rows_written == 3
    assert report.has_skipped_problems
    assert "  skipped 1 row for leads: required column lead_id is blank (first at line 5)" in report.summary_lines()
    assert report.summary_text().splitlines() == report.summary_lines()


def test_decimal_comma_rejects_bare_dot(tmp_path):
    export_dir = tmp_path / "export"
    export_dir.mkdir()
    (export_dir / "spend.csv").write_text("campaign;day;amount\nc1;2024-03-01;1.234\nc1;2024-03-02;1,5\n")
    profile_path = tmp_path / "spend.yml"
    profile_path.write_text(
        textwrap.dedent(
            """\
            read:
              spend: {path: spend.csv, delimiter: ";", decimal: ","}
            outputs:
              campaign_spend:
                from: spend
                columns:
                  campaign_id: campaign
                  spend_date: day
                  spend_amount: amount
                  currency_code: {value: eur}
            """
        )
    )

    report = import_export(str(profile_path), export_dir, tmp_path / "landing")

    assert read_rows(tmp_path / "landing" / "campaign_spend.csv") == [
        {"campaign_id": "c1", "spend_date": "2024-03-02", "spend_amount": "1.5", "currency_code": "EUR"}
    ]
    (reason,) = report.sources["spend"].skipped
    assert "contains '.' but the decimal separator is ','" in reason


# ---------------------------------------------------------------------------
# Errors


def write_profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_unknown_entity_names_key(tmp_path):
    path = write_profile(
        tmp_path,
        """\
        read:
          contacts: {path: contacts.csv}
        outputs:
          leeds:
            from: contacts
            columns: {lead_id: id, created_at: created}
        """,
    )

    with pytest.raises(ProfileError) as caught:
        load_profile(str(path))

    message = str(caught.value)
    assert str(path) in message
    assert "outputs.leeds" in message
    assert "Did you mean 'leads'?" in message


def test_unknown_contract_column_names_key(tmp_path):
    path = write_profile(
        tmp_path,
        """\
        read:
          contacts: {path: contacts.csv}
        outputs:
          leads:
            from: contacts
            columns: {lead_id: id, created_at: created, lead_sauce: source}
        """,
    )

    with pytest.raises(ProfileError) as caught:
        load_profile(str(path))

    message = str(caught.value)
    assert str(path) in message
    assert "outputs.leads.columns.lead_sauce" in message
    assert "Did you mean 'lead_source'?" in message


def test_unmapped_required_column_rejected(tmp_path):
    path = write_profile(
        tmp_path,
        """\
        read:
          contacts: {path: contacts.csv}
        outputs:
          leads:
            from: contacts
            columns: {lead_id: id}
        """,
    )

    with pytest.raises(ProfileError, match=r"outputs\.leads\.columns: required contract column created_at not mapped"):
        load_profile(str(path))


def test_yaml_boolean_value_rejected(tmp_path):
    path = write_profile(
        tmp_path,
        """\
        read:
          contacts: {path: contacts.csv, null_values: [NULL]}
        outputs:
          leads:
            from: contacts
            columns: {lead_id: id, created_at: created}
        """,
    )

    with pytest.raises(ProfileError, match=r"read\.contacts\.null_values: YAML read this value as None\. Quote it"):
        load_profile(str(path))


def test_unknown_profile_name_lists_shipped(tmp_path):
    with pytest.raises(ProfileError, match=r"Unknown profile 'salesforce'.*maven, olist"):
        import_export("salesforce", tmp_path, tmp_path / "landing")


def test_missing_source_column_names_fix(tmp_path):
    profile_path = write_acme_export(tmp_path / "export")
    profile_path.write_text(ACME_PROFILE.replace("lead_id: Contact ID", "lead_id: Contact Id"), encoding="utf-8")

    with pytest.raises(ProfileError) as caught:
        import_export(str(profile_path), tmp_path / "export", tmp_path / "landing")

    message = str(caught.value)
    assert str(profile_path) in message
    assert "outputs.leads.columns.lead_id" in message
    assert "source file contacts.csv (read.contacts) has no column 'Contact Id'" in message
    assert "Did you mean 'Contact ID'?" in message
    assert not (tmp_path / "landing").exists()


def test_missing_source_file_names_profile(tmp_path):
    profile_path = write_acme_export(tmp_path / "export")
    (tmp_path / "export" / "deals.csv").unlink()

    with pytest.raises(SourceFileError) as caught:
        import_export(str(profile_path), tmp_path / "export", tmp_path / "landing")

    message = str(caught.value)
    assert "Source file deals.csv not found" in message
    assert str(profile_path) in message
    assert "read.deals.path" in message


def test_decoding_error_keeps_landing_files(tmp_path):
    profile_path = write_acme_export(tmp_path / "export")
    profile_path.write_text(ACME_PROFILE.replace("encoding: cp1252", "encoding: utf-8"), encoding="utf-8")
    landing_dir = tmp_path / "landing"
    landing_dir.mkdir()
    (landing_dir / "leads.csv").write_text("earlier import\n", encoding="utf-8")

    with pytest.raises(SourceFileError, match=r"deals\.csv cannot be decoded as utf-8 .*read\.deals\.encoding"):
        import_export(str(profile_path), tmp_path / "export", landing_dir)

    assert [path.name for path in landing_dir.iterdir()] == ["leads.csv"]
    assert (landing_dir / "leads.csv").read_text(encoding="utf-8") == "earlier import\n"


def test_repeated_import_gives_same_bytes(tmp_path):
    profile_path = write_acme_export(tmp_path / "export")

    first = import_export(str(profile_path), tmp_path / "export", tmp_path / "first")
    second = import_export(str(profile_path), tmp_path / "export", tmp_path / "second")

    assert list(first.outputs) == list(second.outputs)
    for file_name in first.outputs:
        assert (tmp_path / "first" / file_name).read_bytes() == (tmp_path / "second" / file_name).read_bytes()
