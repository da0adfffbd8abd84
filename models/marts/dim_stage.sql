with

stages as (
    select * from {{ ref('stages') }}
),

final as (
    select
        {{ surrogate_key(['stage_code']) }} as stage_key,
        stage_code,
        stage_name,
        cast(stage_order as {{ dbt.type_int() }}) as stage_order,
        cast(funnel_position as {{ dbt.type_int() }}) as funnel_position,
        is_funnel_stage,
        is_closed,
        is_won,
        owner_team
    from stages
)

select * from final
