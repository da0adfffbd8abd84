-- Every web event with the traffic class of its visitor, the bot pattern its own user
-- agent matches, and the channel of its UTM parameters or referrer (seeds/web_channel_rules.csv,
-- first rule by rule_order). A referrer on the page's own host is internal navigation and
-- counts as no referrer.
with

web_events as (
    select * from {{ ref('stg_landing__web_visits') }}
),

visitors as (
    select * from {{ ref('int_web_visitors_classified') }}
),

bot_user_agents as (
    select * from {{ ref('bot_user_agents') }}
),

channel_rules as (
    select * from {{ ref('web_channel_rules') }}
),

channels as (
    select * from {{ ref('channels') }}
),

referred as (
    select
        *,
        case
            when referrer_host is not null and referrer_host != coalesce(page_host, '') then referrer_host
        end as external_referrer_host
    from web_events
),

event_user_agent_matches as (
    select
        referred.visit_id,
        lower(trim(bot_user_agents.user_agent_pattern)) as user_agent_pattern,
        row_number() over (
            partition by referred.visit_id
            order by {{ dbt.length('bot_user_agents.user_agent_pattern') }} desc, bot_user_agents.user_agent_pattern
        ) as match_rank
    from referred
    inner join bot_user_agents
        on {{ dbt.position('lower(trim(bot_user_agents.user_agent_pattern))', 'referred.user_agent_lookup') }} > 0
),

channel_matches as (
    select
        referred.visit_id,
        lower(trim(channel_rules.channel_code)) as channel_code,
        row_number() over (
            partition by referred.visit_id
            order by channel_rules.rule_order
        ) as match_rank
    from referred
    inner join channel_rules
        on
            (
                channel_rules.match_field = 'utm_medium'
                and referred.utm_medium = lower(trim(channel_rules.match_value))
            )
            or (
                channel_rules.match_field = 'utm_source'
                and referred.utm_medium is null
                and referred.utm_source = lower(trim(channel_rules.match_value))
            )
            or (
                channel_rules.match_field = 'referrer_domain'
                and referred.utm_medium is null
                and referred.utm_source is null
                and (
                    referred.external_referrer_host = lower(trim(channel_rules.match_value))
                    or referred.external_referrer_host
                    like {{ dbt.concat(["'%.'", 'lower(trim(channel_rules.match_value))']) }}
                )
            )
),

channeled as (
    select
        referred.*,
        coalesce(
            channel_matches.channel_code,
            case
                when referred.utm_medium is not null or referred.utm_source is not null then 'other'
                when referred.external_referrer_host is not null then 'referral'
                else 'direct_traffic'
            end
        ) as channel_code
    from referred
    left join channel_matches
        on
            referred.visit_id = channel_matches.visit_id
            and channel_matches.match_rank = 1
),

with_channel_group as (
    select
        channeled.*,
        coalesce(channels.channel_group, 'unknown') as channel_group
    from channeled
    left join channels
        on channeled.channel_code = lower(trim(channels.channel_code))
),

final as (
    select
        with_channel_group.visit_id,
        with_channel_group.visitor_id,
        with_channel_group.occurred_at,
        with_channel_group.event_type,
        with_channel_group.url,
        with_channel_group.page_host,
        with_channel_group.page_path,
        with_channel_group.referrer,
        with_channel_group.external_referrer_host,
        with_channel_group.utm_source,
        with_channel_group.utm_medium,
        with_channel_group.utm_campaign,
        with_channel_group.utm_campaign_lookup,
        with_channel_group.utm_content,
        with_channel_group.utm_term,
        with_channel_group.channel_code,
        with_channel_group.channel_group,
        with_channel_group.user_agent,
        event_user_agent_matches.user_agent_pattern as event_user_agent_rule,
        with_channel_group.email,
        with_channel_group.lead_id,
        visitors.traffic_class,
        visitors.matched_rule_type,
        visitors.matched_rule,
        visitors.is_excluded,
        with_channel_group._source_file,
        with_channel_group._source_line,
        with_channel_group._loaded_at
    from with_channel_group
    inner join visitors
        on with_channel_group.visitor_id = visitors.visitor_id
    left join event_user_agent_matches
        on
            with_channel_group.visit_id = event_user_agent_matches.visit_id
            and event_user_agent_matches.match_rank = 1
)

select * from final
