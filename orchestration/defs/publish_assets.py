"""The quality gate and the publish step as Dagster assets, after every dbt model."""

# No `from __future__ import annotations` here: Dagster reads the context annotation at definition time.

import os

from dagster import AssetExecutionContext, AssetOut, AssetsDefinition, Failure, MaterializeResult, Output, asset, multi_asset

from orchestration.defs.operations import session_for, warehouse_step
from orchestration.defs.resources import FunnelmartSettings
from orchestration.pipeline import ChecksFailed, check_and_publish
from orchestration.summary import read_funnel_summary


def build_publish_asset(dbt_assets: AssetsDefinition) -> AssetsDefinition:
    @asset(deps=[dbt_assets], group_name="publish", name="published_datamart")
    def published_datamart(context: AssetExecutionContext, funnelmart: FunnelmartSettings) -> MaterializeResult:
        """Validate a candidate datamart with the quality gate and replace the published file if it passes."""
        settings = funnelmart.settings()
        session = session_for(context, settings)
        with warehouse_step(settings, context, "publish"):
            try:
                gate = check_and_publish(settings, echo=context.log.info, session=session)
            except ChecksFailed as error:
                raise Failure(description=str(error), allow_retries=False) from error
        session.report_business()
        session.report_freshness()
        summary = read_funnel_summary(settings.published_db_path, settings.reporting_currency)
        return MaterializeResult(
            metadata={
                "path": str(settings.published_db_path),
                "quality_gate": gate.headline(),
                "leads": summary.stage_counts["raw_lead"],
                "won_leads": summary.stage_counts["closed_won"],
                "bookings": summary.booking_count,
                "data_docs": str(session.data_docs.directory / "index.html"),
            }
        )

    return published_datamart


def build_postgres_asset(published_asset: AssetsDefinition) -> AssetsDefinition:
    @multi_asset(outs={"postgres_datamart": AssetOut(is_required=False, group_name="publish")}, deps=[published_asset])
    def postgres_datamart(context: AssetExecutionContext, funnelmart: FunnelmartSettings):
        """Copy the published datamart into PostgreSQL for BI tools, when FUNNELMART_PG_URL is set."""
        from orchestration.serving import publish_to_configured_postgres
        from orchestration.serving.roles import ADMIN_URL_ENV

        if not os.environ.get(ADMIN_URL_ENV):
            context.log.info("%s is not set, so the datamart is not copied to PostgreSQL", ADMIN_URL_ENV)
            return
        settings = funnelmart.settings()
        manifest = settings.project_dir / "target" / "manifest.json"
        report = publish_to_configured_postgres(settings.published_db_path, manifest_path=manifest)
        yield Output(None, metadata={"schema": report.schema, "tables": len(report.tables), "views": len(report.views)})

    return postgres_datamart
