-- The final outcome of each lead or opportunity record that has stage events, by these
-- rules:
-- - An opportunity delivered in raw.opportunities takes the outcome of its current status
--   when that maps to closed_won or closed_lost, and has none while its status is open.
--   The current-state export is the CRM's latest word on the deal.
-- - Any other record (a lead, or an opportunity known only from stage events) takes the
--   stage of its last closed_won or closed_lost event, unless a later event re-opened it
--   (put it back into the opportunity stage).
-- - The final close event is the record's last event into its final outcome stage, so a
--   won deal whose close date was corrected counts at the corrected date.
-- Every close event stays in fct_stage_transitions; only the final one counts in win and
-- loss figures.
{%- set is_close_change = "stage_code in ('closed_won', 'closed_lost') and is_record_stage_change" %}

with

events as (
    select * from {{ ref('int_stage_events_sequenced') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_mapped') }}
),

record_summaries as (
    select
        record_type,
        record_id,
        max(journey_id) as journey_id,
        max(lead_id) as lead_id,
        min(transitioned_at) as first_event_at,
        min(case when stage_code in ('closed_won', 'closed_lost') then transitioned_at end) as first_closed_at,
        min(case when stage_code = 'closed_lost' then transitioned_at end) as first_lost_at,
        {{ count_where(is_close_change) }} as close_event_count,
        {{ count_where('is_reopen') }} as reopen_count,
        {{ count_where("is_reopen and record_preceding_stage = 'closed_lost'") }} as reopen_after_loss_count,
        {{ count_where('is_outcome_correction') }} as outcome_correction_count,
        max(case when is_reopen then record_sequence_number end) as last_reopen_sequence_number,
        max(
            case when stage_code in ('closed_won', 'closed_lost') then record_sequence_number end
        ) as last_close_sequence_number
    from events
    group by record_type, record_id
),

last_closes as (
    select
        record_type,
        record_id,
        record_sequence_number,
        stage_code
    from events
    where stage_code in ('closed_won', 'closed_lost')
),

outcomes as (
    select
        record_summaries.*,
        opportunities.current_stage,
        opportunities.opportunity_id is not null as is_current_state_known,
        case
            when last_closes.record_sequence_number > coalesce(record_summaries.last_reopen_sequence_number, 0)
                then last_closes.stage_code
        end as event_outcome
    from record_summaries
    left join last_closes
        on
            record_summaries.record_type = last_closes.record_type
            and record_summaries.record_id = last_closes.record_id
            and record_summaries.last_close_sequence_number = last_closes.record_sequence_number
    left join opportunities
        on
            record_summaries.record_type = 'opportunity'
            and record_summaries.record_id = opportunities.opportunity_id
),

decided as (
    select
        *,
        case
            when is_current_state_known and current_stage is not null
                then case when current_stage in ('closed_won', 'closed_lost') then current_stage end
            else event_outcome
        end as final_outcome
    from outcomes
),

final_close_candidates as (
    select
        events.record_type,
        events.record_id,
        events.stage_event_key,
        events.transitioned_at,
        row_number() over (
            partition by events.record_type, events.record_id
            order by events.record_sequence_number desc
        ) as recency_rank
    from events
    inner join decided
        on
            events.record_type = decided.record_type
            and events.record_id = decided.record_id
            and events.stage_code = decided.final_outcome
),

final as (
    select
        {{ surrogate_key(['decided.record_type', 'decided.record_id']) }} as record_outcome_key,
        decided.record_type,
        decided.record_id,
        decided.journey_id,
        decided.lead_id,
        decided.first_event_at,
        decided.first_closed_at,
        decided.first_lost_at,
        decided.close_event_count,
        decided.final_outcome,
        final_close_candidates.stage_event_key as final_close_event_key,
        final_close_candidates.transitioned_at as final_closed_at,
        decided.is_current_state_known,
        decided.reopen_count > 0 as is_reopened,
        decided.reopen_after_loss_count > 0 as is_reopened_after_loss,
        decided.outcome_correction_count > 0 as is_outcome_corrected
    from decided
    left join final_close_candidates
        on
            decided.record_type = final_close_candidates.record_type
            and decided.record_id = final_close_candidates.record_id
            and final_close_candidates.recency_rank = 1
)

select * from final
