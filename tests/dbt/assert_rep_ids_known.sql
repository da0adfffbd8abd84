-- Lists rep ids that leads, opportunities, bookings or stage events name but raw.reps
-- lacks. Their facts point at the '(unassigned)' rep. A returned row is one unknown rep
-- id with the model that names it.
{{ config(severity='warn') }}

with

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

opportunities as (
    select * from {{ ref('stg_landing__opportunities') }}
),

bookings as (
    select * from {{ ref('stg_landing__bookings') }}
),

stage_events as (
    select * from {{ ref('stg_landing__stage_events') }}
),

reps as (
    select * from {{ ref('stg_landing__reps') }}
),

named_rep_ids as (
    select
        'stg_landing__leads' as model_name,
        owner_rep_id as rep_id
    from leads
    union all
    select
        'stg_landing__opportunities' as model_name,
        rep_id
    from opportunities
    union all
    select
        'stg_landing__bookings' as model_name,
        rep_id
    from bookings
    union all
    select
        'stg_landing__stage_events' as model_name,
        owner_rep_id as rep_id
    from stage_events
),

unknown as (
    select distinct
        named_rep_ids.model_name,
        named_rep_ids.rep_id
    from named_rep_ids
    left join reps
        on named_rep_ids.rep_id = reps.rep_id
    where
        named_rep_ids.rep_id is not null
        and reps.rep_id is null
)

select * from unknown
