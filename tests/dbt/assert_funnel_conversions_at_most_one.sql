-- Fails when a funnel conversion exceeds 100%: a lead funnel row that reached a stage
-- without the stages before it, or a cohort with more converted than entered leads.
-- A returned row names the lead or the cohort row and the broken rule.
with

lead_funnel as (
    select * from {{ ref('fct_lead_funnel') }}
),

conversions as (
    select * from {{ ref('rpt_funnel_conversion') }}
),

missing_earlier_stage as (
    select
        lead_id as failing_id,
        'lead reached a stage without the earlier ones' as failure
    from lead_funnel
    where
        (inquiry_at is not null and raw_lead_at is null)
        or (contact_at is not null and inquiry_at is null)
        or (opportunity_at is not null and contact_at is null)
        or ((closed_won_at is not null or closed_lost_at is not null) and opportunity_at is null)
),

over_converted as (
    select
        funnel_conversion_key as failing_id,
        'converted_count exceeds entered_count' as failure
    from conversions
    where converted_count > entered_count
),

failures as (
    select * from missing_earlier_stage
    union all
    select * from over_converted
)

select * from failures
