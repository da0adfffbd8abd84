-- Stage transitions per journey. A journey is a lead with every record linked to it (its
-- own events and those of its opportunities), or an opportunity without a lead.
-- Order inside a journey: the lead's creation first, then by time, ties at the same
-- timestamp by stage_order. Events that repeat the stage the journey is already in
-- (a second status of the same stage, or the same stage from two sources) are not
-- transitions and are dropped, keeping the first.
{%- set journey_order =
    'partition by journey_id order by creation_order, transitioned_at, stage_order, source_priority, event_id'
%}

with

stage_events as (
    select * from {{ ref('int_stage_events_mapped') }}
),

leads as (
    select * from {{ ref('int_leads_keyed') }}
),

mapped_events as (
    select
        *,
        case
            when lead_id is not null then {{ dbt.concat(["'lead:'", 'lead_id']) }}
            else {{ dbt.concat(['record_type', "':'", 'record_id']) }}
        end as journey_id,
        case when event_source = 'lead_created' then 0 else 1 end as creation_order,
        -- When two sources give the same stage at the same time, the first listed is kept.
        case event_source
            when 'lead_created' then 1
            when 'stage_events' then 2
            when 'stage_dates' then 3
            when 'opportunity_state' then 4
            else 5
        end as source_priority
    from stage_events
    where is_stage_mapped
),

ordered as (
    select
        *,
        lag(stage_code) over ({{ journey_order }}) as preceding_event_stage
    from mapped_events
),

stage_changes as (
    select * from ordered
    where
        preceding_event_stage is null
        or preceding_event_stage != stage_code
),

sequenced as (
    select
        *,
        row_number() over ({{ journey_order }}) as stage_sequence_number,
        lag(stage_code) over ({{ journey_order }}) as from_stage,
        lag(transitioned_at) over ({{ journey_order }}) as previous_transitioned_at
    from stage_changes
),

timed as (
    select
        *,
        coalesce(transitioned_at < previous_transitioned_at, false) as is_out_of_time_order
    from sequenced
),

final as (
    select
        {{ surrogate_key(['timed.event_source', 'timed.record_type', 'timed.event_id']) }} as transition_key,
        timed.record_type,
        timed.record_id,
        timed.lead_id,
        timed.opportunity_id,
        timed.journey_id,
        timed.stage_sequence_number,
        timed.from_stage,
        timed.stage_code as to_stage,
        timed.transitioned_at,
        {{ date_key('timed.transitioned_at') }} as transition_date_key,
        case
            when timed.is_out_of_time_order then null
            else {{ dbt.datediff('timed.previous_transitioned_at', 'timed.transitioned_at', 'day') }}
        end as days_since_previous_stage,
        timed.is_out_of_time_order,
        false as is_inferred,
        timed.source_status,
        timed.event_source,
        timed.rep_key,
        coalesce(leads.campaign_key, {{ unknown_campaign_key() }}) as campaign_key,
        coalesce(leads.lead_source_key, {{ unknown_lead_source_key() }}) as lead_source_key,
        case
            when leads.country_code is not null and leads.country_code != {{ unknown_country_code() }}
                then leads.country_code
            else coalesce(timed.record_country_code, {{ unknown_country_code() }})
        end as geography_key
    from timed
    left join leads
        on timed.lead_id = leads.lead_id
)

select * from final
