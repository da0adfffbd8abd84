-- The funnel of each person (leads merged by var person_match_rule): the earliest time any of
-- the person's leads reached each funnel stage, and the path from the first touch (the
-- first lead's creation) to the first booking. Campaign, lead source, geography and owner
-- come from the person's first lead, so each person counts once, under its first touch.

with

persons as (
    select * from {{ ref('dim_person') }}
),

person_stages as (
    select * from {{ ref('int_person_stages_reached') }}
),

lead_funnel as (
    select * from {{ ref('fct_lead_funnel') }}
),

pivoted as (
    select
        person_key,
        {{ stage_reach_pivot_columns() }},
        count(*) as reached_stage_count
    from person_stages
    group by person_key
),

lead_totals as (
    select
        person_key,
        max(case when is_reopened_after_loss then 1 else 0 end) = 1 as is_reopened_after_loss,
        max(case when has_stage_order_violation then 1 else 0 end) = 1 as has_stage_order_violation,
        {{ sum_counts('opportunity_count') }} as opportunity_count,
        min(first_opportunity_created_at) as first_opportunity_created_at,
        {{ sum_counts('booking_count') }} as booking_count,
        min(first_booked_at) as first_booked_at,
        sum(booking_reporting_amount) as booking_reporting_amount
    from lead_funnel
    group by person_key
),

first_leads as (
    select * from lead_funnel
    where is_primary_lead
),

final as (
    select
        persons.person_key,
        persons.person_id,
        persons.lead_count,
        persons.first_created_at as first_touch_at,
        {{ month_start('persons.first_created_at') }} as cohort_month,
        {{ stage_reach_columns('pivoted') }},
        lead_totals.is_reopened_after_loss,
        lead_totals.has_stage_order_violation,
        first_leads.campaign_key,
        first_leads.lead_source_key,
        first_leads.geography_key,
        first_leads.rep_key,
        first_leads.created_rep_key,
        first_leads.current_rep_key,
        lead_totals.opportunity_count,
        lead_totals.first_opportunity_created_at,
        lead_totals.booking_count,
        lead_totals.first_booked_at,
        lead_totals.booking_reporting_amount,
        case
            when lead_totals.first_booked_at >= persons.first_created_at
                then {{ elapsed_days('persons.first_created_at', 'lead_totals.first_booked_at') }}
        end as days_to_first_booking
    from persons
    inner join first_leads
        on persons.person_key = first_leads.person_key
    left join pivoted
        on persons.person_key = pivoted.person_key
    left join lead_totals
        on persons.person_key = lead_totals.person_key
)

select * from final
