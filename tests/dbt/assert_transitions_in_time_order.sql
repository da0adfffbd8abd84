-- Lists stage transitions dated before the previous transition of their journey, such as
-- a deal won before the lead was created. Their days_since_previous_stage is null. A
-- returned row is one such transition. The test warns rather than fails, because real
-- exports contain such dates (Olist has one deal won before its lead was created).
{{ config(severity='warn') }}

with

transitions as (
    select * from {{ ref('fct_stage_transitions') }}
),

out_of_order as (
    select
        journey_id,
        stage_sequence_number,
        from_stage,
        to_stage,
        transitioned_at,
        event_source,
        record_type,
        record_id
    from transitions
    where is_out_of_time_order
)

select * from out_of_order
