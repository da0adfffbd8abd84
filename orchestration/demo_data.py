"""Seeded demo data: a landing folder that follows the raw contract, and the truth planted in it.

`write_demo_data` writes one CSV file per contract entity plus `demo_truth.json`. The truth is
counted while the rows are generated, never by reading the files back, so tests can compare the
marts with numbers that do not come from the marts' own SQL. The same seed and lead count give
byte-identical files, because all randomness comes from one `random.Random(seed)` and no value
depends on the clock, the locale or hash order.

Only the standard library is used, so the generator runs before anything else is installed.
"""

from __future__ import annotations

import csv
import json
import math
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from orchestration.logs import get_logger

TRUTH_FILE_NAME = "demo_truth.json"

# Leads are created in [LEADS_FROM, LEADS_UNTIL). The export was taken at EXPORT_AT, so no event,
# opportunity close or booking is at or after it, and late opportunities are still open.
LEADS_FROM = datetime(2025, 1, 1)
LEADS_UNTIL = datetime(2026, 7, 1)
EXPORT_AT = datetime(2026, 10, 1)

# Column order of each file. The tests check these against orchestration/contract.yml. They are
# repeated here so that the generator needs nothing outside the standard library.
LEAD_COLUMNS = (
    "lead_id", "email", "first_name", "last_name", "company", "title", "country", "lead_source",
    "campaign_id", "created_at", "owner_rep_id", "industry", "employee_count", "source_system",
)
STAGE_EVENT_COLUMNS = (
    "event_id", "record_type", "record_id", "source_status", "changed_at", "owner_rep_id", "source_system",
)
STAGE_DATES_COLUMNS = ("record_id", "record_type", "owner_rep_id", "source_system")
WEB_VISIT_COLUMNS = (
    "visit_id", "visitor_id", "occurred_at", "url", "referrer", "event_type", "utm_source", "utm_medium",
    "utm_campaign", "utm_content", "utm_term", "user_agent", "email", "lead_id",
)
CAMPAIGN_COLUMNS = (
    "campaign_id", "campaign_name", "channel", "program", "start_date", "end_date", "budget_amount",
    "budget_currency_code",
)
CAMPAIGN_SPEND_COLUMNS = ("campaign_id", "spend_date", "spend_amount", "currency_code")
REP_COLUMNS = ("rep_id", "rep_name", "team", "manager_name", "territory", "valid_from", "valid_to")
OPPORTUNITY_COLUMNS = (
    "opportunity_id", "lead_id", "account_name", "country", "rep_id", "created_at", "closed_at",
    "source_status", "amount", "currency_code", "pillar", "source_system",
)
BOOKING_COLUMNS = (
    "booking_id", "opportunity_id", "lead_id", "account_name", "country", "rep_id", "booked_at",
    "booking_amount", "currency_code", "pillar",
)

# Canonical funnel stages with their funnel position (seeds/stages.csv). closed_won and
# closed_lost share position 5, so reaching one never implies the other.
FUNNEL_POSITIONS = {
    "raw_lead": 1,
    "inquiry": 2,
    "contact": 3,
    "opportunity": 4,
    "closed_won": 5,
    "closed_lost": 5,
}
OFF_FUNNEL_STAGES = ("nurture", "disqualified")

# Status of the `default` source system that the generator writes when a lead record enters each stage.
LEAD_STATUSES = {
    "raw_lead": "New",
    "inquiry": "MQL",
    "contact": "Working",
    # seeds/status_mappings.csv maps SQL to contact. Every SQL event comes with an opportunity
    # created in the same second, so the lead reaches opportunity under either mapping.
    "opportunity": "SQL",
    "nurture": "Nurture",
    "disqualified": "Disqualified",
}
OPPORTUNITY_STATUS_STAGES = {
    "Prospecting": "opportunity",
    "Proposal": "opportunity",
    "Won": "closed_won",
    "Lost": "closed_lost",
}

# Wide stage_dates.csv: one column per lead status, named <status>_at.
STAGE_DATES_STAGES = ("raw_lead", "inquiry", "contact", "opportunity", "nurture", "disqualified")
STAGE_DATES_STATUS_COLUMNS = tuple(f"{LEAD_STATUSES[stage]}_at" for stage in STAGE_DATES_STAGES)
# Leads from this source come from a trade-show scanner app that exports stage dates in wide form.
WIDE_FORM_LEAD_SOURCE = "events"

# (channel code, weight among leads). The channel code is written as the lead_source.
LEAD_SOURCE_WEIGHTS = (
    ("organic_search", 16), ("paid_search", 18), ("paid_social", 10), ("email", 8), ("webinar", 8),
    ("events", 6), ("referral", 6), ("partner", 6), ("display", 4), ("direct_traffic", 8), ("content", 6),
    ("", 4),
)
# Share of leads that become an inquiry (MQL), by lead source.
INQUIRY_RATES = {
    "webinar": 0.70, "events": 0.60, "content": 0.55, "email": 0.50, "paid_search": 0.45, "referral": 0.55,
    "partner": 0.55, "paid_social": 0.40, "display": 0.30, "organic_search": 0.40, "direct_traffic": 0.35,
    "": 0.30,
}
WEB_CHANNELS = ("organic_search", "paid_search", "paid_social", "display", "content", "email", "direct_traffic")
WEB_SHOP_CHANNELS = ("organic_search", "direct_traffic", "content", "paid_search")

# Approximate units of each currency per USD, used only to give amounts a realistic size.
# The marts convert with seeds/fx_rates.csv, not with these.
UNITS_PER_USD = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 150.0, "BRL": 5.2}
CURRENCY_DECIMALS = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "BRL": 2}


@dataclass(frozen=True)
class Country:
    """A country the demo uses and the texts that name it in the files."""

    code: str
    alpha3: str
    names: tuple[str, ...]
    territories: tuple[str, ...]
    campaign_regions: tuple[str, ...]
    currency: str
    weight: int
    company_suffixes: tuple[str, ...]


# Only names that are unambiguous English short names or well-known aliases are written, so a
# geography lookup by alpha-2, alpha-3, name or alias resolves every one of them.
COUNTRIES = (
    Country("US", "USA", ("United States of America", "USA"), ("NA East", "NA West"), ("NA", "Global"), "USD", 30,
            (" Inc.", ", Inc.", " LLC", " Corp.")),
    Country("CA", "CAN", ("Canada",), ("NA East",), ("NA", "Global"), "USD", 4, (" Inc.", " Ltd")),
    Country("GB", "GBR", ("UK", "Great Britain"), ("EMEA North",), ("UK", "EMEA", "Global"), "GBP", 9,
            (" Ltd", " plc")),
    Country("DE", "DEU", ("Germany", "Deutschland"), ("EMEA Central",), ("EMEA", "Global"), "EUR", 8,
            (" GmbH", " AG")),
    Country("FR", "FRA", ("France",), ("EMEA Central",), ("EMEA", "Global"), "EUR", 5, (" SAS", " SA")),
    Country("NL", "NLD", (), ("EMEA North",), ("EMEA", "Global"), "EUR", 3, (" B.V.",)),
    Country("SE", "SWE", ("Sweden",), ("EMEA North",), ("EMEA", "Global"), "EUR", 2, (" AB",)),
    Country("ES", "ESP", ("Spain",), ("EMEA South",), ("EMEA", "Global"), "EUR", 2, (" S.L.",)),
    Country("IT", "ITA", ("Italy",), ("EMEA South",), ("EMEA", "Global"), "EUR", 2, (" S.p.A.", " S.r.l.")),
    Country("BR", "BRA", ("Brazil", "Brasil"), ("LATAM",), ("LATAM", "Global"), "BRL", 3, (" Ltda.",)),
    Country("MX", "MEX", ("Mexico",), ("LATAM",), ("LATAM", "Global"), "USD", 2, (" S.A. de C.V.",)),
    Country("JP", "JPN", ("Japan",), ("APAC",), ("APAC", "Global"), "JPY", 3, (" KK", " Co., Ltd.")),
    Country("AU", "AUS", ("Australia",), ("APAC",), ("APAC", "Global"), "USD", 3, (" Pty Ltd",)),
    Country("IN", "IND", ("India",), ("APAC",), ("APAC", "Global"), "USD", 3, (" Pvt Ltd",)),
    Country("SG", "SGP", ("Singapore",), ("APAC",), ("APAC", "Global"), "USD", 2, (" Pte Ltd",)),
)
# Leads with a blank country, geography 'ZZ' (unknown). The NA East team works them.
UNKNOWN_COUNTRY = Country("ZZ", "", (), ("NA East",), ("NA", "Global"), "USD", 4, ("",))

# Campaign ids that leads carry but campaigns.csv does not list (dim_campaign.is_mapped is false).
UNMAPPED_CAMPAIGN_IDS = ("CMP-LEGACY-0007", "CMP-LEGACY-0012", "SF-7013000000AbC")

# One row per rep assignment. R202 changes territory on 2025-10-01 and R104 changes team
# (sdr to inside) on 2026-01-01. A blank valid_from means 1900-01-01.
REPS = (
    ("R101", "Ava Thompson", "sdr", "Dana Whitfield", "NA East", "", ""),
    ("R102", "Noah Garcia", "sdr", "Dana Whitfield", "NA West", "", ""),
    ("R103", "Lucía Fernández", "sdr", "Aiko Mori", "LATAM", "", ""),
    ("R104", "Emil Lindqvist", "sdr", "Jonas Berg", "EMEA North", "", "2025-12-31"),
    ("R104", "Emil Lindqvist", "inside", "Claire Dubois", "EMEA North", "2026-01-01", ""),
    ("R105", "Lena Hoffmann", "sdr", "Jonas Berg", "EMEA Central", "", ""),
    ("R106", "Marco Esposito", "sdr", "Jonas Berg", "EMEA South", "", ""),
    ("R107", "Haruto Sato", "sdr", "Aiko Mori", "APAC", "", ""),
    ("R108", "Freya Olsen", "sdr", "Jonas Berg", "EMEA North", "2026-01-01", ""),
    ("R201", "Ethan Brooks", "inside", "Marcus Reed", "NA East", "", ""),
    ("R202", "Mia Chen", "inside", "Marcus Reed", "NA West", "2024-03-01", "2025-09-30"),
    ("R202", "Mia Chen", "inside", "Marcus Reed", "NA East", "2025-10-01", ""),
    ("R203", "Gabriel Souza", "inside", "Rafael Costa", "LATAM", "", ""),
    ("R204", "Sophie Martin", "inside", "Claire Dubois", "EMEA North", "", ""),
    ("R205", "Jonas Weber", "inside", "Claire Dubois", "EMEA Central", "", ""),
    ("R206", "Elena Ruiz", "inside", "Claire Dubois", "EMEA South", "", ""),
    ("R207", "Priya Nair", "inside", "Rafael Costa", "APAC", "", ""),
    ("R208", "Daniel Kim", "inside", "Marcus Reed", "NA West", "2025-10-01", ""),
    ("R301", "Olivia Bennett", "field", "Helen Park", "NA East", "", ""),
    ("R302", "James O'Connor", "field", "Helen Park", "NA West", "", ""),
    ("R303", "Camila Rojas", "field", "Rafael Costa", "LATAM", "", ""),
    ("R304", "Oliver Hughes", "field", "Stefan Krüger", "EMEA North", "", ""),
    ("R305", "Anna Schmidt", "field", "Stefan Krüger", "EMEA Central", "", ""),
    ("R306", "Luca Bianchi", "field", "Stefan Krüger", "EMEA South", "", ""),
    ("R307", "Yuki Tanaka", "field", "Rafael Costa", "APAC", "", ""),
    ("R401", "Grace Liu", "renewals", "Helen Park", "Global", "", ""),
    ("R501", "Tom Hale", "partner", "Marcus Reed", "Global", "", ""),
)
# (rep_id, team, territory, valid_from, valid_to) with blank dates filled in.
REP_ASSIGNMENTS = tuple(
    (rep[0], rep[2], rep[4], date.fromisoformat(rep[5] or "1900-01-01"), date.fromisoformat(rep[6] or "9999-12-31"))
    for rep in REPS
)
RENEWALS_REP_ID = "R401"
PARTNER_REP_ID = "R501"

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Sofia", "Mateo", "Chloé", "Lukas", "Anna", "Jonas", "Søren", "Ingrid",
    "Giulia", "Marco", "Lucía", "Javier", "Yuki", "Haruto", "Priya", "Arjun", "Mei", "Wei", "Jack", "Isabella",
    "Gabriel", "João", "Fatima", "Omar", "Emily", "Daniel", "Zoë", "Björn", "Aoife", "Siobhán", "Hannah", "Léa",
)
LAST_NAMES = (
    "Smith", "Johnson", "Müller", "Schmidt", "García", "Martínez", "Rossi", "Bianchi", "Dubois", "Lefèvre",
    "Jansen", "de Vries", "Andersson", "Nilsson", "Tanaka", "Suzuki", "Sharma", "Patel", "Chen", "Wang",
    "Silva", "Santos", "Oliveira", "O'Brien", "Murphy", "Nguyen", "Kowalski", "Novák", "Hernández", "López",
    "Brown", "Wilson", "Kim", "Costa", "Walsh", "Yamamoto",
)
COMPANY_WORDS = (
    "Northwind", "Blue Harbor", "Granite", "Silverline", "Bright Path", "Redwood", "Quantum", "Evergreen",
    "Summit", "Copperleaf", "Lighthouse", "Ironclad", "Nimbus", "Harbor & Finch", "Polar", "Vertex", "Atlas",
    "Meridian",
)
COMPANY_NOUNS = (
    "Analytics", "Logistics", "Health", "Foods", "Robotics", "Software", "Energy", "Retail", "Bank", "Insurance",
    "Media", "Labs", "Systems", "Manufacturing", "Travel",
)
TITLES = (
    "VP Marketing", "Head of Sales Operations", "Marketing Manager", "Data Analyst", "CFO", "CTO",
    "Director of Revenue Operations", "Growth Lead", "Sales Manager", "Business Analyst", "IT Manager", "Founder",
    "",
)
INDUSTRIES = (
    "Software", "Financial Services", "Healthcare", "Retail", "Manufacturing", "Education", "Logistics", "Media",
    "Energy", "Public Sector", "",
)

SITE = "https://www.example.com"
PAGES = (
    "/", "/pricing", "/product", "/product/integrations", "/customers", "/blog/funnel-metrics-that-matter",
    "/blog/attribution-without-cookies", "/blog/pipeline-hygiene", "/docs/getting-started", "/about",
)
FORM_PAGES = ("/demo", "/contact", "/webinars/register", "/whitepapers/funnel-benchmarks")
BROWSER_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 "
    "Edg/124.0.0.0",
)
CRAWLER_USER_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
)
BURST_USER_AGENT = "python-requests/2.31.0"
# (utm_source, utm_medium, referrer) of the first page view of a visit, by lead source.
WEB_ENTRY = {
    "paid_search": (("google", "cpc", "https://www.google.com/"), ("bing", "cpc", "https://www.bing.com/")),
    "paid_social": (("linkedin", "paid_social", "https://www.linkedin.com/"),
                    ("facebook", "paid_social", "https://www.facebook.com/")),
    "display": (("doubleclick", "display", ""),),
    "email": (("newsletter", "email", ""),),
    "content": (("syndication", "content", "https://medium.com/"),),
    "organic_search": (("", "", "https://www.google.com/"), ("", "", "https://duckduckgo.com/")),
    "direct_traffic": (("", "", ""),),
}
SEARCH_TERMS = ("funnel analytics", "pipeline dashboard", "marketing attribution", "crm reporting")


@dataclass(frozen=True)
class DemoTruth:
    """Counts planted by `write_demo_data`, as stored in demo_truth.json.

    Lead counts are over valid leads only (quarantined rows excluded). Funnel stages follow the
    marts' rule that a lead that reached a later funnel stage also reached every earlier one.
    closed_won and closed_lost are counted independently, so a lead can be in both.
    """

    seed: int
    leads: int
    export_at: str
    source_time_zone: str
    file_rows: dict[str, int]
    quarantined: dict[str, int]
    bad_rows: list[dict[str, Any]]
    stages_reached: dict[str, int]
    stages_entered: dict[str, int]
    leads_won: int
    leads_lost: int
    leads_won_and_lost: int
    leads_by_lead_source: dict[str, int]
    leads_by_country: dict[str, int]
    leads_by_created_month: dict[str, int]
    opportunities: dict[str, int]
    bookings: dict[str, Any]
    campaigns: int
    campaign_spend: dict[str, Any]
    reps: dict[str, int]
    web_visits: dict[str, int]
    planted: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "DemoTruth":
        return cls(**values)

    @classmethod
    def read(cls, path: Path) -> "DemoTruth":
        """Read a demo_truth.json file written by `write_demo_data`."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass
class _Lead:
    lead_id: str
    created_at: datetime
    created_text: str
    country: Country
    country_text: str
    territory: str
    lead_source: str
    lead_source_text: str
    campaign_id: str
    company: str
    first_name: str
    last_name: str
    email: str
    sdr_rep_id: str
    owner_rep_id: str = ""
    is_wide_form: bool = False
    is_time_zone_boundary: bool = False
    # (moment, stage, rep_id) of every status change of the lead record
    events: list[tuple[datetime, str, str]] = field(default_factory=list)
    stages: set[str] = field(default_factory=set)
    skipped_stages: bool = False
    was_recycled: bool = False


@dataclass
class _Opportunity:
    opportunity_id: str
    lead: _Lead | None
    account_name: str
    country_text: str
    rep_id: str
    created_at: datetime | None
    pillar: str
    pillar_text: str
    currency: str
    amount: str
    status: str = "Prospecting"
    closed_at: datetime | None = None
    # (moment, status) of every status change of the opportunity record
    events: list[tuple[datetime, str]] = field(default_factory=list)


@dataclass
class _Campaign:
    campaign_id: str
    name: str
    channel: str
    program: str
    region: str
    start: date
    end: date
    currency: str
    lead_window_end: date
    planned_usd: float = 0.0


class _DemoGenerator:
    """Generates every file's rows and counts the truth while doing so."""

    def __init__(self, leads: int, seed: int) -> None:
        self.lead_count = leads
        self.seed = seed
        self.rng = random.Random(seed)
        self.leads: list[_Lead] = []
        self.opportunities: list[_Opportunity] = []
        self.campaigns: list[_Campaign] = []
        self.campaigns_by_channel_region: dict[tuple[str, str], list[_Campaign]] = {}
        self.spend_rows: list[list[str]] = []
        self.booking_rows: list[tuple[datetime, list[str]]] = []
        self.web_rows: list[tuple[datetime, int, list[str]]] = []
        self.bad_rows: list[dict[str, Any]] = []
        self.planted: Counter[str] = Counter()
        self.visitor_ids: set[str] = set()

    # ---- values ------------------------------------------------------------------------------

    def format_timestamp(self, moment: datetime) -> str:
        """Write a UTC moment mostly without an offset, sometimes with Z, +02:00 or -05:00.

        Every moment is in whole seconds, so isoformat never adds a fraction.
        """
        draw = self.rng.random()
        if draw < 0.86:
            return moment.isoformat(" ")
        if draw < 0.93:
            return moment.isoformat() + "Z"
        if draw < 0.965:
            return (moment + timedelta(hours=2)).isoformat() + "+02:00"
        return (moment - timedelta(hours=5)).isoformat() + "-05:00"

    def seconds_between(self, low_days: float, high_days: float) -> timedelta:
        """Return a uniformly drawn duration in whole seconds."""
        return timedelta(seconds=self.rng.randint(int(low_days * 86400), int(high_days * 86400)))

    def gap(self, mean_days: float, minimum_seconds: int = 60) -> timedelta:
        """Return `minimum_seconds` plus an exponentially distributed wait with mean `mean_days`."""
        return timedelta(seconds=minimum_seconds + int(self.rng.expovariate(1.0 / (mean_days * 86400))))

    def money(self, usd: float, currency: str) -> str:
        """Convert a USD size to `currency` and round it as a price list would."""
        value = usd * UNITS_PER_USD[currency]
        if CURRENCY_DECIMALS[currency] == 0:
            return str(max(1000, int(round(value, -3))))
        return f"{max(10.0, round(value, -1)):.2f}"

    def vary_case(self, text: str) -> str:
        """Return `text`, or rarely a lower-case, upper-case or space-padded copy of it."""
        draw = self.rng.random()
        if draw < 0.01:
            return text.lower()
        if draw < 0.02:
            return text.upper()
        if draw < 0.03:
            return f" {text} "
        return text

    def new_visitor_id(self) -> str:
        while True:
            visitor_id = f"{self.rng.getrandbits(64):016x}"
            if visitor_id not in self.visitor_ids:
                self.visitor_ids.add(visitor_id)
                return visitor_id

    def rep_for(self, team: str, territory: str, day: date) -> str:
        """Pick a rep of `team` assigned to `territory` on `day`."""
        candidates = [
            rep_id for rep_id, rep_team, rep_territory, valid_from, valid_to in REP_ASSIGNMENTS
            if rep_team == team and rep_territory == territory and valid_from <= day <= valid_to
        ]
        return self.rng.choice(candidates)

    # ---- campaigns and spend -------------------------------------------------------------------

    def build_campaigns(self) -> None:
        quarters = [(2025, 1), (2025, 2), (2025, 3), (2025, 4), (2026, 1), (2026, 2)]
        for year, quarter in quarters:
            start = date(year, 3 * quarter - 2, 1)
            end = (date(year + quarter // 4, 3 * quarter % 12 + 1, 1)) - timedelta(days=1)
            label = f"{year} Q{quarter}"
            for region, currency, daily_usd in (
                ("NA", "USD", 900), ("EMEA", "EUR", 450), ("UK", "GBP", 250), ("APAC", "JPY", 200),
                ("LATAM", "BRL", 150),
            ):
                campaign = self.add_campaign(
                    f"{label} Paid Search {region}", "paid_search", "Always-on search", region, start, end, currency,
                )
                self.add_spend(campaign, self.days(start, end), daily_usd)
            for region, currency, daily_usd in (("NA", "USD", 500), ("EMEA", "EUR", 300)):
                social_start = start + timedelta(days=self.rng.randint(0, 14))
                social_end = end - timedelta(days=self.rng.randint(0, 14))
                campaign = self.add_campaign(
                    f"{label} LinkedIn Ads {region}", "paid_social", "Demand generation", region, social_start,
                    social_end, currency,
                )
                self.add_spend(campaign, self.days(social_start, social_end), daily_usd)
            for region, currency in (("NA", "USD"), ("EMEA", "EUR")):
                campaign = self.add_campaign(
                    f"{label} Newsletter {region}", "email", "Nurture", region, start, end, currency,
                )
                tuesdays = [day for day in self.days(start, end) if day.weekday() == 1]
                self.add_spend(campaign, tuesdays, 120)
            for region, currency in (("NA", "USD"), ("EMEA", "EUR")):
                webinar_day = start + timedelta(days=self.rng.randint(30, 60))
                campaign = self.add_campaign(
                    f"{label} Webinar {region}: Funnel benchmarks", "webinar", "Thought leadership", region,
                    webinar_day - timedelta(days=21), webinar_day, currency, lead_window_days=14,
                )
                promotion_days = [webinar_day - timedelta(days=offset) for offset in (21, 14, 7)]
                self.add_spend(campaign, promotion_days, 700)
            for region, currency, city in (("NA", "USD", "Chicago"), ("EMEA", "EUR", "Amsterdam")):
                event_day = start + timedelta(days=self.rng.randint(20, 70))
                campaign = self.add_campaign(
                    f"{label} Trade show {city}", "events", "Field events", region, event_day - timedelta(days=30),
                    event_day + timedelta(days=2), currency, lead_window_days=14,
                )
                booth_fee = event_day - timedelta(days=30)
                self.add_spend(campaign, [booth_fee], 15000)
                self.add_spend(campaign, [event_day, event_day + timedelta(days=1)], 2500)
            campaign = self.add_campaign(
                f"{label} Content syndication", "content", "Thought leadership", "Global", start, end, "USD",
            )
            mondays = [day for day in self.days(start, end) if day.weekday() == 0]
            self.add_spend(campaign, mondays, 800)

        for year, half in ((2025, 1), (2025, 2), (2026, 1)):
            start = date(year, 6 * half - 5, 1)
            end = date(year + half // 2, (6 * half) % 12 + 1, 1) - timedelta(days=1)
            label = f"{year} H{half}"
            # Billed in two currencies, one spend row per day and currency.
            campaign = self.add_campaign(
                f"{label} Display retargeting", "display", "Brand awareness", "Global", start, end, "USD",
            )
            self.add_spend(campaign, self.days(start, end), 300)
            self.add_spend(campaign, self.days(start, end), 150, currency="EUR")
            for region, currency in (("NA", "USD"), ("EMEA", "EUR")):
                campaign = self.add_campaign(
                    f"{label} Partner MDF {region}", "partner", "Partner marketing", region, start, end, currency,
                )
                first_days = [day for day in self.days(start, end) if day.day == 1]
                self.add_spend(campaign, first_days, 4000)

    def add_campaign(
        self, name: str, channel: str, program: str, region: str, start: date, end: date, currency: str,
        lead_window_days: int = 0,
    ) -> _Campaign:
        campaign = _Campaign(
            campaign_id=f"CMP-{len(self.campaigns) + 1:04d}",
            name=name,
            channel=channel,
            program=program,
            region=region,
            start=start,
            end=end,
            currency=currency,
            lead_window_end=end + timedelta(days=lead_window_days),
        )
        self.campaigns.append(campaign)
        self.campaigns_by_channel_region.setdefault((channel, region), []).append(campaign)
        return campaign

    @staticmethod
    def days(start: date, end: date) -> list[date]:
        return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]

    def add_spend(self, campaign: _Campaign, days: list[date], daily_usd: float, currency: str | None = None) -> None:
        """Add one spend row per day. Callers pass only days within the campaign's dates."""
        currency = currency or campaign.currency
        for day in days:
            usd = daily_usd * self.rng.uniform(0.6, 1.4)
            self.spend_rows.append([campaign.campaign_id, day.isoformat(), self.money(usd, currency), currency])
            campaign.planned_usd += usd

    def campaign_for(self, lead_source: str, country: Country, day: date) -> str:
        """Pick the campaign of the lead's channel and region running on `day`, or return "" if none runs."""
        for region in country.campaign_regions:
            matches = [
                campaign for campaign in self.campaigns_by_channel_region.get((lead_source, region), ())
                if campaign.start <= day <= campaign.lead_window_end
            ]
            if matches:
                return self.rng.choice(matches).campaign_id
        return ""

    # ---- leads ---------------------------------------------------------------------------------

    def creation_moments(self) -> list[tuple[datetime, str | None]]:
        """Return (UTC moment, fixed text or None) for each lead, oldest first.

        Two leads sit at a month boundary in UTC but carry an offset that puts their local time in
        the other month, so reading the offset wrongly moves them to another cohort month.
        """
        fixed = [
            (datetime(2025, 1, 31, 23, 30), "2025-02-01T01:30:00+02:00"),
            (datetime(2026, 3, 1, 2, 0), "2026-02-28T21:00:00-05:00"),
        ][: self.lead_count]
        total_days = (LEADS_UNTIL - LEADS_FROM).days
        moments: list[tuple[datetime, str | None]] = list(fixed)
        while len(moments) < self.lead_count:
            # More leads later in the window (a growing business), fewer on weekends.
            day = LEADS_FROM + timedelta(days=int(total_days * self.rng.random() ** 0.8))
            if day.weekday() >= 5 and self.rng.random() < 0.6:
                continue
            hour = min(23, max(0, int(self.rng.gauss(14, 4))))
            moment = day + timedelta(hours=hour, minutes=self.rng.randint(0, 59), seconds=self.rng.randint(0, 59))
            moments.append((moment, None))
        return sorted(moments, key=lambda item: item[0])

    def build_leads(self) -> None:
        countries = COUNTRIES + (UNKNOWN_COUNTRY,)
        country_weights = [country.weight for country in countries]
        sources = [source for source, _ in LEAD_SOURCE_WEIGHTS]
        source_weights = [weight for _, weight in LEAD_SOURCE_WEIGHTS]

        for number, (created_at, fixed_text) in enumerate(self.creation_moments(), start=1):
            country = self.rng.choices(countries, country_weights)[0]
            lead_source = self.rng.choices(sources, source_weights)[0]
            campaign_id = ""
            if lead_source and self.rng.random() < 0.9:
                campaign_id = self.campaign_for(lead_source, country, created_at.date())
            if self.rng.random() < 0.005:
                campaign_id = self.rng.choice(UNMAPPED_CAMPAIGN_IDS)
                self.planted["leads_with_unmapped_campaign"] += 1
            first_name = self.rng.choice(FIRST_NAMES)
            last_name = self.rng.choice(LAST_NAMES)
            company_base = f"{self.rng.choice(COMPANY_WORDS)} {self.rng.choice(COMPANY_NOUNS)}"
            territory = self.rng.choice(country.territories)
            lead = _Lead(
                lead_id=f"L{number:06d}",
                created_at=created_at,
                created_text=fixed_text or self.format_timestamp(created_at),
                country=country,
                country_text=self.country_text(country),
                territory=territory,
                lead_source=lead_source,
                lead_source_text=self.vary_case(lead_source) if lead_source else "",
                campaign_id=campaign_id,
                company=company_base + self.rng.choice(country.company_suffixes),
                first_name=first_name,
                last_name=last_name,
                email=self.email(first_name, last_name, company_base),
                sdr_rep_id="" if self.rng.random() < 0.04 else self.rep_for("sdr", territory, created_at.date()),
                is_wide_form=lead_source == WIDE_FORM_LEAD_SOURCE,
                is_time_zone_boundary=fixed_text is not None,
            )
            lead.owner_rep_id = lead.sdr_rep_id
            lead.stages.add("raw_lead")
            self.leads.append(lead)
            self.plan_funnel(lead)

    def country_text(self, country: Country) -> str:
        """Name the country by alpha-2 code (mostly), alpha-3 code, English name or alias."""
        if country is UNKNOWN_COUNTRY:
            return ""
        draw = self.rng.random()
        if draw < 0.6 or (draw >= 0.72 and not country.names):
            return country.code
        if draw < 0.72:
            return country.alpha3
        return self.rng.choice(country.names)

    def email(self, first_name: str, last_name: str, company: str) -> str:
        if self.rng.random() < 0.03:
            return ""
        local = f"{first_name}.{last_name}".replace(" ", "").replace("'", "")
        domain = company.replace("&", "and").replace(" ", "-")
        return f"{ascii_fold(local)}@{ascii_fold(domain)}.example".lower()

    # ---- funnel --------------------------------------------------------------------------------

    def add_lead_event(self, lead: _Lead, moment: datetime, stage: str, rep_id: str | None = None) -> bool:
        """Record a status change of the lead record unless it falls after the export."""
        if moment >= EXPORT_AT:
            return False
        lead.events.append((moment, stage, lead.sdr_rep_id if rep_id is None else rep_id))
        lead.stages.add(stage)
        return True

    def plan_funnel(self, lead: _Lead) -> None:
        """Walk one lead through the funnel and record its status changes and opportunities."""
        rng = self.rng
        if rng.random() < 0.35:
            # A CRM that logs the initial status writes New at the creation time.
            self.add_lead_event(lead, lead.created_at, "raw_lead")

        if lead.lead_source in ("referral", "partner", "events") and rng.random() < 0.06:
            # Skips inquiry and contact: a hand-raiser goes straight to sales.
            if self.convert(lead, lead.created_at + self.gap(5)):
                lead.skipped_stages = True
            return

        if rng.random() >= INQUIRY_RATES[lead.lead_source]:
            if rng.random() < 0.06:
                self.add_lead_event(lead, lead.created_at + self.gap(2), "disqualified")
            else:
                self.maybe_web_shop_booking(lead, lead.created_at)
            return

        # Form fills and scanned badges become MQL at the creation second.
        same_second = rng.random() < 0.25
        moment = lead.created_at if same_second else lead.created_at + self.gap(3)
        if not self.add_lead_event(lead, moment, "inquiry"):
            return
        contact_rate, opportunity_rate = 0.6, 0.42
        for cycle in range(2):
            if rng.random() < contact_rate:
                # Assignment rules sometimes set Working in the same second as MQL.
                moment = moment if rng.random() < 0.1 else moment + self.gap(2)
                if not self.add_lead_event(lead, moment, "contact"):
                    return
                if rng.random() < opportunity_rate:
                    self.convert(lead, moment + self.gap(12, minimum_seconds=3600))
                    return
                outcome = rng.random()
                if outcome < 0.35:
                    moment += self.gap(10)
                    if not self.add_lead_event(lead, moment, "nurture"):
                        return
                elif outcome < 0.7:
                    self.add_lead_event(lead, moment + self.gap(10), "disqualified")
                    return
                else:
                    return
            elif rng.random() < 0.45:
                moment += self.gap(7)
                if not self.add_lead_event(lead, moment, "nurture"):
                    return
            else:
                self.maybe_web_shop_booking(lead, moment)
                return

            # The lead is in nurture. The wide form has one date per status and cannot show a
            # second MQL, so leads from that source are never recycled.
            if cycle == 1 or lead.is_wide_form or rng.random() >= 0.2:
                return
            moment += self.gap(60, minimum_seconds=7 * 86400)
            if not self.add_lead_event(lead, moment, "inquiry"):
                return
            lead.was_recycled = True
            contact_rate, opportunity_rate = 0.45, 0.35

    def convert(self, lead: _Lead, moment: datetime) -> bool:
        """Convert the lead to an opportunity (lead status SQL) at `moment`."""
        if moment >= EXPORT_AT:
            return False
        opportunity = self.open_opportunity(lead, moment)
        self.add_lead_event(lead, moment, "opportunity", opportunity.rep_id)
        lead.owner_rep_id = opportunity.rep_id
        closed_at = self.close_opportunity(opportunity, won_rate=0.32, lost_rate=0.53)

        # Some lost deals come back: a second opportunity for the same lead, months later.
        if opportunity.status == "Lost" and closed_at is not None and self.rng.random() < 0.12:
            reopened_at = closed_at + self.gap(90, minimum_seconds=14 * 86400)
            if reopened_at < EXPORT_AT:
                second = self.open_opportunity(lead, reopened_at)
                self.close_opportunity(second, won_rate=0.45, lost_rate=0.40)
                self.planted["leads_with_second_opportunity"] += 1
        return True

    def open_opportunity(self, lead: _Lead | None, moment: datetime | None, pillar: str = "") -> _Opportunity:
        """Create an opportunity (status Prospecting) for `lead`, or for an existing customer when `lead` is None."""
        rng = self.rng
        if not pillar:
            pillar = "partner" if lead is not None and lead.lead_source == "partner" else "new_business"
        if pillar == "renewal":
            usd = math.exp(rng.gauss(math.log(30000), 0.6))
        else:
            usd = math.exp(rng.gauss(math.log(18000), 0.8))

        country = lead.country if lead is not None else rng.choice(COUNTRIES)
        territory = lead.territory if lead is not None else rng.choice(country.territories)
        day = (moment or EXPORT_AT).date()
        if pillar == "renewal":
            rep_id = RENEWALS_REP_ID
        elif pillar == "partner":
            rep_id = PARTNER_REP_ID
        else:
            rep_id = self.rep_for("field" if usd >= 40000 else "inside", territory, day)
        if lead is not None:
            account_name = lead.company
        else:
            suffix = rng.choice(country.company_suffixes)
            account_name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_NOUNS)}{suffix}"

        opportunity = _Opportunity(
            opportunity_id=f"O{len(self.opportunities) + 1:06d}",
            lead=lead,
            account_name=account_name,
            country_text=self.country_text(country),
            rep_id=rep_id,
            created_at=moment,
            pillar=pillar,
            # A blank pillar loads as the contract default, new_business.
            pillar_text="" if pillar == "new_business" and rng.random() < 0.1 else pillar,
            currency=country.currency,
            amount=self.money(usd, country.currency),
        )
        if moment is not None:
            opportunity.events.append((moment, "Prospecting"))
        if lead is not None:
            lead.stages.add("opportunity")
        self.opportunities.append(opportunity)
        return opportunity

    def close_opportunity(self, opportunity: _Opportunity, won_rate: float, lost_rate: float) -> datetime | None:
        """Move an opportunity to Proposal and then Won or Lost, stopping at the export."""
        rng = self.rng
        assert opportunity.created_at is not None
        draw = rng.random()
        outcome = ""
        if draw < won_rate:
            outcome = "Won"
        elif draw < won_rate + lost_rate:
            outcome = "Lost"
        closed_at = opportunity.created_at + self.gap(45, minimum_seconds=7 * 86400)
        if rng.random() < 0.7:
            open_seconds = int((closed_at - opportunity.created_at).total_seconds())
            proposal_at = opportunity.created_at + timedelta(seconds=int(open_seconds * rng.uniform(0.3, 0.7)))
            if proposal_at < EXPORT_AT:
                opportunity.events.append((proposal_at, "Proposal"))
                opportunity.status = "Proposal"
        if not outcome or closed_at >= EXPORT_AT:
            return None

        opportunity.events.append((closed_at, outcome))
        opportunity.status = outcome
        opportunity.closed_at = closed_at
        if opportunity.lead is not None:
            opportunity.lead.stages.add(OPPORTUNITY_STATUS_STAGES[outcome])
        if outcome == "Won":
            self.add_booking(opportunity, closed_at)
        return closed_at

    def add_booking(self, opportunity: _Opportunity, closed_at: datetime) -> None:
        booked_at = closed_at
        if self.rng.random() < 0.3:
            later = closed_at + timedelta(seconds=self.rng.randint(600, 3 * 86400))
            booked_at = later if later < EXPORT_AT else closed_at
        # The lead reached closed_won through the opportunity already, so the booking adds no stage.
        self.booking_rows.append((booked_at, [
            "", opportunity.opportunity_id, "", opportunity.account_name, opportunity.country_text,
            opportunity.rep_id, self.format_timestamp(booked_at), opportunity.amount, opportunity.currency,
            opportunity.pillar,
        ]))

    def maybe_web_shop_booking(self, lead: _Lead, after: datetime) -> None:
        """Let a few self-serve leads buy in the web shop: a booking with a lead and no opportunity."""
        if lead.lead_source not in WEB_SHOP_CHANNELS or self.rng.random() >= 0.04:
            return
        booked_at = after + self.gap(6)
        if booked_at >= EXPORT_AT:
            return
        usd = self.rng.choice((49, 99, 199, 499, 990)) * self.rng.randint(1, 5)
        currency = lead.country.currency
        self.booking_rows.append((booked_at, [
            "", "", lead.lead_id, lead.company, lead.country_text, "", self.format_timestamp(booked_at),
            self.money(usd, currency), currency, "web_shop",
        ]))
        lead.stages.add("closed_won")
        self.planted["web_shop_bookings"] += 1

    def build_renewals(self) -> None:
        """Add renewal opportunities of existing customers, which have no lead."""
        count = max(1, self.lead_count // 200)
        window = (EXPORT_AT - LEADS_FROM).total_seconds()
        for index in range(count):
            if index == 0:
                # A prospect without a creation date: no stage events, current status Prospecting.
                self.open_opportunity(None, None, pillar="renewal")
                self.planted["opportunities_without_created_at"] += 1
                continue
            created_at = LEADS_FROM + timedelta(seconds=int(self.rng.random() * window * 0.9))
            opportunity = self.open_opportunity(None, created_at, pillar="renewal")
            self.close_opportunity(opportunity, won_rate=0.75, lost_rate=0.10)

    # ---- web visits ----------------------------------------------------------------------------

    def add_visit(
        self, visitor_id: str, start: datetime, pages: int, user_agent: str, entry: tuple[str, str, str],
        campaign_id: str = "", form: tuple[str, str] | None = None,
    ) -> None:
        """Add one visit: `pages` page views, then a form_submit when `form` (email, lead_id) is given.

        The first page view carries the entry's UTM fields and referrer.
        """
        rng = self.rng
        utm_source, utm_medium, referrer = entry
        moment = start
        for page_index in range(pages + (1 if form else 0)):
            is_form = form is not None and page_index == pages
            path = rng.choice(FORM_PAGES) if is_form else rng.choice(PAGES)
            url = SITE + path
            utm = ["", "", "", "", ""]
            if page_index == 0 and utm_source:
                utm = [utm_source, utm_medium, campaign_id, rng.choice(("", "v1", "v2")),
                       rng.choice(SEARCH_TERMS) if utm_medium == "cpc" else ""]
                query = f"utm_source={utm_source}&utm_medium={utm_medium}"
                if campaign_id:
                    query += f"&utm_campaign={campaign_id}"
                url += "?" + query
            email, lead_id = form if is_form else ("", "")
            self.web_rows.append((moment, len(self.web_rows), [
                "", visitor_id, self.format_timestamp(moment), url,
                referrer if page_index == 0 else SITE + rng.choice(PAGES),
                "form_submit" if is_form else "page_view", *utm, user_agent, email, lead_id,
            ]))
            moment += timedelta(seconds=rng.randint(15, 240))

    def page_count(self) -> int:
        return min(8, 1 + int(self.rng.expovariate(0.6)))

    def build_web_visits(self) -> dict[str, int]:
        rng = self.rng
        stats: Counter[str] = Counter()

        # Leads who came through the website: returning visits over the days before the form.
        for lead in self.leads:
            web_rate = 0.75 if lead.lead_source in WEB_CHANNELS else 0.2
            if rng.random() >= web_rate:
                continue
            visitor_id = self.new_visitor_id()
            user_agent = rng.choice(BROWSER_USER_AGENTS)
            entry = rng.choice(WEB_ENTRY.get(lead.lead_source, WEB_ENTRY["direct_traffic"]))
            earlier_visits = sum(rng.random() < share for share in (0.45, 0.25, 0.1))
            # Distinct days minus up to 8 hours keep a visitor's visits at least 16 hours apart.
            days_before = sorted(rng.sample(range(1, 31), earlier_visits), reverse=True)
            for visit_index, days in enumerate(days_before):
                start = lead.created_at - timedelta(days=days) - self.seconds_between(0, 1 / 3)
                self.add_visit(
                    visitor_id, start, self.page_count(), user_agent,
                    entry if visit_index == 0 else ("", "", ""), lead.campaign_id,
                )
            pages = self.page_count()
            form_at = lead.created_at - timedelta(seconds=rng.randint(3, 40))
            start = form_at - timedelta(seconds=240 * pages)
            self.add_visit(
                visitor_id, start, pages, user_agent, ("", "", "") if days_before else entry, lead.campaign_id,
                form=(lead.email, lead.lead_id),
            )
            is_returning = bool(days_before)
            if rng.random() < 0.2:
                later = lead.created_at + self.seconds_between(1, 20)
                if later < EXPORT_AT:
                    self.add_visit(visitor_id, later, self.page_count(), user_agent, ("", "", ""))
                    is_returning = True
            stats["identified_visitors"] += 1
            stats["visitors"] += 1
            if is_returning:
                stats["returning_visitors"] += 1

        # Anonymous visitors, some returning, a few who sign up for the newsletter without a lead.
        span = (EXPORT_AT - LEADS_FROM).total_seconds()
        for _ in range(int(self.lead_count * 0.8)):
            visitor_id = self.new_visitor_id()
            user_agent = rng.choice(BROWSER_USER_AGENTS)
            source = rng.choice(WEB_CHANNELS)
            entry = rng.choice(WEB_ENTRY[source])
            visits = 1 + sum(rng.random() < share for share in (0.3, 0.1))
            start = LEADS_FROM + timedelta(seconds=int(rng.random() * span * 0.95))
            for visit_index in range(visits):
                form = None
                if visit_index == visits - 1 and rng.random() < 0.02:
                    form = (f"reader{len(self.visitor_ids)}@mail.example", "")
                    stats["form_submits_without_lead"] += 1
                self.add_visit(visitor_id, start, self.page_count(), user_agent,
                               entry if visit_index == 0 else ("", "", ""), form=form)
                start += self.seconds_between(1, 14)
            stats["visitors"] += 1
            if visits > 1:
                stats["returning_visitors"] += 1

        # Bots: crawlers spread over the window, and one burst of scripted requests.
        bot_rows_before = len(self.web_rows)
        for user_agent in CRAWLER_USER_AGENTS:
            visitor_id = self.new_visitor_id()
            for _ in range(max(10, self.lead_count // 100)):
                moment = LEADS_FROM + timedelta(seconds=int(rng.random() * span * 0.95))
                self.add_visit(visitor_id, moment, 1, user_agent, ("", "", ""))
            stats["bot_visitors"] += 1
        burst_visitor = self.new_visitor_id()
        burst_start = LEADS_FROM + timedelta(days=rng.randint(100, 400), hours=3)
        for index in range(max(60, self.lead_count // 25)):
            moment = burst_start + timedelta(seconds=index // 4)
            self.web_rows.append((moment, len(self.web_rows), [
                "", burst_visitor, self.format_timestamp(moment), SITE + rng.choice(PAGES), "", "page_view",
                "", "", "", "", "", BURST_USER_AGENT, "", "",
            ]))
        stats["bot_visitors"] += 1
        stats["bot_rows"] = len(self.web_rows) - bot_rows_before
        stats["visitors"] += stats["bot_visitors"]
        return dict(stats)

    # ---- bad rows ------------------------------------------------------------------------------

    def insert_bad_row(
        self, rows: list[list[str]], file_name: str, entity: str, row: list[str], column: str, columns: tuple[str, ...],
        reason: str,
    ) -> None:
        """Insert a row the loader must quarantine at a random place and record it in the truth."""
        position = self.rng.randint(0, len(rows))
        rows.insert(position, row)
        self.bad_rows.append({
            "entity": entity, "file": file_name, "column": column, "value": row[columns.index(column)],
            "reason": reason, "row": row,
        })

    @staticmethod
    def line_numbers(rows: list[list[str]], bad_rows: list[dict[str, Any]]) -> None:
        """Set each bad row's 1-based line in its file (the header is line 1)."""
        positions = {id(row): index for index, row in enumerate(rows)}
        for bad_row in bad_rows:
            if id(bad_row["row"]) in positions:
                bad_row["line"] = positions[id(bad_row["row"])] + 2

    # ---- files ---------------------------------------------------------------------------------

    def lead_rows(self) -> list[list[str]]:
        rows = []
        for lead in self.leads:
            employee_count = "" if self.rng.random() < 0.12 else str(
                min(200000, max(1, int(math.exp(self.rng.gauss(math.log(200), 1.6)))))
            )
            rows.append([
                lead.lead_id, lead.email, lead.first_name, lead.last_name, lead.company, self.rng.choice(TITLES),
                lead.country_text, lead.lead_source_text, lead.campaign_id, lead.created_text, lead.owner_rep_id,
                self.rng.choice(INDUSTRIES), employee_count, "",
            ])
        number = len(self.leads) + 1
        self.insert_bad_row(
            rows, "leads.csv", "leads",
            ["", "kai.berger@polar-labs.example", "Kai", "Berger", "Polar Labs GmbH", "CTO", "DE", "webinar", "",
             "2025-05-14 10:02:11", "", "Software", "40", ""],
            "lead_id", LEAD_COLUMNS, "missing key lead_id",
        )
        self.insert_bad_row(
            rows, "leads.csv", "leads",
            [f"L{number:06d}", "rosa.vidal@summit-foods.example", "Rosa", "Vidal", "Summit Foods S.L.", "CFO", "ES",
             "email", "", "2025-02-30 09:15:00", "", "Retail", "120", ""],
            "created_at", LEAD_COLUMNS, "invalid timestamp in created_at (February 30)",
        )
        return rows

    def stage_event_rows(self) -> tuple[list[list[str]], list[list[str]]]:
        """Return the rows of stage_events.csv and of the wide stage_dates.csv."""
        events: list[tuple[datetime, int, str, str, str, str]] = []
        wide_rows = []
        for lead in self.leads:
            if lead.is_wide_form:
                dates = {stage: "" for stage in STAGE_DATES_STAGES}
                for moment, stage, _ in lead.events:
                    dates[stage] = moment.isoformat(" ")
                if lead.events:
                    record_type = "" if self.rng.random() < 0.2 else "lead"
                    wide_rows.append([lead.lead_id, record_type, lead.owner_rep_id, "default",
                                      *(dates[stage] for stage in STAGE_DATES_STAGES)])
                continue
            for moment, stage, rep_id in lead.events:
                events.append((moment, len(events), "lead", lead.lead_id, LEAD_STATUSES[stage], rep_id))
        for opportunity in self.opportunities:
            for moment, status in opportunity.events:
                events.append(
                    (moment, len(events), "opportunity", opportunity.opportunity_id, status, opportunity.rep_id)
                )

        events.sort(key=lambda event: (event[0], event[1]))
        rows = []
        for number, (moment, _, record_type, record_id, status, rep_id) in enumerate(events, start=1):
            rows.append([f"E{number:08d}", record_type, record_id, self.vary_case(status),
                         self.format_timestamp(moment), rep_id, ""])
        return rows, wide_rows

    def opportunity_rows(self) -> list[list[str]]:
        rows = []
        for opportunity in self.opportunities:
            rows.append([
                opportunity.opportunity_id,
                opportunity.lead.lead_id if opportunity.lead else "",
                opportunity.account_name,
                opportunity.country_text,
                opportunity.rep_id,
                self.format_timestamp(opportunity.created_at) if opportunity.created_at else "",
                self.format_timestamp(opportunity.closed_at) if opportunity.closed_at else "",
                opportunity.status,
                opportunity.amount,
                opportunity.currency,
                opportunity.pillar_text,
                "",
            ])
        return rows

    def booking_file_rows(self) -> list[list[str]]:
        ordered = sorted(self.booking_rows, key=lambda item: item[0])
        rows = []
        for number, (_, row) in enumerate(ordered, start=1):
            rows.append([f"B{number:06d}", *row[1:]])
        won = [opportunity for opportunity in self.opportunities if opportunity.status == "Won"]
        # The bad bookings are add-on lines of a won deal, so loading or dropping them changes no stage.
        target = won[0] if won else None
        opportunity_id = target.opportunity_id if target else ""
        account = target.account_name if target else "Atlas Media Inc."
        number = len(rows) + 1
        self.insert_bad_row(
            rows, "bookings.csv", "bookings",
            [f"B{number:06d}", opportunity_id, "", account, "US", "", "2025-11-03 16:20:00", "TBD", "USD",
             "new_business"],
            "booking_amount", BOOKING_COLUMNS, "invalid decimal in booking_amount",
        )
        self.insert_bad_row(
            rows, "bookings.csv", "bookings",
            [f"B{number + 1:06d}", opportunity_id, "", account, "US", "", "2025-11-04 09:00:00", "1500.00", "XXX",
             "new_business"],
            "currency_code", BOOKING_COLUMNS, "unknown currency XXX in currency_code",
        )
        return rows

    def spend_file_rows(self) -> list[list[str]]:
        rows = list(self.spend_rows)
        campaign = self.campaigns[0]
        self.insert_bad_row(
            rows, "campaign_spend.csv", "campaign_spend",
            [campaign.campaign_id, "2025-02-29", "512.40", campaign.currency],
            "spend_date", CAMPAIGN_SPEND_COLUMNS, "invalid date in spend_date (2025 is not a leap year)",
        )
        return rows

    def web_visit_rows(self) -> list[list[str]]:
        ordered = sorted(self.web_rows, key=lambda item: (item[0], item[1]))
        rows = []
        for number, (_, _, row) in enumerate(ordered, start=1):
            row[0] = f"W{number:09d}"
            rows.append(row)
        return rows

    def campaign_rows(self) -> list[list[str]]:
        return [
            [campaign.campaign_id, campaign.name, campaign.channel, campaign.program, campaign.start.isoformat(),
             campaign.end.isoformat(), self.money(campaign.planned_usd * 1.1, campaign.currency), campaign.currency]
            for campaign in self.campaigns
        ]

    # ---- truth ---------------------------------------------------------------------------------

    def funnel_truth(self) -> dict[str, Any]:
        reached = Counter()
        entered = Counter()
        won_and_lost = 0
        for lead in self.leads:
            top_position = max(FUNNEL_POSITIONS[stage] for stage in lead.stages if stage in FUNNEL_POSITIONS)
            for stage in ("raw_lead", "inquiry", "contact", "opportunity"):
                if FUNNEL_POSITIONS[stage] <= top_position:
                    reached[stage] += 1
            for stage in ("closed_won", "closed_lost"):
                if stage in lead.stages:
                    reached[stage] += 1
            for stage in OFF_FUNNEL_STAGES:
                if stage in lead.stages:
                    entered[stage] += 1
            if {"closed_won", "closed_lost"} <= lead.stages:
                won_and_lost += 1
        return {
            "stages_reached": {stage: reached[stage] for stage in FUNNEL_POSITIONS},
            "stages_entered": {stage: entered[stage] for stage in OFF_FUNNEL_STAGES},
            "leads_won": reached["closed_won"],
            "leads_lost": reached["closed_lost"],
            "leads_won_and_lost": won_and_lost,
        }

    def same_second_leads(self) -> int:
        """Count leads with two stage events (of the lead or its opportunities) at the same second."""
        moments = {lead.lead_id: [moment for moment, _, _ in lead.events] for lead in self.leads}
        for opportunity in self.opportunities:
            if opportunity.lead is not None:
                moments[opportunity.lead.lead_id].extend(moment for moment, _ in opportunity.events)
        return sum(1 for values in moments.values() if len(values) != len(set(values)))


# Letters that Unicode does not decompose into a base letter and an accent.
UNDECOMPOSABLE_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ß": "ss", "œ": "oe", "ł": "l"}
)


def ascii_fold(text: str) -> str:
    """Drop accents so that a name fits an email address (Müller becomes Muller, Søren becomes Soren)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(UNDECOMPOSABLE_LETTERS))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def count_by(values: list[str]) -> dict[str, int]:
    counts = Counter(values)
    return {key: counts[key] for key in sorted(counts)}


def money_totals(rows: list[list[str]], amount_index: int, currency_index: int) -> dict[str, dict[str, Any]]:
    """Sum amounts per currency exactly and return the totals as decimal strings."""
    totals: dict[str, Decimal] = {}
    counts: Counter[str] = Counter()
    for row in rows:
        currency = row[currency_index]
        totals[currency] = totals.get(currency, Decimal("0")) + Decimal(row[amount_index])
        counts[currency] += 1
    return {
        currency: {"count": counts[currency], "total_amount": str(totals[currency])}
        for currency in sorted(totals)
    }


def write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_demo_data(landing_dir: Path, leads: int = 5000, seed: int = 42) -> DemoTruth:
    """Write a seeded demo landing folder and demo_truth.json, and return the truth.

    `leads` is the number of valid leads. Two more lead rows are planted for quarantine. The
    nine contract files and demo_truth.json in `landing_dir` are overwritten. Other files there
    are left alone, and the loader reads them too.
    """
    if leads < 1:
        raise ValueError(f"leads must be at least 1, got {leads}")
    landing_dir = Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    logger = get_logger()
    logger.info("Generating demo data: %d leads, seed %d, into %s", leads, seed, landing_dir)

    generator = _DemoGenerator(leads, seed)
    generator.build_campaigns()
    generator.build_leads()
    generator.build_renewals()
    web_stats = generator.build_web_visits()

    lead_rows = generator.lead_rows()
    stage_event_rows, stage_dates_rows = generator.stage_event_rows()
    opportunity_rows = generator.opportunity_rows()
    booking_rows = generator.booking_file_rows()
    spend_rows = generator.spend_file_rows()
    web_rows = generator.web_visit_rows()
    campaign_rows = generator.campaign_rows()
    rep_rows = [list(rep) for rep in REPS]

    files: dict[str, tuple[tuple[str, ...], list[list[str]]]] = {
        "leads.csv": (LEAD_COLUMNS, lead_rows),
        "stage_events.csv": (STAGE_EVENT_COLUMNS, stage_event_rows),
        "stage_dates.csv": (STAGE_DATES_COLUMNS + STAGE_DATES_STATUS_COLUMNS, stage_dates_rows),
        "web_visits.csv": (WEB_VISIT_COLUMNS, web_rows),
        "campaigns.csv": (CAMPAIGN_COLUMNS, campaign_rows),
        "campaign_spend.csv": (CAMPAIGN_SPEND_COLUMNS, spend_rows),
        "reps.csv": (REP_COLUMNS, rep_rows),
        "opportunities.csv": (OPPORTUNITY_COLUMNS, opportunity_rows),
        "bookings.csv": (BOOKING_COLUMNS, booking_rows),
    }
    for file_name, (header, rows) in files.items():
        generator.line_numbers(rows, generator.bad_rows)
        write_csv(landing_dir / file_name, header, rows)

    truth = build_truth(generator, files, web_stats)
    truth_text = json.dumps(truth.as_dict(), indent=2, ensure_ascii=False) + "\n"
    (landing_dir / TRUTH_FILE_NAME).write_text(truth_text, encoding="utf-8", newline="\n")
    logger.info(
        "Wrote demo data: %d leads, %d opportunities, %d bookings, %d bad rows",
        truth.leads, truth.opportunities["count"], truth.bookings["count"], len(truth.bad_rows),
    )
    return truth


def build_truth(
    generator: _DemoGenerator, files: dict[str, tuple[tuple[str, ...], list[list[str]]]], web_stats: dict[str, int],
) -> DemoTruth:
    """Count the truth from the generator's planted objects and the rows it wrote."""
    bad_row_ids = {id(bad_row["row"]) for bad_row in generator.bad_rows}
    quarantined = Counter(bad_row["entity"] for bad_row in generator.bad_rows)
    entities = [file_name.removesuffix(".csv") for file_name in files]

    booking_rows = [row for row in files["bookings.csv"][1] if id(row) not in bad_row_ids]
    spend_rows = [row for row in files["campaign_spend.csv"][1] if id(row) not in bad_row_ids]
    opportunities = generator.opportunities
    leads = generator.leads
    web_rows = files["web_visits.csv"][1]
    form_submits = [row for row in web_rows if row[5] == "form_submit"]

    bookings_by_pillar = Counter(row[9] for row in booking_rows)
    web_visits = {
        "rows": len(web_rows),
        "page_views": len(web_rows) - len(form_submits),
        "form_submits": len(form_submits),
        "form_submits_with_lead": sum(1 for row in form_submits if row[13]),
        "form_submits_without_lead": web_stats.get("form_submits_without_lead", 0),
        "visitors": web_stats["visitors"],
        "identified_visitors": web_stats.get("identified_visitors", 0),
        "returning_visitors": web_stats.get("returning_visitors", 0),
        "bot_visitors": web_stats["bot_visitors"],
        "bot_rows": web_stats["bot_rows"],
    }
    planted = {
        "time_zone_boundary_leads": [
            {"lead_id": lead.lead_id, "created_at_text": lead.created_text,
             "created_at_utc": lead.created_at.strftime("%Y-%m-%d %H:%M:%S")}
            for lead in leads if lead.is_time_zone_boundary
        ],
        "leads_in_stage_dates": len(files["stage_dates.csv"][1]),
        "leads_skipping_to_opportunity": sum(1 for lead in leads if lead.skipped_stages),
        "leads_recycled_from_nurture": sum(1 for lead in leads if lead.was_recycled),
        "leads_with_same_second_events": generator.same_second_leads(),
        "leads_with_unmapped_campaign": generator.planted["leads_with_unmapped_campaign"],
        "leads_with_second_opportunity": generator.planted["leads_with_second_opportunity"],
        "leads_without_owner": sum(1 for lead in leads if not lead.owner_rep_id),
        "web_shop_bookings": generator.planted["web_shop_bookings"],
        "opportunities_without_created_at": generator.planted["opportunities_without_created_at"],
    }
    rep_rows = files["reps.csv"][1]

    return DemoTruth(
        seed=generator.seed,
        leads=len(leads),
        export_at=EXPORT_AT.strftime("%Y-%m-%d %H:%M:%S"),
        source_time_zone="UTC",
        file_rows={file_name: len(rows) for file_name, (_, rows) in files.items()},
        quarantined={entity: quarantined[entity] for entity in entities},
        bad_rows=[
            {key: bad_row[key] for key in ("entity", "file", "line", "column", "value", "reason")}
            for bad_row in generator.bad_rows
        ],
        **generator.funnel_truth(),
        leads_by_lead_source=count_by([lead.lead_source or "(not set)" for lead in leads]),
        leads_by_country=count_by([lead.country.code for lead in leads]),
        leads_by_created_month=count_by([lead.created_at.strftime("%Y-%m") for lead in leads]),
        opportunities={
            "count": len(opportunities),
            "with_lead": sum(1 for opportunity in opportunities if opportunity.lead is not None),
            "won": sum(1 for opportunity in opportunities if opportunity.status == "Won"),
            "lost": sum(1 for opportunity in opportunities if opportunity.status == "Lost"),
            "open": sum(1 for opportunity in opportunities if opportunity.status in ("Prospecting", "Proposal")),
        },
        bookings={
            "count": len(booking_rows),
            "without_opportunity": sum(1 for row in booking_rows if not row[1]),
            "by_currency": money_totals(booking_rows, 7, 8),
            "by_pillar": {pillar: bookings_by_pillar[pillar] for pillar in sorted(bookings_by_pillar)},
        },
        campaigns=len(generator.campaigns),
        campaign_spend={"rows": len(spend_rows), "by_currency": money_totals(spend_rows, 2, 3)},
        reps={"rows": len(rep_rows), "reps": len({row[0] for row in rep_rows})},
        web_visits=web_visits,
        planted=planted,
    )
