-- Web events with their URL parts and normalized UTM parameters. A UTM parameter missing
-- from its column is taken from the page URL's query string. Sources and mediums are
-- lower-cased; utm_campaign keeps its case and utm_campaign_lookup is the trimmed,
-- lower-cased form that campaigns are matched on.
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

latest_delivery as (
    select * from ranked
    where delivery_rank = 1
),

with_url_parameters as (
    select
        *,
        coalesce(nullif(trim(utm_source), ''), {{ url_query_parameter('url', 'utm_source') }}) as utm_source_text,
        coalesce(nullif(trim(utm_medium), ''), {{ url_query_parameter('url', 'utm_medium') }}) as utm_medium_text,
        coalesce(nullif(trim(utm_campaign), ''), {{ url_query_parameter('url', 'utm_campaign') }}) as utm_campaign_text,
        coalesce(nullif(trim(utm_content), ''), {{ url_query_parameter('url', 'utm_content') }}) as utm_content_text,
        coalesce(nullif(trim(utm_term), ''), {{ url_query_parameter('url', 'utm_term') }}) as utm_term_text
    from latest_delivery
),

renamed as (
    select
        visit_id,
        visitor_id,
        occurred_at,
        url,
        referrer,
        user_agent,
        _source_file,
        _source_line,
        _loaded_at,
        coalesce(nullif(lower(trim(event_type)), ''), 'page_view') as event_type,
        {{ url_host('url') }} as page_host,
        {{ url_path('url') }} as page_path,
        {{ url_host('referrer') }} as referrer_host,
        nullif(lower(trim(utm_source_text)), '') as utm_source,
        nullif(lower(trim(utm_medium_text)), '') as utm_medium,
        nullif(trim(utm_campaign_text), '') as utm_campaign,
        nullif(lower(trim(utm_campaign_text)), '') as utm_campaign_lookup,
        nullif(trim(utm_content_text), '') as utm_content,
        nullif(trim(utm_term_text), '') as utm_term,
        nullif(lower(trim(user_agent)), '') as user_agent_lookup,
        nullif(lower(trim(email)), '') as email,
        nullif(trim(lead_id), '') as lead_id
    from with_url_parameters
),

final as (
    select * from renamed
)

select * from final
