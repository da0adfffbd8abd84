-- Every stage event whose status maps to a stage, in the order of its journey and of its
-- record, with the flags the funnel rules need. A journey is a lead with every record
-- linked to it (its own events and those of its opportunities), or an opportunity without
-- a lead. Order inside a journey: the lead's creation first, then by time, ties at the same
-- timestamp by stage_order, then by source and event id, so the order never depends on
-- how the files arrived. Nothing is dropped: an event that repeats the stage the journey
-- is in stays, with is_stage_change false.
{%- set event_order = 'creation_order, transitioned_at, stage_order, source_priority, event_id' %}
{%- set journey_order = 'partition by journey_id order by ' ~ event_order %}
{%- set record_order = 'partition by record_type, record_id order by ' ~ event_order %}

with

stage_events as (
    select * from {{ ref('int_stage_events_mapped') }}
),

leads as (
    select * from {{ ref('int_leads_keyed') }}
),

stages as (
    select * from {{ ref('stages') }}
),

mapped_events as (
    select
        stage_events.*,
        stages.is_funnel_stage,
        stages.is_closed,
        case
            when stage_events.lead_id is not null then {{ dbt.concat(["'lead:'", 'stage_events.lead_id']) }}
            else {{ dbt.concat(['stage_events.record_type', "':'", 'stage_events.record_id']) }}
        end as journey_id,
        case when stage_events.event_source = 'lead_created' then 0 else 1 end as creation_order,
        -- Among events of the same stage at the same time, the first listed comes first.
        case stage_events.event_source
            when 'lead_created' then 1
            when 'stage_events' then 2
            when 'stage_dates' then 3
            when 'opportunity_state' then 4
            else 5
        end as source_priority
    from stage_events
    inner join stages
        on stage_events.stage_code = stages.stage_code
    where stage_events.is_stage_mapped
),

ordered as (
    select
        *,
        row_number() over ({{ journey_order }}) as stage_sequence_number,
        lag(stage_code) over ({{ journey_order }}) as preceding_stage,
        lag(transitioned_at) over ({{ journey_order }}) as preceding_transitioned_at,
        row_number() over ({{ record_order }}) as record_sequence_number,
        lag(stage_code) over ({{ record_order }}) as record_preceding_stage,
        lag(is_closed) over ({{ record_order }}) as is_record_preceding_stage_closed
    from mapped_events
),

flagged as (
    select
        *,
        preceding_stage is null or preceding_stage != stage_code as is_stage_change,
        coalesce(transitioned_at < preceding_transitioned_at, false) as is_out_of_time_order,
        record_preceding_stage is null or record_preceding_stage != stage_code as is_record_stage_change
    from ordered
),

visit_numbered as (
    select
        *,
        cast(sum(case when is_stage_change then 1 else 0 end) over (
            partition by journey_id
            order by stage_sequence_number
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as stage_visit_number,
        cast(sum(case when is_stage_change then 1 else 0 end) over (
            partition by journey_id, stage_code
            order by stage_sequence_number
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as stage_entry_number
    from flagged
),

-- One row per stage visit: the stage change that starts it.
visits as (
    select
        journey_id,
        stage_visit_number,
        stage_code as visit_stage,
        funnel_position as visit_funnel_position,
        transitioned_at as visit_entered_at
    from visit_numbered
    where is_stage_change
),

-- from_stage is the stage the journey was in before the event: the previous visit for a
-- stage change, the current visit for a repeat.
with_from_stage as (
    select
        visit_numbered.*,
        from_visits.visit_stage as from_stage,
        from_visits.visit_funnel_position as from_funnel_position,
        from_visits.visit_entered_at as from_stage_entered_at
    from visit_numbered
    left join visits as from_visits
        on
            visit_numbered.journey_id = from_visits.journey_id
            and from_visits.stage_visit_number = case
                when visit_numbered.is_stage_change then visit_numbered.stage_visit_number - 1
                else visit_numbered.stage_visit_number
            end
),

classified as (
    select
        *,
        is_stage_change and stage_entry_number > 1 as is_reentry,
        coalesce(
            is_stage_change and funnel_position < from_funnel_position, false
        ) as is_backward,
        -- Only a return to the opportunity stage re-opens a closed record. A lead recycled to
        -- inquiry after a loss is a re-entry, and an MQL dated after a win (Olist has one) does
        -- not undo the win.
        coalesce(is_record_preceding_stage_closed and stage_code = 'opportunity', false) as is_reopen,
        coalesce(
            record_preceding_stage in ('closed_won', 'closed_lost')
            and stage_code in ('closed_won', 'closed_lost')
            and record_preceding_stage != stage_code,
            false
        ) as is_outcome_correction
    from with_from_stage
),

final as (
    select
        classified.stage_event_key,
        classified.event_id,
        classified.event_source,
        classified.record_type,
        classified.record_id,
        classified.lead_id,
        classified.opportunity_id,
        classified.journey_id,
        case when classified.lead_id is not null then 'lead' else 'opportunity' end as journey_type,
        classified.stage_sequence_number,
        classified.record_sequence_number,
        classified.stage_visit_number,
        classified.from_stage,
        classified.from_stage_entered_at,
        classified.stage_code,
        classified.stage_order,
        classified.funnel_position,
        classified.is_funnel_stage,
        classified.is_closed,
        classified.transitioned_at,
        classified.source_status,
        classified.source_system,
        classified.is_stage_change,
        classified.stage_entry_number,
        classified.is_reentry,
        classified.is_backward,
        classified.record_preceding_stage,
        classified.is_record_stage_change,
        classified.is_reopen,
        classified.is_outcome_correction,
        classified.is_out_of_time_order,
        case
            when classified.transitioned_at < classified.from_stage_entered_at then null
            else {{ dbt.datediff('classified.from_stage_entered_at', 'classified.transitioned_at', 'day') }}
        end as days_since_previous_stage,
        classified.rep_id,
        classified.rep_key,
        classified.current_rep_key,
        coalesce(leads.campaign_key, {{ unknown_campaign_key() }}) as campaign_key,
        coalesce(leads.lead_source_key, {{ unknown_lead_source_key() }}) as lead_source_key,
        case
            when leads.country_code is not null and leads.country_code != {{ unknown_country_code() }}
                then leads.country_code
            else coalesce(classified.record_country_code, {{ unknown_country_code() }})
        end as geography_key,
        leads.lead_id is not null as is_lead_known,
        classified._source_file,
        classified._source_line
    from classified
    left join leads
        on classified.lead_id = leads.lead_id
)

select * from final
