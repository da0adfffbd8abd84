-- The funnel stages each lead reached, counting the events of the lead and of its
-- opportunities, one row per lead and stage:
-- - raw_lead, inquiry, contact, opportunity: the first event into the stage. A stage with no
--   event of its own is reached, inferred, at the first event of any later funnel stage
--   (closed events that were later corrected count here too: the deal existed).
-- - closed_won, closed_lost: the first final close event into the stage of any of the
--   lead's records (int_record_outcomes), so a corrected win or a re-opened loss does not
--   count as reached.
-- Each row carries the rep of the event that reached the stage.
with

leads as (
    select * from {{ ref('int_leads_keyed') }}
),

events as (
    select * from {{ ref('int_stage_events_sequenced') }}
),

record_outcomes as (
    select * from {{ ref('int_record_outcomes') }}
),

stages as (
    select * from {{ ref('stages') }}
),

lead_events as (
    select events.*
    from events
    inner join leads
        on events.lead_id = leads.lead_id
),

open_funnel_stages as (
    select
        stage_code,
        funnel_position
    from stages
    where is_funnel_stage and not is_closed
),

-- An event into the stage itself is observed (priority 1); an event of a later funnel
-- stage only implies the stage (priority 2).
open_stage_candidates as (
    select
        lead_events.lead_id,
        open_funnel_stages.stage_code,
        open_funnel_stages.funnel_position,
        lead_events.transitioned_at,
        lead_events.stage_sequence_number,
        lead_events.stage_event_key,
        lead_events.rep_key,
        lead_events.current_rep_key,
        case when lead_events.stage_code = open_funnel_stages.stage_code then 1 else 2 end as candidate_priority
    from lead_events
    inner join open_funnel_stages
        on
            lead_events.stage_code = open_funnel_stages.stage_code
            or lead_events.funnel_position > open_funnel_stages.funnel_position
),

closed_stage_candidates as (
    select
        lead_events.lead_id,
        lead_events.stage_code,
        lead_events.funnel_position,
        lead_events.transitioned_at,
        lead_events.stage_sequence_number,
        lead_events.stage_event_key,
        lead_events.rep_key,
        lead_events.current_rep_key,
        1 as candidate_priority
    from lead_events
    inner join record_outcomes
        on lead_events.stage_event_key = record_outcomes.final_close_event_key
),

candidates as (
    select * from open_stage_candidates
    union all
    select * from closed_stage_candidates
),

ranked as (
    select
        *,
        row_number() over (
            partition by lead_id, stage_code
            order by candidate_priority, transitioned_at, stage_sequence_number
        ) as candidate_rank
    from candidates
),

final as (
    select
        {{ surrogate_key(['lead_id', 'stage_code']) }} as lead_stage_key,
        lead_id,
        stage_code,
        funnel_position,
        transitioned_at as reached_at,
        candidate_priority = 2 as is_inferred,
        stage_event_key as reached_stage_event_key,
        rep_key,
        current_rep_key
    from ranked
    where candidate_rank = 1
)

select * from final
