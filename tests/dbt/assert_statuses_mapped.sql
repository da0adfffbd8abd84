-- Lists source statuses that map to no canonical stage, for the record's source system
-- or for 'default'. Their events are left out of fct_stage_transitions. A returned row is
-- one unmapped system and status with its event count: add it to raw.status_mappings or
-- seeds/status_mappings.csv.
{{ config(severity='warn') }}

with

stage_events as (
    select * from {{ ref('int_stage_events_mapped') }}
),

unmapped as (
    select
        source_system,
        source_status,
        count(*) as event_count
    from stage_events
    where not is_stage_mapped
    group by source_system, source_status
)

select * from unmapped
