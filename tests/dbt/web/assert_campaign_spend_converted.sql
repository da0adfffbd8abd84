-- Fails when campaign spend has no amount in the reporting currency, which means
-- seeds/fx_rates.csv lacks the rate of its currency or of the reporting currency for that
-- month. Such spend would otherwise drop out of rpt_marketing_roi's costs. A returned row is
-- one spend row with its currency and month.
with

spend as (
    select * from {{ ref('int_campaign_spend_converted') }}
),

final as (
    select
        campaign_id,
        spend_date,
        currency_code,
        rate_month,
        spend_amount
    from spend
    where
        spend_amount is not null
        and reporting_amount is null
)

select * from final
