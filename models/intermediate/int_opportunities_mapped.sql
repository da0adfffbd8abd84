-- Opportunities with their current status mapped to a canonical stage. A status is looked
-- up for the opportunity's source system first, then for the 'default' system.
with

opportunities as (
    select * from {{ ref('stg_landing__opportunities') }}
),

status_mappings as (
    select * from {{ ref('int_status_mappings_merged') }}
),

stages as (
    select * from {{ ref('stages') }}
),

mapped as (
    select
        opportunities.*,
        coalesce(system_mappings.stage_code, default_mappings.stage_code) as current_stage
    from opportunities
    left join status_mappings as system_mappings
        on
            opportunities.source_system = system_mappings.source_system
            and lower(opportunities.source_status) = system_mappings.source_status_lookup
    left join status_mappings as default_mappings
        on
            default_mappings.source_system = 'default'
            and lower(opportunities.source_status) = default_mappings.source_status_lookup
),

flagged as (
    select
        mapped.*,
        not coalesce(stages.is_closed, false) as is_open,
        coalesce(mapped.current_stage = 'closed_won', false) as is_won,
        coalesce(mapped.current_stage = 'closed_lost', false) as is_lost
    from mapped
    left join stages
        on mapped.current_stage = stages.stage_code
),

final as (
    select
        opportunity_id,
        lead_id,
        account_name,
        source_country,
        country_code,
        rep_id,
        created_at,
        closed_at,
        source_status,
        source_system,
        current_stage,
        is_open,
        is_won,
        is_lost,
        amount,
        currency_code,
        pillar,
        _source_file,
        _source_line
    from flagged
)

select * from final
