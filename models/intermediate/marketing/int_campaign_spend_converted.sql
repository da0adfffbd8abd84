-- Campaign spend converted to the reporting currency with the rates of seeds/fx_rates.csv for
-- the month of spend_date, by the rule of int_amounts_converted (macro
-- convert_to_reporting_currency). A missing rate leaves reporting_amount null, and the
-- test assert_campaign_spend_converted fails on such rows.
with

spend as (
    select * from {{ ref('stg_landing__campaign_spend') }}
),

fx_rates as (
    select * from {{ ref('fx_rates') }}
),

rates as (
    {{ fx_rates_by_month('fx_rates') }}
),

dated as (
    select
        campaign_id,
        spend_date,
        spend_amount,
        currency_code,
        cast({{ dbt.date_trunc('month', 'spend_date') }} as date) as rate_month
    from spend
),

converted as (
    select
        dated.campaign_id,
        dated.spend_date,
        dated.spend_amount,
        dated.currency_code,
        dated.rate_month,
        {{ reporting_currency_columns('dated.spend_amount', 'dated.currency_code') }}
    from dated
    {{ reporting_rate_joins('dated', 'rates') }}
),

final as (
    select
        {{ surrogate_key(['campaign_id', 'spend_date', 'currency_code']) }} as campaign_spend_key,
        campaign_id,
        spend_date,
        spend_amount,
        currency_code,
        rate_month,
        source_usd_per_unit,
        reporting_usd_per_unit,
        reporting_currency_code,
        cast(reporting_amount as numeric(28, 6)) as reporting_amount
    from converted
)

select * from final
