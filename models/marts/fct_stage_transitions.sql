-- Every observed stage event of a lead or an opportunity, in journey order
-- (int_stage_events_sequenced has the ordering rules). Repeats of the current stage, re-entries,
-- backward moves and every close event are kept and flagged; filter on is_stage_change to
-- count stage changes only. Stages inferred from later ones are not here (fct_lead_funnel).
with

events as (
    select * from {{ ref('int_stage_events_sequenced') }}
),

record_outcomes as (
    select * from {{ ref('int_record_outcomes') }}
),

persons as (
    select * from {{ ref('int_persons_matched') }}
),

final as (
    select
        {{ surrogate_key(['events.event_source', 'events.record_type', 'events.event_id']) }} as transition_key,
        events.record_type,
        events.record_id,
        events.lead_id,
        events.opportunity_id,
        persons.person_key,
        events.journey_id,
        events.stage_sequence_number,
        events.from_stage,
        events.stage_code as to_stage,
        events.transitioned_at,
        {{ date_key('events.transitioned_at') }} as transition_date_key,
        events.from_stage_entered_at,
        events.days_since_previous_stage,
        events.is_out_of_time_order,
        false as is_inferred,
        events.is_stage_change,
        events.stage_entry_number,
        events.is_reentry,
        events.is_backward,
        events.is_reopen,
        events.is_outcome_correction,
        record_outcomes.final_close_event_key is not null as is_final_outcome_close,
        events.source_status,
        events.event_source,
        events.rep_key,
        events.current_rep_key,
        events.campaign_key,
        events.lead_source_key,
        events.geography_key
    from events
    left join record_outcomes
        on events.stage_event_key = record_outcomes.final_close_event_key
    left join persons
        on events.lead_id = persons.lead_id
)

select * from final
