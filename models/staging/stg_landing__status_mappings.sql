with

source as (
    select * from {{ source('landing', 'status_mappings') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['lower(trim(source_system))', 'lower(trim(source_status))']) }} as delivery_rank
    from source
),

renamed as (
    select
        _source_file,
        _source_line,
        _loaded_at,
        lower(trim(source_system)) as source_system,
        trim(source_status) as source_status,
        lower(trim(source_status)) as source_status_lookup,
        lower(trim(stage_code)) as stage_code
    from ranked
    where delivery_rank = 1
),

final as (
    select * from renamed
)

select * from final
