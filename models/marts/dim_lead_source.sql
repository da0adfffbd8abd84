-- Lead sources seen on leads, plus '(not set)' for leads without one. A lead source that
-- matches a channel code of seeds/channels.csv takes that channel's group, others 'unknown'.
with

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

channels as (
    select * from {{ ref('channels') }}
),

seen_sources as (
    select distinct lead_source
    from leads
),

unknown_source as (
    select {{ unknown_lead_source() }} as lead_source
),

all_sources as (
    select lead_source from seen_sources
    union
    select lead_source from unknown_source
),

final as (
    select
        {{ surrogate_key(['all_sources.lead_source']) }} as lead_source_key,
        all_sources.lead_source,
        coalesce(channels.channel_group, 'unknown') as channel_group
    from all_sources
    left join channels
        on all_sources.lead_source = lower(trim(channels.channel_code))
)

select * from final
