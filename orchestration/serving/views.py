"""Flat reporting views with business names, built on the published star schema.

Each view selects the columns of one fact or report table, leaves out its `*_key` columns, and adds
named attributes of the dimensions the keys point to, through left joins so no fact row is lost.
A join whose dimension table was not published is skipped, and the view then lacks those columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from orchestration.serving.dbt_docs import TableDocs
from orchestration.serving.source_tables import SourceTable


@dataclass(frozen=True)
class DimensionColumn:
    """A dimension column a view adds, under the name the view gives it."""

    source_name: str
    view_name: str
    description: str = ""


@dataclass(frozen=True)
class DimensionJoin:
    """A left join from the view's base table to a dimension table."""

    alias: str
    table: str
    base_column: str
    dimension_column: str
    columns: tuple[DimensionColumn, ...]


@dataclass(frozen=True)
class ReportingView:
    """A view in the published schema: its name, base table and the dimensions it joins."""

    name: str
    base_table: str
    description: str
    joins: tuple[DimensionJoin, ...] = ()


@dataclass(frozen=True)
class ViewColumn:
    """One output column of a planned view."""

    table_alias: str
    source_name: str
    view_name: str
    description: str


@dataclass(frozen=True)
class ViewPlan:
    """Columns and joins of a view, planned from the tables that were published."""

    view: ReportingView
    columns: tuple[ViewColumn, ...]
    joins: tuple[DimensionJoin, ...]
    # Dimension tables whose joins were left out because the table or its key column is missing.
    skipped_joins: tuple[str, ...]


BASE_ALIAS = "base"


def _same_name(*names: str) -> tuple[DimensionColumn, ...]:
    return tuple(DimensionColumn(name, name) for name in names)


GEOGRAPHY = DimensionJoin(
    alias="geography",
    table="dim_geography",
    base_column="geography_key",
    dimension_column="geography_key",
    columns=_same_name("country_code", "country_name", "region", "theater"),
)
REP = DimensionJoin(
    alias="rep",
    table="dim_rep",
    base_column="rep_key",
    dimension_column="rep_key",
    columns=_same_name("rep_id", "rep_name", "team", "manager_name", "territory"),
)
CAMPAIGN = DimensionJoin(
    alias="campaign",
    table="dim_campaign",
    base_column="campaign_key",
    dimension_column="campaign_key",
    columns=(
        DimensionColumn("campaign_id", "campaign_id"),
        DimensionColumn("campaign_name", "campaign_name"),
        DimensionColumn("channel_code", "campaign_channel_code", "Marketing channel of the campaign."),
        DimensionColumn("channel_group", "campaign_channel_group", "Channel group of the campaign's channel."),
    ),
)
LEAD_SOURCE = DimensionJoin(
    alias="lead_source",
    table="dim_lead_source",
    base_column="lead_source_key",
    dimension_column="lead_source_key",
    columns=(
        DimensionColumn("lead_source", "lead_source"),
        DimensionColumn("channel_group", "lead_source_channel_group", "Channel group of the lead source."),
    ),
)


def _stage_name_join(alias: str, base_column: str) -> DimensionJoin:
    return DimensionJoin(
        alias=alias,
        table="dim_stage",
        base_column=base_column,
        dimension_column="stage_code",
        columns=(DimensionColumn("stage_name", f"{base_column}_name", f"Display name of {base_column}."),),
    )


def _date_join(alias: str, base_column: str, prefix: str) -> DimensionJoin:
    return DimensionJoin(
        alias=alias,
        table="dim_date",
        base_column=base_column,
        dimension_column="date_key",
        columns=(
            DimensionColumn("date_day", f"{prefix}_date", f"Day of the {prefix} (UTC)."),
            DimensionColumn("year_month", f"{prefix}_year_month", f"Month of the {prefix} as YYYY-MM."),
        ),
    )


REPORTING_VIEWS = (
    ReportingView(
        name="funnel_conversion",
        base_table="rpt_funnel_conversion",
        description=(
            "One row per cohort month, stage pair, country, lead source, campaign and rep: leads that entered "
            "from_stage and how many of them reached to_stage. Sum entered_count and converted_count, then divide; "
            "do not average conversion_rate."
        ),
        joins=(
            _stage_name_join("from_stage", "from_stage"),
            _stage_name_join("to_stage", "to_stage"),
            GEOGRAPHY,
        ),
    ),
    ReportingView(
        name="bookings",
        base_table="fct_bookings",
        description="One row per booking, with its amount in the original and the reporting currency.",
        joins=(_date_join("booking_day", "booking_date_key", "booking"), GEOGRAPHY, REP, CAMPAIGN, LEAD_SOURCE),
    ),
    ReportingView(
        name="lead_funnel",
        base_table="fct_lead_funnel",
        description="One row per lead: when it first reached each funnel stage, and whether it was won or lost.",
        joins=(_stage_name_join("current_stage", "current_stage"), GEOGRAPHY, REP, CAMPAIGN, LEAD_SOURCE),
    ),
    ReportingView(
        name="opportunities",
        base_table="fct_opportunities",
        description="One row per opportunity, open or closed, with its amount and outcome.",
        joins=(_stage_name_join("current_stage", "current_stage"), GEOGRAPHY, REP),
    ),
    ReportingView(
        name="stage_transitions",
        base_table="fct_stage_transitions",
        description="One row per observed stage event of a lead or opportunity; is_stage_change marks real changes.",
        joins=(
            _date_join("transition_day", "transition_date_key", "transition"),
            _stage_name_join("from_stage", "from_stage"),
            _stage_name_join("to_stage", "to_stage"),
            GEOGRAPHY,
            REP,
            CAMPAIGN,
            LEAD_SOURCE,
        ),
    ),
)


def plan_views(tables: dict[str, SourceTable], docs: dict[str, TableDocs]) -> tuple[list[ViewPlan], list[str]]:
    """Plan every reporting view whose base table is published.

    Returns the plans and the names of the views left out because their base table is missing.
    """
    plans = []
    missing = []
    for view in REPORTING_VIEWS:
        base = tables.get(view.base_table)
        if base is None:
            missing.append(view.name)
            continue
        plans.append(_plan_view(view, base, tables, docs))
    return plans, missing


def create_view_statement(plan: ViewPlan, schema: str) -> sql.Composed:
    """Return the `create view` statement of a planned view in the given schema."""
    select_list = sql.SQL(",\n    ").join(
        sql.SQL("{}.{} as {}").format(
            sql.Identifier(column.table_alias), sql.Identifier(column.source_name), sql.Identifier(column.view_name)
        )
        for column in plan.columns
    )
    joins = [
        sql.SQL("left join {}.{} as {} on {}.{} = {}.{}").format(
            sql.Identifier(schema),
            sql.Identifier(join.table),
            sql.Identifier(join.alias),
            sql.Identifier(BASE_ALIAS),
            sql.Identifier(join.base_column),
            sql.Identifier(join.alias),
            sql.Identifier(join.dimension_column),
        )
        for join in plan.joins
    ]
    return sql.SQL("create view {}.{} as\nselect\n    {}\nfrom {}.{} as {}\n{}").format(
        sql.Identifier(schema),
        sql.Identifier(plan.view.name),
        select_list,
        sql.Identifier(schema),
        sql.Identifier(plan.view.base_table),
        sql.Identifier(BASE_ALIAS),
        sql.SQL("\n").join(joins),
    )


def _plan_view(
    view: ReportingView, base: SourceTable, tables: dict[str, SourceTable], docs: dict[str, TableDocs]
) -> ViewPlan:
    base_docs = docs.get(base.name, TableDocs())
    columns = [
        ViewColumn(BASE_ALIAS, name, name, base_docs.columns.get(name, ""))
        for name in base.column_names
        if not name.endswith("_key")
    ]
    used_names = {column.view_name for column in columns}
    joins = []
    skipped = []
    for join in view.joins:
        dimension = tables.get(join.table)
        if (
            dimension is None
            or join.dimension_column not in dimension.column_names
            or join.base_column not in base.column_names
        ):
            if join.table not in skipped:
                skipped.append(join.table)
            continue
        dimension_docs = docs.get(join.table, TableDocs())
        added = [
            ViewColumn(
                join.alias,
                column.source_name,
                column.view_name,
                column.description or dimension_docs.columns.get(column.source_name, ""),
            )
            for column in join.columns
            if column.source_name in dimension.column_names and column.view_name not in used_names
        ]
        if not added:
            continue
        joins.append(join)
        columns.extend(added)
        used_names.update(column.view_name for column in added)
    return ViewPlan(view=view, columns=tuple(columns), joins=tuple(joins), skipped_joins=tuple(skipped))
