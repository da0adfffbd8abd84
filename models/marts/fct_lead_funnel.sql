-- The funnel of each lead: when it first reached each funnel stage (int_lead_stages_reached
-- has the rules, including inferred stages and final outcomes), whether it was won or lost,
-- and its path from creation through its opportunities to its bookings.
{%- set funnel_stages = funnel_stage_codes() %}

with

leads as (
    select * from {{ ref('int_leads_keyed') }}
),

lead_stages as (
    select * from {{ ref('int_lead_stages_reached') }}
),

transitions as (
    select * from {{ ref('int_stage_events_sequenced') }}
),

record_outcomes as (
    select * from {{ ref('int_record_outcomes') }}
),

persons as (
    select * from {{ ref('int_persons_matched') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_mapped') }}
),

bookings as (
    select * from {{ ref('fct_bookings') }}
),

rep_versions as (
    select * from {{ ref('int_rep_assignments_versioned') }}
),

pivoted as (
    select
        lead_id,
        {{ stage_reach_pivot_columns() }},
        -- Observed times only, to find stages dated out of funnel order.
        {%- for stage in funnel_stages %}
            min(case when stage_code = '{{ stage }}' and not is_inferred then reached_at end)
                as observed_{{ stage }}_at,
        {%- endfor %}
        count(*) as reached_stage_count
    from lead_stages
    group by lead_id
),

latest_transition as (
    select
        lead_id,
        stage_code as current_stage,
        row_number() over (
            partition by lead_id
            order by stage_sequence_number desc
        ) as recency_rank
    from transitions
    where lead_id is not null
),

-- A lost lead is re-opened when one of its records was re-opened after a loss, or when it
-- got a new opportunity after its first loss.
journey_losses as (
    select
        lead_id,
        min(first_lost_at) as first_lost_at,
        max(case when is_reopened_after_loss then 1 else 0 end) = 1 as has_record_reopened_after_loss
    from record_outcomes
    where lead_id is not null
    group by lead_id
),

new_opportunities_after_loss as (
    select distinct record_outcomes.lead_id
    from record_outcomes
    inner join journey_losses
        on record_outcomes.lead_id = journey_losses.lead_id
    where
        record_outcomes.record_type = 'opportunity'
        and record_outcomes.first_event_at > journey_losses.first_lost_at
),

opportunity_paths as (
    select
        lead_id,
        count(*) as opportunity_count,
        min(created_at) as first_opportunity_created_at
    from opportunities
    where lead_id is not null
    group by lead_id
),

first_opportunities as (
    select
        lead_id,
        opportunity_id as first_opportunity_id,
        row_number() over (
            partition by lead_id
            order by case when created_at is null then 1 else 0 end, created_at, opportunity_id
        ) as opportunity_rank
    from opportunities
    where lead_id is not null
),

booking_paths as (
    select
        lead_id,
        count(*) as booking_count,
        min(booked_at) as first_booked_at,
        sum(reporting_amount) as booking_reporting_amount
    from bookings
    where lead_id is not null
    group by lead_id
),

final as (
    select
        leads.lead_id,
        persons.person_key,
        persons.is_primary_lead,
        leads.created_at,
        {{ stage_reach_columns('pivoted') }},
        coalesce(
            journey_losses.has_record_reopened_after_loss or new_opportunities_after_loss.lead_id is not null,
            false
        ) as is_reopened_after_loss,
        {%- set order_checks = [] %}
        {%- for earlier in funnel_stages %}
            {%- for later in funnel_stages[loop.index:] %}
                {%- if not (earlier == 'closed_won' and later == 'closed_lost') %}
                    {%- do order_checks.append(
                        'coalesce(pivoted.observed_' ~ earlier ~ '_at > pivoted.observed_' ~ later ~ '_at, false)'
                    ) %}
                {%- endif %}
            {%- endfor %}
        {%- endfor %}
        (
            {{ order_checks | join('\n            or ') }}
        ) as has_stage_order_violation,
        coalesce(latest_transition.current_stage, 'raw_lead') as current_stage,
        leads.campaign_key,
        leads.lead_source_key,
        leads.country_code as geography_key,
        leads.rep_key,
        coalesce(created_reps.rep_key, {{ unknown_rep_key() }}) as created_rep_key,
        leads.rep_key as current_rep_key,
        {{ month_start('leads.created_at') }} as cohort_month,
        coalesce(opportunity_paths.opportunity_count, 0) as opportunity_count,
        first_opportunities.first_opportunity_id,
        opportunity_paths.first_opportunity_created_at,
        coalesce(booking_paths.booking_count, 0) as booking_count,
        booking_paths.first_booked_at,
        booking_paths.booking_reporting_amount
    from leads
    left join persons
        on leads.lead_id = persons.lead_id
    left join pivoted
        on leads.lead_id = pivoted.lead_id
    left join latest_transition
        on
            leads.lead_id = latest_transition.lead_id
            and latest_transition.recency_rank = 1
    left join journey_losses
        on leads.lead_id = journey_losses.lead_id
    left join new_opportunities_after_loss
        on leads.lead_id = new_opportunities_after_loss.lead_id
    left join opportunity_paths
        on leads.lead_id = opportunity_paths.lead_id
    left join first_opportunities
        on
            leads.lead_id = first_opportunities.lead_id
            and first_opportunities.opportunity_rank = 1
    left join booking_paths
        on leads.lead_id = booking_paths.lead_id
    left join rep_versions as created_reps
        on
            leads.owner_rep_id = created_reps.rep_id
            and {{ rep_version_in_force('created_reps', 'leads.created_at') }}
)

select * from final
