-- Credit of each touchpoint for each conversion (opportunity or booking) under each
-- attribution model, with the share of the conversion's amount in the reporting currency.
-- Weights come from int_attribution_weights. A conversion without touchpoints gets one
-- '(no touchpoint)' row per model with weight 1, so totals still reconcile.
-- attributed_amount is conversion_amount times the weight before rounding (precise_weight,
-- 15 decimals), rounded to 6 decimals. The row with the largest weight (the latest on ties)
-- also takes the rounding remainder, so the attributed amounts of a conversion sum to
-- exactly its amount under every model.
with

conversions as (
    select * from {{ ref('int_attribution_conversions') }}
),

weights as (
    select * from {{ ref('int_attribution_weights') }}
),

touchpoints as (
    select * from {{ ref('fct_touchpoints') }}
),

attribution_models as (
    {%- for model_name in attribution_models() %}
        select '{{ model_name }}' as attribution_model
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

touched_rows as (
    select
        weights.conversion_key,
        weights.attribution_model,
        weights.touchpoint_key,
        touchpoints.touchpoint_type,
        touchpoints.touched_at,
        weights.touchpoint_position,
        weights.touchpoint_count,
        weights.is_first_touch,
        weights.is_lead_creation_touch,
        weights.is_opportunity_creation_touch,
        weights.attribution_weight,
        weights.precise_weight,
        touchpoints.campaign_id,
        touchpoints.campaign_key,
        touchpoints.campaign_name,
        touchpoints.is_campaign_mapped,
        touchpoints.channel_code,
        touchpoints.channel_group
    from weights
    inner join touchpoints
        on weights.touchpoint_key = touchpoints.touchpoint_key
),

untouched_conversions as (
    select conversions.conversion_key
    from conversions
    left join weights
        on conversions.conversion_key = weights.conversion_key
    where weights.conversion_key is null
),

untouched_rows as (
    select
        untouched_conversions.conversion_key,
        attribution_models.attribution_model,
        {{ surrogate_key(["'(no touchpoint)'"]) }} as touchpoint_key,
        '(no touchpoint)' as touchpoint_type,
        cast(null as {{ dbt.type_timestamp() }}) as touched_at,
        cast(null as {{ dbt.type_bigint() }}) as touchpoint_position,
        cast(0 as {{ dbt.type_bigint() }}) as touchpoint_count,
        false as is_first_touch,
        false as is_lead_creation_touch,
        false as is_opportunity_creation_touch,
        cast(1 as numeric(10, 9)) as attribution_weight,
        cast(1 as numeric(20, 15)) as precise_weight,
        '(no touchpoint)' as campaign_id,
        {{ surrogate_key(["'(no touchpoint)'"]) }} as campaign_key,
        '(no touchpoint)' as campaign_name,
        false as is_campaign_mapped,
        'unknown' as channel_code,
        'unknown' as channel_group
    from untouched_conversions
    cross join attribution_models
),

credited as (
    select * from touched_rows
    union all
    select * from untouched_rows
),

amounts as (
    select
        credited.*,
        conversions.conversion_amount,
        -- numeric(18, 6) keeps the product within DuckDB's 38 digits.
        round(cast(conversions.conversion_amount as numeric(18, 6)) * credited.precise_weight, 6) as rounded_amount,
        row_number() over (
            partition by credited.conversion_key, credited.attribution_model
            order by credited.attribution_weight desc, credited.touchpoint_position desc
        ) as remainder_rank
    from credited
    inner join conversions
        on credited.conversion_key = conversions.conversion_key
),

balanced as (
    select
        *,
        sum(rounded_amount) over (partition by conversion_key, attribution_model) as rounded_amount_total
    from amounts
),

final as (
    select
        {{ surrogate_key([
            'balanced.conversion_key', 'balanced.touchpoint_key', 'balanced.attribution_model',
        ]) }} as attribution_key,
        balanced.conversion_key,
        conversions.conversion_type,
        conversions.conversion_id,
        conversions.opportunity_id,
        conversions.booking_id,
        conversions.lead_id,
        balanced.attribution_model,
        balanced.touchpoint_key,
        balanced.touchpoint_type,
        balanced.touched_at,
        balanced.touchpoint_position,
        balanced.touchpoint_count,
        balanced.is_first_touch,
        balanced.is_lead_creation_touch,
        balanced.is_opportunity_creation_touch,
        balanced.attribution_weight,
        conversions.converted_at,
        {{ date_key('conversions.converted_at') }} as conversion_date_key,
        conversions.conversion_amount,
        cast(
            balanced.rounded_amount
            + case
                when balanced.remainder_rank = 1 then balanced.conversion_amount - balanced.rounded_amount_total
                else 0
            end
            as numeric(28, 6)
        ) as attributed_amount,
        conversions.reporting_currency_code,
        balanced.campaign_id,
        balanced.campaign_key,
        balanced.campaign_name,
        balanced.is_campaign_mapped,
        balanced.channel_code,
        balanced.channel_group,
        conversions.geography_key
    from balanced
    inner join conversions
        on balanced.conversion_key = conversions.conversion_key
)

select * from final
