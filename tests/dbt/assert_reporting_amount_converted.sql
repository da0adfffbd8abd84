-- Fails when an opportunity or booking has an amount but no reporting_amount, which means
-- seeds/fx_rates.csv lacks the rate of its currency or of the reporting currency for that
-- month. A returned row is one such record with its currency and month.
with

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

bookings as (
    select * from {{ ref('fct_bookings') }}
),

unconverted as (
    select
        'fct_opportunities' as model_name,
        opportunity_id as record_id,
        currency_code,
        coalesce(closed_at, created_at) as converted_at
    from opportunities
    where
        amount is not null
        and reporting_amount is null

    union all

    select
        'fct_bookings' as model_name,
        booking_id as record_id,
        currency_code,
        booked_at as converted_at
    from bookings
    where reporting_amount is null
)

select * from unconverted
