-- Weight of each touchpoint on a conversion's path under each attribution model. The path
-- is the touchpoints of the conversion's lead at or before its touch cutoff, in path order
-- (n touchpoints, position p from 1):
--   first_touch  1 to p = 1.
--   last_touch   1 to p = n.
--   linear       1/n each.
--   u_shaped     0.4 to the first and 0.4 to the last, 0.2 split over the others;
--                0.5 each when n = 2.
--   w_shaped     three roles get 0.3 each: first touch, lead creation (the last touchpoint at
--                or before the lead's created_at, else the first) and opportunity creation
--                (the last touchpoint of the path). A touchpoint with two roles gets 0.6.
--                0.1 is split over the touchpoints without a role; when every touchpoint has
--                a role, each role gets 1/3 instead.
-- With n = 1 every model gives 1. attribution_weight is rounded to 9 decimals, and the row
-- with the largest weight (the latest on ties) takes the rounding remainder, so the weights
-- of a conversion sum to exactly 1 under every model. precise_weight keeps 15 decimals for
-- splitting amounts, so that a third of 12,000.00 is 4,000.000000 and not 3,999.999996.
-- Conversions without touchpoints have no rows here; bdg_attribution adds their
-- '(no touchpoint)' row.
{%- set raw_weights = {
    'first_touch': 'case when touchpoint_position = 1 then 1.0 else 0.0 end',
    'last_touch': 'case when touchpoint_position = touchpoint_count then 1.0 else 0.0 end',
    'linear': '1.0 / touchpoint_count',
    'u_shaped': '
        case
            when touchpoint_count = 1 then 1.0
            when touchpoint_count = 2 then 0.5
            when touchpoint_position = 1 or touchpoint_position = touchpoint_count then 0.4
            else 0.2 / (touchpoint_count - 2)
        end',
    'w_shaped': '
        case
            when touchpoint_count = 1 then 1.0
            when role_holder_count = touchpoint_count then role_count / 3.0
            when role_count > 0 then 0.3 * role_count
            else 0.1 / (touchpoint_count - role_holder_count)
        end',
} %}

with

conversions as (
    select * from {{ ref('int_attribution_conversions') }}
),

touchpoints as (
    select * from {{ ref('fct_touchpoints') }}
),

paths as (
    select
        conversions.conversion_key,
        conversions.lead_created_at,
        touchpoints.touchpoint_key,
        touchpoints.touched_at,
        row_number() over (
            partition by conversions.conversion_key
            order by touchpoints.path_position
        ) as touchpoint_position,
        count(*) over (partition by conversions.conversion_key) as touchpoint_count
    from conversions
    inner join touchpoints
        on
            conversions.lead_id = touchpoints.lead_id
            and (
                conversions.touch_cutoff_at is null
                or conversions.touch_cutoff_at >= touchpoints.touched_at
            )
),

lead_creation_positions as (
    select
        conversion_key,
        coalesce(
            max(case when touched_at <= lead_created_at then touchpoint_position end),
            1
        ) as lead_creation_position
    from paths
    group by conversion_key
),

roles as (
    select
        paths.conversion_key,
        paths.touchpoint_key,
        paths.touchpoint_position,
        paths.touchpoint_count,
        paths.touchpoint_position = 1 as is_first_touch,
        paths.touchpoint_position = lead_creation_positions.lead_creation_position as is_lead_creation_touch,
        paths.touchpoint_position = paths.touchpoint_count as is_opportunity_creation_touch
    from paths
    inner join lead_creation_positions
        on paths.conversion_key = lead_creation_positions.conversion_key
),

role_counts as (
    select
        *,
        (case when is_first_touch then 1 else 0 end)
        + (case when is_lead_creation_touch then 1 else 0 end)
        + (case when is_opportunity_creation_touch then 1 else 0 end) as role_count
    from roles
),

role_holders as (
    select
        *,
        sum(case when role_count > 0 then 1 else 0 end) over (partition by conversion_key) as role_holder_count
    from role_counts
),

raw_weights as (
    {%- for model_name, weight_expression in raw_weights.items() %}
        select
            conversion_key,
            touchpoint_key,
            touchpoint_position,
            touchpoint_count,
            is_first_touch,
            is_lead_creation_touch,
            is_opportunity_creation_touch,
            '{{ model_name }}' as attribution_model,
            cast({{ weight_expression }} as numeric(20, 15)) as precise_weight
        from role_holders
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

rounded_weights as (
    select
        *,
        cast(precise_weight as numeric(10, 9)) as rounded_weight
    from raw_weights
),

anchored as (
    select
        *,
        row_number() over (
            partition by conversion_key, attribution_model
            order by rounded_weight desc, touchpoint_position desc
        ) as remainder_rank,
        sum(rounded_weight) over (partition by conversion_key, attribution_model) as rounded_weight_total
    from rounded_weights
),

final as (
    select
        conversion_key,
        touchpoint_key,
        attribution_model,
        touchpoint_position,
        touchpoint_count,
        is_first_touch,
        is_lead_creation_touch,
        is_opportunity_creation_touch,
        cast(
            rounded_weight + case when remainder_rank = 1 then 1 - rounded_weight_total else 0 end
            as numeric(10, 9)
        ) as attribution_weight,
        precise_weight
    from anchored
)

select * from final
