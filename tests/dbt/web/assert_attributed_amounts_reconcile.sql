-- Attributed amounts add up exactly (decimal arithmetic, no tolerance): per conversion and
-- model they sum to the conversion amount, and per model the booking rows sum to the
-- reporting_amount total of fct_bookings and the opportunity rows to that of
-- fct_opportunities. A returned row is a conversion or a model total that differs.
with

attribution as (
    select * from {{ ref('bdg_attribution') }}
),

bookings as (
    select * from {{ ref('fct_bookings') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

conversion_totals as (
    select
        conversion_type,
        conversion_id,
        attribution_model,
        max(conversion_amount) as expected_amount,
        sum(attributed_amount) as attributed_amount
    from attribution
    group by conversion_type, conversion_id, attribution_model
),

model_totals as (
    select
        conversion_type,
        attribution_model,
        sum(attributed_amount) as attributed_amount
    from attribution
    group by conversion_type, attribution_model
),

source_totals as (
    select
        'booking' as conversion_type,
        sum(reporting_amount) as expected_amount
    from bookings

    union all

    select
        'opportunity' as conversion_type,
        sum(reporting_amount) as expected_amount
    from opportunities
),

conversion_differences as (
    select
        conversion_type,
        conversion_id,
        attribution_model,
        expected_amount,
        attributed_amount
    from conversion_totals
    where
        expected_amount != attributed_amount
        or (expected_amount is null) != (attributed_amount is null)
),

model_differences as (
    select
        model_totals.conversion_type,
        '(all)' as conversion_id,
        model_totals.attribution_model,
        source_totals.expected_amount,
        model_totals.attributed_amount
    from model_totals
    inner join source_totals
        on model_totals.conversion_type = source_totals.conversion_type
    where
        source_totals.expected_amount != model_totals.attributed_amount
        or (source_totals.expected_amount is null) != (model_totals.attributed_amount is null)
),

final as (
    select * from conversion_differences
    union all
    select * from model_differences
)

select * from final
