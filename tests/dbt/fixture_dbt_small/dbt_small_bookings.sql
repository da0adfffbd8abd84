-- Checks fct_bookings on the fixture tests/fixtures/dbt_small against EXPECTED.md: each
-- booking's amount in USD and the territory of the rep version in force when it was
-- booked (R1 moved from West to Central on 2024-02-01). EUR converts at 1.08722 USD, the
-- March 2024 rate of seeds/fx_rates.csv. Runs only with
-- --vars '{expected_fixture: dbt_small}'. A returned row is a booking that differs.
{{ config(enabled=var('expected_fixture', '') == 'dbt_small') }}

with

bookings as (
    select * from {{ ref('fct_bookings') }}
),

reps as (
    select * from {{ ref('dim_rep') }}
),

expected as (
    select
        expected_rows.booking_id,
        cast(expected_rows.reporting_amount as {{ dbt.type_numeric() }}) as reporting_amount,
        expected_rows.territory,
        expected_rows.geography_key
    from (
        values
        ('B1', 12000.00, 'Central', 'US'),
        ('B2', 5436.10, 'East', 'DE'),
        ('B3', 2174.44, 'East', 'BR')
    ) as expected_rows (booking_id, reporting_amount, territory, geography_key)
),

actual as (
    select
        bookings.booking_id,
        bookings.reporting_amount,
        reps.territory,
        bookings.geography_key
    from bookings
    left join reps
        on bookings.rep_key = reps.rep_key
    where bookings.reporting_currency_code = 'USD'
),

differences as (
    select
        expected.booking_id,
        expected.reporting_amount as expected_reporting_amount,
        actual.reporting_amount as actual_reporting_amount,
        expected.territory as expected_territory,
        actual.territory as actual_territory,
        expected.geography_key as expected_geography_key,
        actual.geography_key as actual_geography_key
    from expected
    left join actual
        on expected.booking_id = actual.booking_id
    where
        actual.booking_id is null
        or abs(actual.reporting_amount - expected.reporting_amount) > 0.005
        or actual.territory != expected.territory
        or actual.geography_key != expected.geography_key
)

select * from differences
