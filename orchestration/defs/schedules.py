"""The daily schedule of the whole job."""

from __future__ import annotations

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

funnelmart_job = define_asset_job(
    name="funnelmart_job",
    selection=AssetSelection.all(),
    description="Load new landing files, build every model, run the quality gate and publish.",
)

# 06:00 UTC, so the datamart is fresh before the working day in EMEA and the Americas.
daily_schedule = ScheduleDefinition(job=funnelmart_job, cron_schedule="0 6 * * *", execution_timezone="UTC")
