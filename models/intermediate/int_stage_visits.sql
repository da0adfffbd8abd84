-- Stage visits: each time a journey entered a stage (a stage change in
-- int_stage_events_sequenced), until its next stage change. A visit without a next stage
-- change is the journey's current stage. Repeats of the stage during a visit do not end it.
with

events as (
    select * from {{ ref('int_stage_events_sequenced') }}
),

stage_changes as (
    select * from events
    where is_stage_change
),

with_exit as (
    select
        *,
        lead(transitioned_at) over (
            partition by journey_id order by stage_visit_number
        ) as exited_at,
        lead(stage_code) over (
            partition by journey_id order by stage_visit_number
        ) as next_stage
    from stage_changes
),

final as (
    select
        {{ surrogate_key(['journey_id', 'stage_visit_number']) }} as stage_visit_key,
        journey_id,
        journey_type,
        lead_id,
        stage_visit_number,
        stage_code,
        is_funnel_stage,
        is_closed,
        transitioned_at as entered_at,
        exited_at,
        next_stage,
        exited_at is null as is_current_visit,
        coalesce(exited_at < transitioned_at, false) as is_exit_out_of_time_order,
        case
            when exited_at >= transitioned_at then {{ elapsed_days('transitioned_at', 'exited_at') }}
        end as days_in_stage,
        record_type as entry_record_type,
        record_id as entry_record_id,
        rep_key,
        current_rep_key,
        campaign_key,
        lead_source_key,
        geography_key
    from with_exit
)

select * from final
