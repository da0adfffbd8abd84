-- Every opportunity and booking is credited exactly once under every attribution model: its
-- weights in bdg_attribution sum to exactly 1 (decimal arithmetic, no tolerance). A returned
-- row is a conversion and model whose weights sum to something else.
with

attribution as (
    select * from {{ ref('bdg_attribution') }}
),

weight_totals as (
    select
        conversion_type,
        conversion_id,
        attribution_model,
        sum(attribution_weight) as weight_total,
        count(*) as touchpoint_rows
    from attribution
    group by conversion_type, conversion_id, attribution_model
),

final as (
    select * from weight_totals
    where weight_total != 1
)

select * from final
