-- The team that owns each stage: owner_team of seeds/stages.csv, unless var stage_owner_teams
-- overrides it (e.g. --vars '{stage_owner_teams: {contact: marketing}}'). An override for a
-- stage code the seed lacks gives a row without stage_order, which its not_null test reports.
-- The marketing handoff is the first marketing stage that a sales stage follows on the won
-- path of the funnel (raw_lead, inquiry, contact, opportunity, closed_won).
{%- set overrides = stage_owner_team_overrides() %}

with

stages as (
    select * from {{ ref('stages') }}
),

overrides as (
    {%- if overrides %}
        {%- for stage_code, owner_team in overrides.items() %}
            select
                '{{ stage_code | lower | replace("'", "''") }}' as stage_code,
                '{{ owner_team | lower | replace("'", "''") }}' as owner_team
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as stage_code,
            cast(null as {{ dbt.type_string() }}) as owner_team
        where 1 = 0
    {%- endif %}
),

configured as (
    select
        stages.stage_order,
        stages.funnel_position,
        stages.owner_team as seed_owner_team,
        overrides.owner_team as override_owner_team,
        coalesce(stages.stage_code, overrides.stage_code) as stage_code,
        coalesce(stages.is_funnel_stage, false) as is_funnel_stage,
        coalesce(overrides.owner_team, stages.owner_team) as owner_team
    from stages
    full outer join overrides
        on stages.stage_code = overrides.stage_code
),

won_path as (
    select
        stage_code,
        owner_team,
        funnel_position,
        lead(owner_team) over (order by funnel_position, stage_order) as next_owner_team,
        lead(stage_code) over (order by funnel_position, stage_order) as next_stage_code
    from configured
    where
        is_funnel_stage
        and stage_code != 'closed_lost'
),

first_handoff as (
    select
        stage_code as handoff_from_stage,
        next_stage_code as handoff_to_stage,
        row_number() over (order by funnel_position) as handoff_rank
    from won_path
    where
        owner_team = 'marketing'
        and next_owner_team = 'sales'
),

final as (
    select
        configured.stage_code,
        configured.stage_order,
        configured.funnel_position,
        configured.is_funnel_stage,
        configured.seed_owner_team,
        configured.owner_team,
        configured.override_owner_team is not null as is_owner_overridden,
        coalesce(configured.stage_code = first_handoff.handoff_from_stage, false) as is_marketing_handoff_stage,
        coalesce(configured.stage_code = first_handoff.handoff_to_stage, false) as is_sales_intake_stage
    from configured
    left join first_handoff
        on first_handoff.handoff_rank = 1
)

select * from final
