with

source as (
    select * from {{ source('landing', 'reps') }}
),

defaulted as (
    select
        *,
        coalesce(valid_from, cast('1900-01-01' as date)) as valid_from_or_default
    from source
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['rep_id', 'valid_from_or_default']) }} as delivery_rank
    from defaulted
),

renamed as (
    select
        rep_id,
        rep_name,
        manager_name,
        territory,
        valid_from_or_default as valid_from,
        valid_to,
        _source_file,
        _source_line,
        _loaded_at,
        lower(trim(team)) as team
    from ranked
    where delivery_rank = 1
),

final as (
    select * from renamed
)

select * from final
