"""Business alerts: weekly conversion rates and cost per lead against the mean of their trailing weeks.

The series come from the build database after a publish, where the marts equal the published
ones. Weeks start on Monday. The latest week compared is the last complete week before the
newest lead in the data, not before today. A data set that stopped growing is therefore judged
by its own last weeks, and a source that stopped delivering raises a stale_source alert instead.

- conversion_rate: of the leads that entered `from_stage` in a week, the share that reached
  `to_stage` within `conversion_window_days`. A week counts only once that window has passed
  for all of its leads, so young weeks are not compared while their leads still convert.
- cost_per_lead: campaign spend of the week in the reporting currency (converted with
  seeds/fx_rates.csv for the spend month) divided by the leads created in that week.

A metric whose weeks have fewer than `min_weekly_count` leads is not evaluated: with a
handful of leads a week, the rate moves by chance more than any threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from orchestration.alerting import Incident, detect_metric_shift
from orchestration.operations.config import BusinessMetric, OperationsConfig

RUNBOOKS = {
    "conversion_rate": (
        "Compare the latest week's leads and stage events with the weeks before (rpt_funnel_conversion, "
        "fct_lead_funnel). Check for a missing stage_events file or a changed status mapping first; if the "
        "data is right, tell the funnel's owner."
    ),
    "cost_per_lead": (
        "Check the latest week's campaign_spend and leads files for gaps or duplicates. If the data is right, "
        "tell the marketing budget owner."
    ),
}


@dataclass(frozen=True)
class MetricEvaluation:
    """The outcome of one business metric: evaluated (with or without an incident), or the reason it was not."""

    metric: BusinessMetric
    evaluated: bool
    reason: str = ""
    latest_week: date | None = None
    latest_value: float | None = None
    incident: Incident | None = None

    @property
    def scope(self) -> str:
        return f"business:{self.metric.name}"


def evaluate_business_metrics(
    build_db: Path,
    config: OperationsConfig,
    reporting_currency: str,
) -> list[MetricEvaluation]:
    """Evaluate every metric of operations.yml on the build database's marts."""
    results = []
    with duckdb.connect(str(build_db), read_only=True) as connection:
        for metric in config.business_metrics:
            try:
                if metric.type == "conversion_rate":
                    latest, weeks = conversion_rate_weeks(connection, metric)
                else:
                    latest, weeks = cost_per_lead_weeks(connection, reporting_currency)
            except duckdb.Error as error:
                results.append(MetricEvaluation(metric, evaluated=False, reason=f"the series could not be read: {error}"))
                continue
            results.append(_evaluate(metric, latest, weeks, config.trailing_weeks))
    return results


def conversion_rate_weeks(
    connection: duckdb.DuckDBPyConnection, metric: BusinessMetric
) -> tuple[date | None, list[tuple[date, int, float | None]]]:
    """Return the latest complete week and (week start, leads entered, conversion rate) per week, oldest first.

    A week is complete when its conversion window has passed for its last lead.
    """
    entered_at = f"{metric.from_stage}_at"
    reached_at = f"{metric.to_stage}_at"
    window = int(metric.conversion_window_days)
    rows = connection.execute(
        f"""
        with as_of as (
            select max(created_at) as newest from marts.fct_lead_funnel
        ),
        entered as (
            select
                cast(date_trunc('week', {entered_at}) as date) as week_start,
                {reached_at} is not null and {reached_at} <= {entered_at} + to_days({window}) as is_converted
            from marts.fct_lead_funnel
            where {entered_at} is not null
        ),
        weekly as (
            select week_start, count(*) as entered, count(*) filter (where is_converted) as converted
            from entered
            group by week_start
        )
        select weekly.week_start, weekly.entered, weekly.converted
        from weekly, as_of
        where weekly.week_start + to_days(7 + {window}) <= as_of.newest
        order by weekly.week_start
        """
    ).fetchall()
    [(latest,)] = connection.execute(
        f"""
        select cast(date_trunc('week', max(created_at) - to_days(7 + {window})) as date)
        from marts.fct_lead_funnel
        """
    ).fetchall()
    return latest, [(week, entered, converted / entered if entered else None) for week, entered, converted in rows]


def cost_per_lead_weeks(
    connection: duckdb.DuckDBPyConnection, reporting_currency: str
) -> tuple[date | None, list[tuple[date, int, float | None]]]:
    """Return the latest complete week and (week start, leads created, spend per lead) per week, oldest first.

    The week of the newest lead may be partial, so the latest complete week is the one before it.
    """
    rows = connection.execute(
        """
        with as_of as (
            select max(created_at) as newest from marts.fct_lead_funnel
        ),
        rates as (
            select cast(rate_month as date) as rate_month, upper(trim(currency_code)) as currency_code,
                cast(usd_per_unit as double) as usd_per_unit
            from reference.fx_rates
        ),
        spend as (
            select
                cast(date_trunc('week', spend.spend_date) as date) as week_start,
                case
                    when spend.currency_code = ? then cast(spend.spend_amount as double)
                    else cast(spend.spend_amount as double) * source_rates.usd_per_unit / target_rates.usd_per_unit
                end as reporting_amount
            from staging.stg_landing__campaign_spend as spend
            left join rates as source_rates
                on source_rates.currency_code = spend.currency_code
                and source_rates.rate_month = cast(date_trunc('month', spend.spend_date) as date)
            left join rates as target_rates
                on target_rates.currency_code = ?
                and target_rates.rate_month = cast(date_trunc('month', spend.spend_date) as date)
        ),
        weekly_spend as (
            select week_start, sum(reporting_amount) as amount from spend group by week_start
        ),
        weekly_leads as (
            select cast(date_trunc('week', created_at) as date) as week_start, count(*) as leads
            from marts.fct_lead_funnel
            group by 1
        )
        select weekly_leads.week_start, weekly_leads.leads, coalesce(weekly_spend.amount, 0)
        from weekly_leads
        left join weekly_spend using (week_start)
        cross join as_of
        where weekly_leads.week_start + to_days(7) <= cast(date_trunc('week', as_of.newest) as date)
        order by weekly_leads.week_start
        """,
        [reporting_currency, reporting_currency],
    ).fetchall()
    [(latest,)] = connection.execute(
        "select cast(date_trunc('week', max(created_at)) - to_days(7) as date) from marts.fct_lead_funnel"
    ).fetchall()
    return latest, [(week, leads, float(amount) / leads if leads else None) for week, leads, amount in rows]


def _evaluate(
    metric: BusinessMetric,
    latest: date | None,
    weeks: list[tuple[date, int, float | None]],
    trailing_weeks: int,
) -> MetricEvaluation:
    """Compare the latest complete week with its trailing weeks; weeks missing from the data count as weeks without leads."""
    if latest is None or not weeks:
        return MetricEvaluation(metric, evaluated=False, reason="no complete week in the data")
    by_week = {week: (count, value) for week, count, value in weeks}
    window = [latest - timedelta(days=7 * offset) for offset in range(trailing_weeks, -1, -1)]
    counts = [by_week.get(week, (0, None))[0] for week in window]
    if min(counts) < metric.min_weekly_count:
        return MetricEvaluation(
            metric,
            evaluated=False,
            reason=(
                f"fewer than {metric.min_weekly_count} leads in a week of {window[0]:%Y-%m-%d} .. {latest:%Y-%m-%d} "
                f"(smallest week: {min(counts)})"
            ),
            latest_week=latest,
        )
    series = [(week, float(by_week[week][1] or 0.0)) for week in window]
    incident = detect_metric_shift(
        series,
        trailing_weeks,
        metric.threshold_pct,
        metric=metric.name,
        direction=metric.direction,  # type: ignore[arg-type]
        runbook=RUNBOOKS[metric.type],
    )
    return MetricEvaluation(metric, evaluated=True, latest_week=latest, latest_value=series[-1][1], incident=incident)
