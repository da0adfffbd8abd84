"""Operations settings: volume bounds, freshness windows, business metrics, timeouts and retries.

The settings live in orchestration/operations/operations.yml, or in the file that
FUNNELMART_OPERATIONS_FILE names. Two variables override single values for one run:
FUNNELMART_RUN_TIMEOUT_MINUTES and FUNNELMART_ACCEPT_VOLUME_CHANGE (true makes every
volume check non-blocking, to publish a change in row counts that is intended).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

OPERATIONS_FILE_VAR = "FUNNELMART_OPERATIONS_FILE"
RUN_TIMEOUT_VAR = "FUNNELMART_RUN_TIMEOUT_MINUTES"
ACCEPT_VOLUME_CHANGE_VAR = "FUNNELMART_ACCEPT_VOLUME_CHANGE"
DEFAULT_OPERATIONS_FILE = Path(__file__).with_name("operations.yml")

SEVERITIES = ("critical", "warning", "info")
METRIC_TYPES = ("conversion_rate", "cost_per_lead")
DIRECTIONS = ("both", "down", "up")
# Stages with a `<stage>_at` column in fct_lead_funnel.
FUNNEL_STAGES = ("raw_lead", "inquiry", "contact", "opportunity", "closed_won", "closed_lost")
_TRUE_VALUES = {"1", "true", "yes", "on"}


class OperationsConfigError(ValueError):
    """The operations file is missing or has an invalid value; the message names the file and the key."""


@dataclass(frozen=True)
class VolumeBounds:
    """How far a table's row count may move from the last published run, in percent of that count."""

    max_decrease_pct: float | None
    max_increase_pct: float | None
    severity: str


@dataclass(frozen=True)
class BusinessMetric:
    """A weekly business metric compared with the mean of its trailing weeks."""

    name: str
    type: str
    threshold_pct: float
    direction: str = "both"
    from_stage: str = "raw_lead"
    to_stage: str = "inquiry"
    conversion_window_days: int = 14
    min_weekly_count: int = 30


@dataclass(frozen=True)
class OperationsConfig:
    """Everything operations.yml sets, with the environment overrides applied."""

    path: Path
    min_previous_rows: int
    raw_bounds: VolumeBounds
    mart_bounds: VolumeBounds
    table_bounds: Mapping[str, VolumeBounds]
    freshness_windows: Mapping[str, timedelta]
    trailing_weeks: int
    business_metrics: tuple[BusinessMetric, ...]
    job_name: str
    run_timeout: timedelta
    max_retries: int
    retry_delay_seconds: float
    sensor_interval_seconds: int
    sensor_settle_seconds: float
    data_docs_keep_runs: int
    accept_volume_change: bool = False

    def volume_bounds(self, table: str) -> VolumeBounds:
        """Return the bounds of a table named `<schema>.<table>`: its own entry, else its layer's."""
        if table in self.table_bounds:
            return self.table_bounds[table]
        return self.raw_bounds if table.startswith("raw.") else self.mart_bounds


def load_operations_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> OperationsConfig:
    """Read the operations file (argument, FUNNELMART_OPERATIONS_FILE, or the shipped default).

    Raises OperationsConfigError naming the file and the key of a missing or invalid value.
    """
    env = os.environ if environ is None else environ
    path = Path(path or env.get(OPERATIONS_FILE_VAR) or DEFAULT_OPERATIONS_FILE)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise OperationsConfigError(f"Operations file {path} not found. Unset {OPERATIONS_FILE_VAR} or fix the path.") from None
    except yaml.YAMLError as error:
        raise OperationsConfigError(f"Operations file {path} is not valid YAML: {error}") from None
    reader = _Reader(path, document)

    volume = reader.section("volume")
    table_bounds = {
        name: _bounds(reader, f"volume.tables.{name}", values)
        for name, values in (volume.get("tables") or {}).items()
    }
    business = reader.section("business_metrics")
    run = reader.section("run")
    retries = reader.section("retries")
    sensor = reader.section("landing_sensor")
    docs = reader.section("data_docs")

    timeout_minutes = reader.number("run.timeout_minutes", run.get("timeout_minutes", 60), minimum=1)
    if env.get(RUN_TIMEOUT_VAR, "").strip():
        text = env[RUN_TIMEOUT_VAR].strip()
        try:
            timeout_minutes = float(text)
        except ValueError:
            timeout_minutes = -1.0
        if not timeout_minutes > 0:
            raise OperationsConfigError(f"{RUN_TIMEOUT_VAR} is {text!r}; expected a number of minutes greater than 0.")

    return OperationsConfig(
        path=path,
        min_previous_rows=int(reader.number("volume.min_previous_rows", volume.get("min_previous_rows", 100), minimum=0)),
        raw_bounds=_bounds(reader, "volume.raw", volume.get("raw") or {}),
        mart_bounds=_bounds(reader, "volume.marts", volume.get("marts") or {}),
        table_bounds=table_bounds,
        freshness_windows={
            str(source): timedelta(hours=reader.number(f"freshness_hours.{source}", hours, minimum=0.001))
            for source, hours in (document.get("freshness_hours") or {}).items()
        },
        trailing_weeks=int(reader.number("business_metrics.trailing_weeks", business.get("trailing_weeks", 4), minimum=1)),
        business_metrics=tuple(
            _metric(reader, f"business_metrics.metrics[{index}]", item)
            for index, item in enumerate(business.get("metrics") or [])
        ),
        job_name=str(run.get("job_name") or "funnelmart_job"),
        run_timeout=timedelta(minutes=timeout_minutes),
        max_retries=int(reader.number("retries.max_retries", retries.get("max_retries", 3), minimum=0)),
        retry_delay_seconds=reader.number("retries.delay_seconds", retries.get("delay_seconds", 10), minimum=0),
        sensor_interval_seconds=int(
            reader.number("landing_sensor.interval_seconds", sensor.get("interval_seconds", 60), minimum=1)
        ),
        sensor_settle_seconds=reader.number("landing_sensor.settle_seconds", sensor.get("settle_seconds", 10), minimum=0),
        data_docs_keep_runs=int(reader.number("data_docs.keep_runs", docs.get("keep_runs", 30), minimum=1)),
        accept_volume_change=env.get(ACCEPT_VOLUME_CHANGE_VAR, "").strip().lower() in _TRUE_VALUES,
    )


class _Reader:
    """Reads values of one operations file and raises errors that name the file and the key."""

    def __init__(self, path: Path, document: Any) -> None:
        if not isinstance(document, dict):
            raise OperationsConfigError(f"Operations file {path} must contain a mapping at the top level.")
        self.path = path
        self.document = document

    def section(self, key: str) -> dict[str, Any]:
        value = self.document.get(key) or {}
        if not isinstance(value, dict):
            raise self.error(key, value, "a mapping")
        return value

    def number(self, key: str, value: Any, *, minimum: float) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self.error(key, value, "a number") from None
        if number < minimum:
            raise self.error(key, value, f"a number of at least {minimum:g}")
        return number

    def choice(self, key: str, value: Any, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.error(key, value, f"one of {', '.join(choices)}")
        return str(value)

    def error(self, key: str, value: Any, expected: str) -> OperationsConfigError:
        return OperationsConfigError(f"Operations file {self.path}: {key} is {value!r}; expected {expected}.")


def _bounds(reader: _Reader, key: str, values: Any) -> VolumeBounds:
    if not isinstance(values, dict):
        raise reader.error(key, values, "a mapping with max_decrease_pct, max_increase_pct and severity")
    decrease = values.get("max_decrease_pct")
    increase = values.get("max_increase_pct")
    return VolumeBounds(
        max_decrease_pct=None if decrease is None else reader.number(f"{key}.max_decrease_pct", decrease, minimum=0),
        max_increase_pct=None if increase is None else reader.number(f"{key}.max_increase_pct", increase, minimum=0),
        severity=reader.choice(f"{key}.severity", values.get("severity", "critical"), SEVERITIES),
    )


def _metric(reader: _Reader, key: str, values: Any) -> BusinessMetric:
    if not isinstance(values, dict) or not values.get("name"):
        raise reader.error(key, values, "a mapping with at least name, type and threshold_pct")
    return BusinessMetric(
        name=str(values["name"]),
        type=reader.choice(f"{key}.type", values.get("type"), METRIC_TYPES),
        threshold_pct=reader.number(f"{key}.threshold_pct", values.get("threshold_pct"), minimum=0.001),
        direction=reader.choice(f"{key}.direction", values.get("direction", "both"), DIRECTIONS),
        from_stage=reader.choice(f"{key}.from_stage", values.get("from_stage", "raw_lead"), FUNNEL_STAGES),
        to_stage=reader.choice(f"{key}.to_stage", values.get("to_stage", "inquiry"), FUNNEL_STAGES),
        conversion_window_days=int(
            reader.number(f"{key}.conversion_window_days", values.get("conversion_window_days", 14), minimum=1)
        ),
        min_weekly_count=int(reader.number(f"{key}.min_weekly_count", values.get("min_weekly_count", 30), minimum=1)),
    )
