-- rpt_marketing_roi loses and invents nothing. Under every attribution model its rows sum to:
-- the converted campaign spend, the attributed bookings and pipeline of bdg_attribution
-- (bookings equal the fct_bookings total), and the leads of fct_lead_funnel. Spend is
-- compared to 6 decimals, the scale of both sides. A returned row is a model and a figure
-- whose report total differs from its source.
with

report as (
    select * from {{ ref('rpt_marketing_roi') }}
),

spend as (
    select * from {{ ref('int_campaign_spend_converted') }}
),

attribution as (
    select * from {{ ref('bdg_attribution') }}
),

lead_funnel as (
    select * from {{ ref('fct_lead_funnel') }}
),

report_totals as (
    select
        attribution_model,
        sum(spend_amount) as spend_amount,
        sum(attributed_booking_amount) as booking_amount,
        sum(attributed_pipeline_amount) as pipeline_amount,
        sum(lead_count) as lead_count
    from report
    group by attribution_model
),

attributed_totals as (
    select
        attribution_model,
        coalesce(sum(case when conversion_type = 'booking' then attributed_amount end), 0) as booking_amount,
        coalesce(
            sum(case when conversion_type = 'opportunity' and converted_at is not null then attributed_amount end), 0
        ) as pipeline_amount
    from attribution
    group by attribution_model
),

spend_total as (
    select coalesce(sum(reporting_amount), 0) as spend_amount
    from spend
),

lead_total as (
    select count(raw_lead_at) as lead_count
    from lead_funnel
),

source_totals as (
    select
        spend_total.spend_amount,
        lead_total.lead_count
    from spend_total
    cross join lead_total
),

compared as (
    select
        report_totals.attribution_model,
        'spend_amount' as figure,
        source_totals.spend_amount as expected_value,
        report_totals.spend_amount as actual_value
    from report_totals
    cross join source_totals

    union all

    select
        report_totals.attribution_model,
        'lead_count' as figure,
        source_totals.lead_count as expected_value,
        report_totals.lead_count as actual_value
    from report_totals
    cross join source_totals

    union all

    select
        report_totals.attribution_model,
        'attributed_booking_amount' as figure,
        attributed_totals.booking_amount as expected_value,
        report_totals.booking_amount as actual_value
    from report_totals
    inner join attributed_totals
        on report_totals.attribution_model = attributed_totals.attribution_model

    union all

    select
        report_totals.attribution_model,
        'attributed_pipeline_amount' as figure,
        attributed_totals.pipeline_amount as expected_value,
        report_totals.pipeline_amount as actual_value
    from report_totals
    inner join attributed_totals
        on report_totals.attribution_model = attributed_totals.attribution_model
),

final as (
    select * from compared
    where
        actual_value is null
        or round(actual_value, 6) != round(expected_value, 6)
)

select * from final
