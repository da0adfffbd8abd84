-- The conversions that attribution credits: every opportunity (pipeline) and every booking.
-- Each has a touch cutoff: touchpoints of its lead at or before the cutoff are on its path.
--   * opportunity: its created_at, else closed_at; no cutoff when both are null.
--   * booking with an opportunity: the opportunity's cutoff, so a booking splits like its deal.
--   * booking without an opportunity (web shop): booked_at.
-- Amounts are in the reporting currency (reporting_amount of fct_opportunities and fct_bookings).
with

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

bookings as (
    select * from {{ ref('fct_bookings') }}
),

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

opportunity_conversions as (
    select
        'opportunity' as conversion_type,
        opportunity_id as conversion_id,
        opportunity_id,
        cast(null as {{ dbt.type_string() }}) as booking_id,
        lead_id,
        coalesce(created_at, closed_at) as converted_at,
        coalesce(created_at, closed_at) as touch_cutoff_at,
        is_won,
        case when is_won then closed_at end as won_at,
        cast(reporting_amount as numeric(28, 6)) as conversion_amount,
        reporting_currency_code,
        geography_key
    from opportunities
),

booking_conversions as (
    select
        'booking' as conversion_type,
        bookings.booking_id as conversion_id,
        bookings.opportunity_id,
        bookings.booking_id,
        bookings.lead_id,
        bookings.booked_at as converted_at,
        case
            when opportunities.opportunity_id is not null
                then coalesce(opportunities.created_at, opportunities.closed_at, bookings.booked_at)
            else bookings.booked_at
        end as touch_cutoff_at,
        true as is_won,
        bookings.booked_at as won_at,
        cast(bookings.reporting_amount as numeric(28, 6)) as conversion_amount,
        bookings.reporting_currency_code,
        bookings.geography_key
    from bookings
    left join opportunities
        on bookings.opportunity_id = opportunities.opportunity_id
),

conversions as (
    select * from opportunity_conversions
    union all
    select * from booking_conversions
),

final as (
    select
        {{ surrogate_key(['conversions.conversion_type', 'conversions.conversion_id']) }} as conversion_key,
        conversions.conversion_type,
        conversions.conversion_id,
        conversions.opportunity_id,
        conversions.booking_id,
        conversions.lead_id,
        leads.created_at as lead_created_at,
        conversions.converted_at,
        conversions.touch_cutoff_at,
        conversions.is_won,
        conversions.won_at,
        conversions.conversion_amount,
        conversions.reporting_currency_code,
        conversions.geography_key
    from conversions
    left join leads
        on conversions.lead_id = leads.lead_id
)

select * from final
