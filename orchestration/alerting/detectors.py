"""Pure functions that turn observations into incidents: stale sources and shifted business metrics."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Literal

from orchestration.alerting.incidents import Incident, Severity, format_duration

ShiftDirection = Literal["both", "down", "up"]


def detect_metric_shift(
    series: Sequence[tuple[date, float]],
    trailing_weeks: int,
    threshold_pct: float,
    *,
    metric: str,
    direction: ShiftDirection = "both",
    severity: Severity = "warning",
    runbook: str = "",
) -> Incident | None:
    """Return an incident when the latest week's value differs from the trailing mean by `threshold_pct` or more.

    `series` contains one value per week, keyed by any date of that week (usually its start),
    in any order, with weeks without activity present as 0. The baseline is the mean of the
    `trailing_weeks` values before the latest one. The change is
    (latest - baseline) / |baseline| * 100. `direction` "down" or "up" ignores shifts the
    other way. The incident key is "business_metric:<metric>", so it stays open while
    the shift lasts.

    Returns None when the series has fewer than trailing_weeks + 1 values, or when the
    baseline is 0 (a percentage change from 0 is undefined).
    Raises ValueError for duplicate dates, non-weekly spacing inside the compared window,
    or non-finite values.
    """
    if trailing_weeks < 1:
        raise ValueError(f"trailing_weeks must be at least 1, got {trailing_weeks}.")
    if not threshold_pct > 0:
        raise ValueError(f"threshold_pct must be greater than 0, got {threshold_pct}.")
    if direction not in ("both", "down", "up"):
        raise ValueError(f"direction must be 'both', 'down' or 'up', got {direction!r}.")

    points = sorted(series, key=lambda point: point[0])
    for (earlier, _), (later, _) in zip(points, points[1:]):
        if earlier == later:
            raise ValueError(f"Series for {metric} has two values for {later.isoformat()}.")
    if len(points) < trailing_weeks + 1:
        return None

    window = points[-(trailing_weeks + 1):]
    for (earlier, _), (later, _) in zip(window, window[1:]):
        if (later - earlier) != timedelta(days=7):
            raise ValueError(
                f"Series for {metric} must have one value per week: {earlier.isoformat()} and "
                f"{later.isoformat()} are not 7 days apart. Add missing weeks with value 0."
            )
    for point_date, value in window:
        if not math.isfinite(value):
            raise ValueError(f"Series for {metric} has a non-finite value {value} on {point_date.isoformat()}.")

    latest_date, latest_value = window[-1]
    baseline = sum(value for _, value in window[:-1]) / trailing_weeks
    if baseline == 0:
        return None
    change_pct = (latest_value - baseline) / abs(baseline) * 100
    if abs(change_pct) < threshold_pct:
        return None
    if (direction == "down" and change_pct > 0) or (direction == "up" and change_pct < 0):
        return None

    verb = "fell" if change_pct < 0 else "rose"
    return Incident(
        key=f"business_metric:{metric}",
        kind="business_metric",
        severity=severity,
        title=f"{metric} {verb} {abs(change_pct):.1f}% against its {trailing_weeks}-week mean",
        details={
            "metric": metric,
            "week": latest_date,
            "value": latest_value,
            "baseline_mean": round(baseline, 4),
            "change_pct": round(change_pct, 1),
            "trailing_weeks": trailing_weeks,
            "threshold_pct": threshold_pct,
        },
        runbook=runbook,
    )


def detect_stale_sources(
    last_file_at: Mapping[str, datetime | None],
    windows: Mapping[str, timedelta],
    now: datetime,
    *,
    severity: Severity = "error",
) -> list[Incident]:
    """Return one incident per source in `windows` whose newest file is older than its window, sorted by source.

    A source missing from `last_file_at` (or mapped to None) never delivered a file and is
    stale. Sources without a window are not checked. Naive datetimes are taken as UTC, as
    the raw tables store them. The key is "stale_source:<source>".
    """
    current_time = _as_utc(now)
    incidents = []
    for source in sorted(windows):
        window = windows[source]
        if window <= timedelta(0):
            raise ValueError(f"Freshness window for source {source!r} must be positive, got {window}.")
        title = f"No new file from {source} within {format_duration(window)}"
        window_hours = round(window.total_seconds() / 3600, 2)

        last_arrival = last_file_at.get(source)
        if last_arrival is None:
            incidents.append(
                Incident(
                    key=f"stale_source:{source}",
                    kind="stale_source",
                    severity=severity,
                    title=title,
                    details={"source": source, "last_file_at": None, "window_hours": window_hours},
                )
            )
            continue

        last_arrival = _as_utc(last_arrival)
        age = current_time - last_arrival
        if age <= window:
            continue
        incidents.append(
            Incident(
                key=f"stale_source:{source}",
                kind="stale_source",
                severity=severity,
                title=title,
                details={
                    "source": source,
                    "last_file_at": last_arrival,
                    "window_hours": window_hours,
                    "age_hours": round(age.total_seconds() / 3600, 2),
                    "since": last_arrival + window,
                },
            )
        )
    return incidents


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
