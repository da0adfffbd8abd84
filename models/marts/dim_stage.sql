-- One row per canonical stage. owner_team is the configured owner: the seed's, unless var
-- stage_owner_teams overrides it (int_stage_owners_configured), so the dimension and the
-- marketing report agree on who owns a stage.
with

stages as (
    select * from {{ ref('stages') }}
),

stage_owners as (
    select * from {{ ref('int_stage_owners_configured') }}
),

final as (
    select
        {{ surrogate_key(['stages.stage_code']) }} as stage_key,
        stages.stage_code,
        stages.stage_name,
        cast(stages.stage_order as {{ dbt.type_int() }}) as stage_order,
        cast(stages.funnel_position as {{ dbt.type_int() }}) as funnel_position,
        stages.is_funnel_stage,
        stages.is_closed,
        stages.is_won,
        stage_owners.owner_team
    from stages
    inner join stage_owners
        on stages.stage_code = stage_owners.stage_code
)

select * from final
