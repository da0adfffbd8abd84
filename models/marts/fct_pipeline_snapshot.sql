{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        full_refresh=false,
        pre_hook="{% if is_incremental() %}delete from {{ this }} where snapshot_date in "
            ~ "(select as_of_date from {{ ref('int_as_of_date') }}){% endif %}",
    )
}}
-- Open pipeline per day: every build appends one row per opportunity that is open on the
-- build's as-of date (int_as_of_date). A second build with the same as-of date first
-- deletes that date's rows, so a day is never counted twice and reruns change nothing. The
-- history grows with daily runs, and the first run contains one day only. Source exports carry
-- only the current amount, so a past row keeps the amount as it was on its snapshot date,
-- while a rebuild of a past date (var as_of_date) takes today's amounts. full_refresh=false
-- keeps the history through `--full-refresh`, which cannot restore past days.
-- An opportunity is open on the as-of date when its latest stage event up to that day is in
-- an open stage. An opportunity without created_at and without events counts as open when
-- its current status is open.
with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

raw_opportunities as (
    select * from {{ ref('int_opportunities_mapped') }}
),

events as (
    select * from {{ ref('int_stage_events_sequenced') }}
),

rep_versions as (
    select * from {{ ref('int_rep_assignments_versioned') }}
),

events_until_as_of as (
    select events.*
    from events
    cross join as_of
    where
        events.record_type = 'opportunity'
        and cast(events.transitioned_at as date) <= as_of.as_of_date
),

latest_events as (
    select
        record_id as opportunity_id,
        stage_code,
        is_closed,
        row_number() over (
            partition by record_id
            order by record_sequence_number desc
        ) as recency_rank
    from events_until_as_of
),

-- When the record entered the stage it is in on the as-of date.
stage_entries as (
    select
        events_until_as_of.record_id as opportunity_id,
        max(events_until_as_of.transitioned_at) as stage_entered_at
    from events_until_as_of
    inner join latest_events
        on
            events_until_as_of.record_id = latest_events.opportunity_id
            and latest_events.recency_rank = 1
            and events_until_as_of.stage_code = latest_events.stage_code
    where events_until_as_of.is_record_stage_change
    group by events_until_as_of.record_id
),

has_events as (
    select distinct record_id as opportunity_id
    from events
    where record_type = 'opportunity'
),

open_on_as_of as (
    select
        opportunities.*,
        raw_opportunities.rep_id,
        stage_entries.stage_entered_at,
        coalesce(latest_events.stage_code, opportunities.current_stage) as snapshot_stage
    from opportunities
    inner join raw_opportunities
        on opportunities.opportunity_id = raw_opportunities.opportunity_id
    left join latest_events
        on
            opportunities.opportunity_id = latest_events.opportunity_id
            and latest_events.recency_rank = 1
    left join stage_entries
        on opportunities.opportunity_id = stage_entries.opportunity_id
    left join has_events
        on opportunities.opportunity_id = has_events.opportunity_id
    where
        (latest_events.opportunity_id is not null and not latest_events.is_closed)
        or (has_events.opportunity_id is null and opportunities.created_at is null and opportunities.is_open)
),

final as (
    select
        {{ surrogate_key(['as_of.as_of_date', 'open_on_as_of.opportunity_id']) }} as pipeline_snapshot_key,
        as_of.as_of_date as snapshot_date,
        {{ date_key('as_of.as_of_date') }} as snapshot_date_key,
        open_on_as_of.opportunity_id,
        open_on_as_of.lead_id,
        open_on_as_of.person_key,
        open_on_as_of.snapshot_stage as stage_code,
        open_on_as_of.created_at,
        case
            when cast(open_on_as_of.created_at as date) <= as_of.as_of_date
                then {{ dbt.datediff('cast(open_on_as_of.created_at as date)', 'as_of.as_of_date', 'day') }}
        end as days_open,
        case
            when cast(open_on_as_of.stage_entered_at as date) <= as_of.as_of_date
                then {{ dbt.datediff('cast(open_on_as_of.stage_entered_at as date)', 'as_of.as_of_date', 'day') }}
        end as days_in_stage,
        open_on_as_of.amount,
        open_on_as_of.currency_code,
        open_on_as_of.reporting_amount,
        open_on_as_of.reporting_currency_code,
        open_on_as_of.pillar,
        coalesce(rep_versions.rep_key, {{ unknown_rep_key() }}) as rep_key,
        coalesce(rep_versions.current_rep_key, {{ unknown_rep_key() }}) as current_rep_key,
        open_on_as_of.geography_key,
        open_on_as_of.campaign_key,
        open_on_as_of.lead_source_key
    from open_on_as_of
    cross join as_of
    left join rep_versions
        on
            open_on_as_of.rep_id = rep_versions.rep_id
            and {{ rep_version_in_force('rep_versions', 'as_of.as_of_date') }}
)

select * from final
