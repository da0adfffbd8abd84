with

source as (
    select * from {{ source('landing', 'web_visits') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['visit_id']) }} as delivery_rank
    from source
),

renamed as (
    select
        visit_id,
        visitor_id,
        occurred_at,
        url,
        referrer,
        utm_content,
        utm_term,
        user_agent,
        _source_file,
        _source_line,
        _loaded_at,
        coalesce(nullif(lower(trim(event_type)), ''), 'page_view') as event_type,
        nullif(lower(trim(utm_source)), '') as utm_source,
        nullif(lower(trim(utm_medium)), '') as utm_medium,
        nullif(trim(utm_campaign), '') as utm_campaign,
        nullif(lower(trim(email)), '') as email,
        nullif(trim(lead_id), '') as lead_id
    from ranked
    where delivery_rank = 1
),

final as (
    select * from renamed
)

select * from final
