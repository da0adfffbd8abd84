-- Campaign responses on each identity's path, in time order:
--   * lead_campaign: a lead's original campaign (leads.campaign_id), at the lead's created_at;
--   * web_session: a human web session with a utm_campaign, at its start, on the path of the
--     identity its cookie is stitched to (a lead, a newsletter email, or the cookie itself).
-- Stage events carry no campaign in the raw contract, so they add no touchpoint.
-- The channel is the campaign's channel when the campaign is in the campaigns file, so that
-- credit and spend meet on one channel. Otherwise it is the session's UTM channel, or the
-- lead source when that is a channel code, else 'unknown'.
-- Touchpoints at the same time are ordered web_session before lead_campaign (the form
-- session comes before the lead it creates), then by touchpoint_key.
with

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

sessions as (
    select * from {{ ref('fct_web_sessions') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

channels as (
    select * from {{ ref('channels') }}
),

lead_campaign_touches as (
    select
        'lead_campaign' as touchpoint_type,
        2 as type_order,
        leads.lead_id as source_record_id,
        leads.lead_id,
        {{ identity_key("'lead'", 'leads.lead_id') }} as identity_key,
        cast(null as {{ dbt.type_string() }}) as session_key,
        leads.created_at as touched_at,
        lower(trim(leads.campaign_id)) as campaign_lookup,
        source_channels.channel_code as own_channel_code,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium
    from leads
    left join channels as source_channels
        on leads.lead_source = lower(trim(source_channels.channel_code))
    where leads.campaign_id is not null
),

session_touches as (
    select
        'web_session' as touchpoint_type,
        1 as type_order,
        session_key as source_record_id,
        lead_id,
        identity_key,
        session_key,
        session_start_at as touched_at,
        utm_campaign as campaign_lookup,
        channel_code as own_channel_code,
        utm_source,
        utm_medium
    from sessions
    where has_campaign
),

touches as (
    select * from lead_campaign_touches
    union all
    select * from session_touches
),

described as (
    select
        touches.*,
        {{ surrogate_key(['touches.touchpoint_type', 'touches.source_record_id']) }} as touchpoint_key,
        campaigns.campaign_id,
        campaigns.campaign_key,
        campaigns.campaign_name,
        campaigns.is_mapped as is_campaign_mapped,
        coalesce(campaigns.channel_code, touches.own_channel_code, 'unknown') as channel_code
    from touches
    left join campaigns
        on touches.campaign_lookup = campaigns.campaign_lookup
),

sequenced as (
    select
        described.*,
        row_number() over (
            partition by described.identity_key
            order by described.touched_at, described.type_order, described.touchpoint_key
        ) as path_position,
        count(*) over (partition by described.identity_key) as path_touchpoint_count
    from described
),

final as (
    select
        sequenced.touchpoint_key,
        sequenced.touchpoint_type,
        sequenced.source_record_id,
        sequenced.identity_key,
        sequenced.lead_id,
        sequenced.session_key,
        sequenced.touched_at,
        {{ date_key('sequenced.touched_at') }} as touch_date_key,
        sequenced.path_position,
        sequenced.path_touchpoint_count,
        sequenced.campaign_id,
        sequenced.campaign_key,
        sequenced.campaign_name,
        sequenced.is_campaign_mapped,
        sequenced.channel_code,
        coalesce(channels.channel_group, 'unknown') as channel_group,
        sequenced.utm_source,
        sequenced.utm_medium,
        coalesce(sequenced.touched_at <= leads.created_at, false) as is_before_lead_created,
        coalesce(leads.country_code, {{ unknown_country_code() }}) as geography_key
    from sequenced
    left join channels
        on sequenced.channel_code = lower(trim(channels.channel_code))
    left join leads
        on sequenced.lead_id = leads.lead_id
)

select * from final
