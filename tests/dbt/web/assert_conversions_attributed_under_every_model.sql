-- Every opportunity of fct_opportunities and every booking of fct_bookings has rows in
-- bdg_attribution under each of the five attribution models, even without touchpoints
-- (a '(no touchpoint)' row). A returned row is a conversion and model with no rows.
with

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

bookings as (
    select * from {{ ref('fct_bookings') }}
),

attribution as (
    select * from {{ ref('bdg_attribution') }}
),

attribution_models as (
    {%- for model_name in attribution_models() %}
        select '{{ model_name }}' as attribution_model
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

conversions as (
    select
        'opportunity' as conversion_type,
        opportunity_id as conversion_id
    from opportunities

    union all

    select
        'booking' as conversion_type,
        booking_id as conversion_id
    from bookings
),

expected as (
    select
        conversions.conversion_type,
        conversions.conversion_id,
        attribution_models.attribution_model
    from conversions
    cross join attribution_models
),

final as (
    select expected.*
    from expected
    left join attribution
        on
            expected.conversion_type = attribution.conversion_type
            and expected.conversion_id = attribution.conversion_id
            and expected.attribution_model = attribution.attribution_model
    where attribution.conversion_id is null
)

select * from final
