-- Status changes from both raw forms: stage_events (one row per change) and stage_dates
-- (the wide export, stored long by the loader). A stage_dates row has no id of its own, so
-- its event_id is record_id:source_status, which is unique per record and status.
with

stage_events as (
    select * from {{ source('landing', 'stage_events') }}
),

stage_dates as (
    select * from {{ source('landing', 'stage_dates') }}
),

events_ranked as (
    select
        *,
        {{ latest_delivery_rank(['event_id']) }} as delivery_rank
    from stage_events
),

dates_ranked as (
    select
        *,
        {{ latest_delivery_rank(['record_type', 'record_id', 'lower(source_status)']) }} as delivery_rank
    from stage_dates
),

events_renamed as (
    select
        event_id,
        'stage_events' as event_source,
        lower(trim(record_type)) as record_type,
        record_id,
        trim(source_status) as source_status,
        coalesce(nullif(lower(trim(source_system)), ''), 'default') as source_system,
        changed_at,
        nullif(trim(owner_rep_id), '') as owner_rep_id,
        _source_file,
        _source_line,
        _loaded_at
    from events_ranked
    where delivery_rank = 1
),

dates_renamed as (
    select
        {{ dbt.concat(['record_id', "':'", 'trim(source_status)']) }} as event_id,
        'stage_dates' as event_source,
        coalesce(nullif(lower(trim(record_type)), ''), 'lead') as record_type,
        record_id,
        trim(source_status) as source_status,
        coalesce(nullif(lower(trim(source_system)), ''), 'default') as source_system,
        changed_at,
        nullif(trim(owner_rep_id), '') as owner_rep_id,
        _source_file,
        _source_line,
        _loaded_at
    from dates_ranked
    where delivery_rank = 1
),

unioned as (
    select * from events_renamed
    union all
    select * from dates_renamed
),

final as (
    select * from unioned
)

select * from final
