-- Checks rpt_marketing_roi on the fixture tests/fixtures/dbt_web against the rows worked out
-- in its EXPECTED.md: spend split by the campaign's leads of the month (C1's May spend and
-- C3's April spend have no leads, so they stay at 'ZZ'), sessions, funnel counts, the
-- marketing-to-sales handoff (inquiry -> contact), and attributed pipeline, won deals and
-- bookings under the models that differ. Runs only with --vars '{expected_fixture: dbt_web}'.
-- A returned row is a checked row that differs or is missing.
{{ config(enabled=var('expected_fixture', '') == 'dbt_web') }}

with

report as (
    select * from {{ ref('rpt_marketing_roi') }}
),

expected as (
    select
        cast(expected_rows.activity_month as date) as activity_month,
        expected_rows.attribution_model,
        expected_rows.campaign_id,
        expected_rows.geography_key,
        cast(expected_rows.spend_amount as numeric(28, 6)) as spend_amount,
        expected_rows.session_count,
        expected_rows.lead_count,
        expected_rows.inquiry_count,
        expected_rows.contact_count,
        expected_rows.opportunity_count,
        expected_rows.won_deal_count,
        expected_rows.marketing_handoff_count,
        expected_rows.sales_accepted_count,
        expected_rows.handoff_accepted_count,
        cast(expected_rows.attributed_opportunity_count as numeric(28, 9)) as attributed_opportunity_count,
        cast(expected_rows.attributed_won_deal_count as numeric(28, 9)) as attributed_won_deal_count,
        cast(expected_rows.attributed_pipeline_amount as numeric(28, 6)) as attributed_pipeline_amount,
        cast(expected_rows.attributed_booking_amount as numeric(28, 6)) as attributed_booking_amount
    from (
        values
        ('2024-04-01', 'w_shaped', 'C1', 'US', 300.00, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0.6, 0, 6000.00, 0),
        ('2024-04-01', 'first_touch', 'C1', 'US', 300.00, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 10000.00, 0),
        ('2024-04-01', 'last_touch', 'C1', 'US', 300.00, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0),
        ('2024-04-01', 'linear', 'C1', 'ZZ', 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ('2024-05-01', 'linear', 'C1', 'ZZ', 300.00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ('2024-05-01', 'w_shaped', 'C1', 'US', 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0.6, 0, 6000.00),
        ('2024-04-01', 'linear', 'C2', 'DE', 536.39, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 6436.68, 0),
        ('2024-04-01', 'linear', 'C3', 'ZZ', 150.00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ('2024-04-01', 'w_shaped', 'C3', 'US', 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0.1, 0, 1000.00, 0),
        ('2024-05-01', 'w_shaped', 'C3', 'US', 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1.1, 0, 1540.61),
        ('2024-04-01', 'linear', 'promo-x', 'US', 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0.25, 0, 2500.00, 0),
        ('2024-05-01', 'last_touch', 'promo-x', 'US', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 10000.00),
        ('2024-04-01', 'linear', '(no touchpoint)', 'CA', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2000.00, 2000.00),
        ('2024-04-01', 'linear', '(none)', 'GB', 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0)
    ) as expected_rows (
        activity_month, attribution_model, campaign_id, geography_key, spend_amount, session_count, lead_count,
        inquiry_count, contact_count, opportunity_count, won_deal_count, marketing_handoff_count,
        sales_accepted_count, handoff_accepted_count, attributed_opportunity_count, attributed_won_deal_count,
        attributed_pipeline_amount, attributed_booking_amount
    )
),

differences as (
    select
        expected.activity_month,
        expected.attribution_model,
        expected.campaign_id,
        expected.geography_key,
        report.marketing_roi_key is null as is_missing
    from expected
    left join report
        on
            expected.activity_month = report.activity_month
            and expected.attribution_model = report.attribution_model
            and expected.campaign_id = report.campaign_id
            and expected.geography_key = report.geography_key
    where
        report.marketing_roi_key is null
        or report.spend_amount != expected.spend_amount
        or report.session_count != expected.session_count
        or report.lead_count != expected.lead_count
        or report.inquiry_count != expected.inquiry_count
        or report.contact_count != expected.contact_count
        or report.opportunity_count != expected.opportunity_count
        or report.won_deal_count != expected.won_deal_count
        or report.marketing_handoff_count != expected.marketing_handoff_count
        or report.sales_accepted_count != expected.sales_accepted_count
        or report.handoff_accepted_count != expected.handoff_accepted_count
        or report.attributed_opportunity_count != expected.attributed_opportunity_count
        or report.attributed_won_deal_count != expected.attributed_won_deal_count
        or report.attributed_pipeline_amount != expected.attributed_pipeline_amount
        or report.attributed_booking_amount != expected.attributed_booking_amount
)

select * from differences
