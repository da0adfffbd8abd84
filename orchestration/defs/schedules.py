"""The job, its daily schedule, and the run time limit Dagster enforces."""

from __future__ import annotations

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

from orchestration.operations.config import load_operations_config

_CONFIG = load_operations_config()

funnelmart_job = define_asset_job(
    name=_CONFIG.job_name,
    selection=AssetSelection.all(),
    description="Load new landing files, build every model, run the quality gate and publish.",
    # Dagster's run monitoring (dagster-daemon) fails a run that exceeds this many seconds;
    # the run failure sensor then raises a run_timed_out alert.
    tags={"dagster/max_runtime": str(int(_CONFIG.run_timeout.total_seconds()))},
)

# 06:00 UTC, so the datamart is fresh before the working day in EMEA and the Americas.
daily_schedule = ScheduleDefinition(job=funnelmart_job, cron_schedule="0 6 * * *", execution_timezone="UTC")
