-- Fails when a funnel conversion exceeds 100%. That happens when a lead or person reached a
-- stage without the stages before it, when a cohort has more converted than entered people,
-- or when a cohort converted more within a short window than within a longer one. A
-- returned row names the lead, person or cohort row and the broken rule.
with

lead_funnel as (
    select * from {{ ref('fct_lead_funnel') }}
),

conversions as (
    select * from {{ ref('rpt_funnel_conversion') }}
),

person_funnel as (
    select * from {{ ref('fct_person_funnel') }}
),

cohort_conversion as (
    select * from {{ ref('rpt_cohort_conversion') }}
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

person_missing_earlier_stage as (
    select
        person_id as failing_id,
        'person reached a stage without the earlier ones' as failure
    from person_funnel
    where
        (inquiry_at is not null and raw_lead_at is null)
        or (contact_at is not null and inquiry_at is null)
        or (opportunity_at is not null and contact_at is null)
        or ((closed_won_at is not null or closed_lost_at is not null) and opportunity_at is null)
),

windows_out_of_order as (
    select
        cohort_conversion_key as failing_id,
        'a shorter window converted more than a longer one' as failure
    from cohort_conversion
    where
        converted_30d_count > converted_60d_count
        or converted_60d_count > converted_90d_count
        or converted_90d_count > converted_count
        or converted_count > entered_count
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
    select * from person_missing_earlier_stage
    union all
    select * from windows_out_of_order
    union all
    select * from over_converted
)

select * from failures
