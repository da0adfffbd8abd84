"""The short funnel summary printed at the end of a run, read from the published datamart."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

FUNNEL_STAGES = ("raw_lead", "inquiry", "contact", "opportunity", "closed_won")


@dataclass(frozen=True)
class FunnelSummary:
    """Leads reaching each funnel stage, opportunities and bookings in the published datamart."""

    stage_counts: dict[str, int]
    closed_lost_count: int
    opportunity_count: int
    won_opportunity_count: int
    lost_opportunity_count: int
    opportunities_with_lead_count: int
    booking_count: int
    bookings_with_opportunity_count: int
    bookings_reporting_amount: float
    reporting_currency_code: str

    def conversion_rates(self) -> list[tuple[str, str, float | None]]:
        """Return (from stage, to stage, rate) for each consecutive pair of funnel stages."""
        rates = []
        for from_stage, to_stage in zip(FUNNEL_STAGES, FUNNEL_STAGES[1:]):
            entered = self.stage_counts[from_stage]
            rates.append((from_stage, to_stage, self.stage_counts[to_stage] / entered if entered else None))
        return rates

    def text(self) -> str:
        lines = ["Leads reaching each stage (each lead once; a stage it skipped counts as reached):"]
        for stage in FUNNEL_STAGES:
            lines.append(f"  {stage:<12} {self.stage_counts[stage]:>10,}")
        lines.append(f"  {'closed_lost':<12} {self.closed_lost_count:>10,}")
        lines.append("Stage-to-stage conversion (share of the leads in a stage that reached the next):")
        for from_stage, to_stage, rate in self.conversion_rates():
            rate_text = "n/a" if rate is None else f"{rate:.1%}"
            lines.append(f"  {from_stage} -> {to_stage}: {rate_text}")
        open_count = self.opportunity_count - self.won_opportunity_count - self.lost_opportunity_count
        lines.append(
            f"Opportunities: {self.opportunity_count:,} ({self.won_opportunity_count:,} won, "
            f"{self.lost_opportunity_count:,} lost, {open_count:,} open); "
            f"{self.opportunities_with_lead_count:,} came from a lead, and a lead can have several"
        )
        lines.append(
            f"Bookings: {self.booking_count:,} totalling {self.bookings_reporting_amount:,.2f} "
            f"{self.reporting_currency_code}; {self.bookings_with_opportunity_count:,} close an opportunity "
            f"and {self.booking_count - self.bookings_with_opportunity_count:,} have none"
        )
        return "\n".join(lines)


def read_funnel_summary(published_db: Path, reporting_currency_code: str) -> FunnelSummary:
    """Compute the summary from fct_lead_funnel, fct_opportunities and fct_bookings of the published file.

    Lead counts count leads, while opportunity and booking counts count those records. They
    differ because a lead can open several opportunities and a booking need not close one.
    """
    with duckdb.connect(str(published_db), read_only=True) as connection:
        stage_columns = ", ".join(f"count({stage}_at)" for stage in FUNNEL_STAGES)
        counts = connection.execute(f"select {stage_columns}, count(closed_lost_at) from fct_lead_funnel").fetchone()
        opportunities = connection.execute(
            "select count(*), count(*) filter (where is_won), count(*) filter (where is_lost), count(lead_id)"
            " from fct_opportunities"
        ).fetchone()
        bookings = connection.execute(
            "select count(*), coalesce(sum(reporting_amount), 0), count(opportunity_id) from fct_bookings"
        ).fetchone()
    return FunnelSummary(
        stage_counts=dict(zip(FUNNEL_STAGES, counts[: len(FUNNEL_STAGES)])),
        closed_lost_count=counts[-1],
        opportunity_count=opportunities[0],
        won_opportunity_count=opportunities[1],
        lost_opportunity_count=opportunities[2],
        opportunities_with_lead_count=opportunities[3],
        booking_count=bookings[0],
        bookings_reporting_amount=float(bookings[1]),
        bookings_with_opportunity_count=bookings[2],
        reporting_currency_code=reporting_currency_code,
    )
