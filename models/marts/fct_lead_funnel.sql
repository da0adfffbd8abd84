-- The funnel of each lead: the first time it reached each funnel stage, counting events
-- of the lead and of its opportunities. Reaching a later funnel stage implies the earlier
-- ones (raw_lead < inquiry < contact < opportunity < closed_won | closed_lost): a stage
-- with no event of its own takes the earliest time of any later stage and is flagged
-- inferred, so no stage-to-stage conversion can exceed 100%.
with

leads as (
    select * from {{ ref('int_leads_keyed') }}
),

transitions as (
    select * from {{ ref('fct_stage_transitions') }}
),

lead_transitions as (
    select * from transitions
    where lead_id is not null
),

first_reached as (
    select
        lead_id,
        min(case when to_stage = 'raw_lead' then transitioned_at end) as observed_raw_lead_at,
        min(case when to_stage = 'inquiry' then transitioned_at end) as observed_inquiry_at,
        min(case when to_stage = 'contact' then transitioned_at end) as observed_contact_at,
        min(case when to_stage = 'opportunity' then transitioned_at end) as observed_opportunity_at,
        min(case when to_stage = 'closed_won' then transitioned_at end) as closed_won_at,
        min(case when to_stage = 'closed_lost' then transitioned_at end) as closed_lost_at
    from lead_transitions
    group by lead_id
),

latest_transition as (
    select
        lead_id,
        to_stage as current_stage,
        row_number() over (
            partition by lead_id
            order by stage_sequence_number desc
        ) as recency_rank
    from lead_transitions
),

later_stage_times as (
    select
        *,
        {{ earliest_of(['closed_won_at', 'closed_lost_at']) }} as after_opportunity_at,
        {{ earliest_of(['observed_opportunity_at', 'closed_won_at', 'closed_lost_at']) }} as after_contact_at,
        {{ earliest_of([
            'observed_contact_at', 'observed_opportunity_at', 'closed_won_at', 'closed_lost_at',
        ]) }} as after_inquiry_at,
        {{ earliest_of([
            'observed_inquiry_at', 'observed_contact_at', 'observed_opportunity_at',
            'closed_won_at', 'closed_lost_at',
        ]) }} as after_raw_lead_at
    from first_reached
),

inferred as (
    select
        lead_id,
        closed_won_at,
        closed_lost_at,
        coalesce(observed_raw_lead_at, after_raw_lead_at) as raw_lead_at,
        coalesce(observed_inquiry_at, after_inquiry_at) as inquiry_at,
        coalesce(observed_contact_at, after_contact_at) as contact_at,
        coalesce(observed_opportunity_at, after_opportunity_at) as opportunity_at,
        observed_raw_lead_at is null and after_raw_lead_at is not null as is_raw_lead_inferred,
        observed_inquiry_at is null and after_inquiry_at is not null as is_inquiry_inferred,
        observed_contact_at is null and after_contact_at is not null as is_contact_inferred,
        observed_opportunity_at is null and after_opportunity_at is not null as is_opportunity_inferred
    from later_stage_times
),

final as (
    select
        leads.lead_id,
        leads.created_at,
        inferred.raw_lead_at,
        inferred.inquiry_at,
        inferred.contact_at,
        inferred.opportunity_at,
        inferred.closed_won_at,
        inferred.closed_lost_at,
        coalesce(inferred.is_raw_lead_inferred, false) as is_raw_lead_inferred,
        coalesce(inferred.is_inquiry_inferred, false) as is_inquiry_inferred,
        coalesce(inferred.is_contact_inferred, false) as is_contact_inferred,
        coalesce(inferred.is_opportunity_inferred, false) as is_opportunity_inferred,
        inferred.closed_won_at is not null as is_won,
        inferred.closed_lost_at is not null and inferred.closed_won_at is null as is_lost,
        coalesce(latest_transition.current_stage, 'raw_lead') as current_stage,
        leads.campaign_key,
        leads.lead_source_key,
        leads.country_code as geography_key,
        leads.rep_key,
        cast({{ dbt.date_trunc('month', 'leads.created_at') }} as date) as cohort_month
    from leads
    left join inferred
        on leads.lead_id = inferred.lead_id
    left join latest_transition
        on
            leads.lead_id = latest_transition.lead_id
            and latest_transition.recency_rank = 1
)

select * from final
