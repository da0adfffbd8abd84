-- Opportunity and booking amounts converted to the reporting currency (var
-- reporting_currency) with the rates of seeds/fx_rates.csv for the month of the amount:
--   reporting_amount = amount * usd_per_unit(currency, month) / usd_per_unit(reporting, month)
-- A booking converts at booked_at. An opportunity converts at closed_at, else created_at,
-- else the month of the build's as-of date (int_as_of_date), so a rebuild of the same data
-- gives the same amounts on any day. An amount already in the reporting currency is kept as it is.
-- When a rate is missing, reporting_amount is null, and a singular test fails on such rows.
with

opportunities as (
    select * from {{ ref('stg_landing__opportunities') }}
),

bookings as (
    select * from {{ ref('stg_landing__bookings') }}
),

fx_rates as (
    select * from {{ ref('fx_rates') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

amounts as (
    select
        'opportunity' as amount_source,
        opportunity_id as record_id,
        amount,
        currency_code,
        coalesce(closed_at, created_at) as converted_at
    from opportunities

    union all

    select
        'booking' as amount_source,
        booking_id as record_id,
        booking_amount as amount,
        currency_code,
        booked_at as converted_at
    from bookings
),

dated as (
    select
        amounts.amount_source,
        amounts.record_id,
        amounts.amount,
        amounts.currency_code,
        amounts.converted_at,
        {{ month_start('coalesce(amounts.converted_at, as_of.as_of_date)') }} as rate_month
    from amounts
    cross join as_of
),

rates as (
    {{ fx_rates_by_month('fx_rates') }}
),

converted as (
    select
        dated.amount_source,
        dated.record_id,
        dated.amount,
        dated.currency_code,
        dated.converted_at,
        dated.rate_month,
        {{ reporting_currency_columns('dated.amount', 'dated.currency_code') }}
    from dated
    {{ reporting_rate_joins('dated', 'rates') }}
),

final as (
    select
        {{ surrogate_key(['amount_source', 'record_id']) }} as converted_amount_key,
        amount_source,
        record_id,
        amount,
        currency_code,
        converted_at,
        rate_month,
        reporting_currency_code,
        source_usd_per_unit,
        reporting_usd_per_unit,
        cast(reporting_amount as {{ dbt.type_numeric() }}) as reporting_amount
    from converted
)

select * from final
