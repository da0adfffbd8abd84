-- Status mappings from seeds/status_mappings.csv plus the delivered raw.status_mappings.
-- A delivered mapping wins over the seed for the same source system and status. Both are
-- matched case-insensitively on trimmed text.
with

seed_mappings as (
    select * from {{ ref('status_mappings') }}
),

landing_mappings as (
    select * from {{ ref('stg_landing__status_mappings') }}
),

seed_normalized as (
    select
        lower(trim(source_system)) as source_system,
        trim(source_status) as source_status,
        lower(trim(source_status)) as source_status_lookup,
        lower(trim(stage_code)) as stage_code,
        'seed' as mapping_origin,
        2 as origin_priority
    from seed_mappings
),

landing_normalized as (
    select
        source_system,
        source_status,
        source_status_lookup,
        stage_code,
        'landing' as mapping_origin,
        1 as origin_priority
    from landing_mappings
),

unioned as (
    select * from seed_normalized
    union all
    select * from landing_normalized
),

ranked as (
    select
        *,
        row_number() over (
            partition by source_system, source_status_lookup
            order by origin_priority, source_status
        ) as mapping_rank
    from unioned
),

final as (
    select
        {{ surrogate_key(['source_system', 'source_status_lookup']) }} as status_mapping_key,
        source_system,
        source_status,
        source_status_lookup,
        stage_code,
        mapping_origin
    from ranked
    where mapping_rank = 1
)

select * from final
