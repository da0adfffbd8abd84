-- A booking takes what it lacks from its opportunity, then from the lead: lead_id, rep
-- and country. The rep is that rep's assignment at booked_at, and current_rep_key its
-- latest one. Campaign, lead source and person come from the lead.
with

bookings as (
    select * from {{ ref('stg_landing__bookings') }}
),

opportunities as (
    select * from {{ ref('stg_landing__opportunities') }}
),

converted_amounts as (
    select * from {{ ref('int_amounts_converted') }}
),

leads as (
    select * from {{ ref('int_leads_keyed') }}
),

rep_versions as (
    select * from {{ ref('int_rep_assignments_versioned') }}
),

persons as (
    select * from {{ ref('int_persons_matched') }}
),

completed as (
    select
        bookings.booking_id,
        bookings.opportunity_id,
        coalesce(bookings.lead_id, opportunities.lead_id) as lead_id,
        bookings.booked_at,
        bookings.booking_amount,
        bookings.currency_code,
        bookings.pillar,
        coalesce(bookings.rep_id, opportunities.rep_id) as rep_id,
        case
            when bookings.country_code != {{ unknown_country_code() }} then bookings.country_code
            when opportunities.country_code != {{ unknown_country_code() }} then opportunities.country_code
        end as booking_country_code
    from bookings
    left join opportunities
        on bookings.opportunity_id = opportunities.opportunity_id
),

final as (
    select
        completed.booking_id,
        completed.opportunity_id,
        completed.lead_id,
        persons.person_key,
        completed.booked_at,
        {{ date_key('completed.booked_at') }} as booking_date_key,
        completed.booking_amount,
        completed.currency_code,
        converted_amounts.reporting_amount,
        converted_amounts.reporting_currency_code,
        completed.pillar,
        coalesce(rep_versions.rep_key, {{ unknown_rep_key() }}) as rep_key,
        coalesce(rep_versions.current_rep_key, {{ unknown_rep_key() }}) as current_rep_key,
        coalesce(
            completed.booking_country_code, leads.country_code, {{ unknown_country_code() }}
        ) as geography_key,
        coalesce(leads.campaign_key, {{ unknown_campaign_key() }}) as campaign_key,
        coalesce(leads.lead_source_key, {{ unknown_lead_source_key() }}) as lead_source_key
    from completed
    left join converted_amounts
        on
            converted_amounts.amount_source = 'booking'
            and completed.booking_id = converted_amounts.record_id
    left join leads
        on completed.lead_id = leads.lead_id
    left join persons
        on completed.lead_id = persons.lead_id
    left join rep_versions
        on
            completed.rep_id = rep_versions.rep_id
            and {{ rep_version_in_force('rep_versions', 'completed.booked_at') }}
)

select * from final
