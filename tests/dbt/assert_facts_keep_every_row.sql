-- Fails when a fact lost or duplicated rows against staging, e.g. through a join to a
-- dimension or a point-in-time lookup. A returned row names the fact and both counts.
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

lead_funnel as (
    select * from {{ ref('fct_lead_funnel') }}
),

fact_opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

fact_bookings as (
    select * from {{ ref('fct_bookings') }}
),

compared as (
    select
        'fct_lead_funnel' as model_name,
        (select count(*) from leads) as staged_rows,
        (select count(*) from lead_funnel) as fact_rows

    union all

    select
        'fct_opportunities' as model_name,
        (select count(*) from opportunities) as staged_rows,
        (select count(*) from fact_opportunities) as fact_rows

    union all

    select
        'fct_bookings' as model_name,
        (select count(*) from bookings) as staged_rows,
        (select count(*) from fact_bookings) as fact_rows
),

failures as (
    select * from compared
    where staged_rows != fact_rows
)

select * from failures
