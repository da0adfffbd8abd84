-- The classic cohort conversion of the five headline stage pairs, taken from
-- rpt_cohort_conversion, so both reports always agree: raw_lead -> inquiry, inquiry ->
-- contact, contact -> opportunity, opportunity -> closed_won and raw_lead -> closed_won.
with

cohort_conversion as (
    select * from {{ ref('rpt_cohort_conversion') }}
),

headline_pairs as (
    select * from cohort_conversion
    where
        (from_stage = 'raw_lead' and to_stage = 'inquiry')
        or (from_stage = 'inquiry' and to_stage = 'contact')
        or (from_stage = 'contact' and to_stage = 'opportunity')
        or (from_stage = 'opportunity' and to_stage = 'closed_won')
        or (from_stage = 'raw_lead' and to_stage = 'closed_won')
),

final as (
    select
        cohort_conversion_key as funnel_conversion_key,
        cohort_month,
        from_stage,
        to_stage,
        entered_count,
        converted_count,
        conversion_rate,
        geography_key,
        lead_source_key,
        campaign_key,
        rep_key,
        theater,
        country_code,
        lead_source,
        campaign_name,
        team,
        rep_name
    from headline_pairs
)

select * from final
