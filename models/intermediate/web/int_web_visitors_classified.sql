-- Every visitor (cookie) with its traffic class. Rules, first match wins:
--   1. user_agent: an event's user agent contains a pattern of seeds/bot_user_agents.csv
--      (the longest matching pattern is reported);
--   2. request_rate: more than var web_bot_max_requests_per_window events within any
--      sliding window of var web_bot_rate_window_seconds;
--   3. internal_email_domain or internal_url_host: an event matches a rule of
--      seeds/internal_traffic_rules.csv.
-- A visitor that matches no rule is human. All events of a non-human visitor are excluded.
{%- set window_seconds = web_bot_rate_window_seconds() %}
{%- set max_requests = web_bot_max_requests_per_window() %}

with

web_events as (
    select * from {{ ref('stg_landing__web_visits') }}
),

bot_user_agents as (
    select * from {{ ref('bot_user_agents') }}
),

internal_traffic_rules as (
    select * from {{ ref('internal_traffic_rules') }}
),

visitors as (
    select
        visitor_id,
        count(*) as event_count,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at
    from web_events
    group by visitor_id
),

user_agent_matches as (
    select
        web_events.visitor_id,
        lower(trim(bot_user_agents.user_agent_pattern)) as user_agent_pattern,
        bot_user_agents.traffic_class,
        row_number() over (
            partition by web_events.visitor_id
            order by {{ dbt.length('bot_user_agents.user_agent_pattern') }} desc, bot_user_agents.user_agent_pattern
        ) as match_rank
    from web_events
    inner join bot_user_agents
        on {{ dbt.position('lower(trim(bot_user_agents.user_agent_pattern))', 'web_events.user_agent_lookup') }} > 0
),

visitor_user_agent_rule as (
    select * from user_agent_matches
    where match_rank = 1
),

-- Seconds since 1970 as a bigint, the order key of the sliding window below.
event_seconds as (
    select
        visitor_id,
        cast(
            {{ dbt.datediff("cast('1970-01-01' as " ~ dbt.type_timestamp() ~ ")", 'occurred_at', 'second') }}
            as {{ dbt.type_bigint() }}
        ) as epoch_second
    from web_events
),

-- Events of the visitor in the window that ends at each event, counted on whole seconds.
request_counts as (
    select
        visitor_id,
        count(*) over (
            partition by visitor_id
            order by epoch_second
            range between {{ window_seconds - 1 }} preceding and current row
        ) as requests_in_window
    from event_seconds
),

visitor_request_rates as (
    select
        visitor_id,
        max(requests_in_window) as max_requests_per_window
    from request_counts
    group by visitor_id
),

internal_matches as (
    select
        web_events.visitor_id,
        internal_traffic_rules.match_field,
        internal_traffic_rules.match_value,
        row_number() over (
            partition by web_events.visitor_id
            order by internal_traffic_rules.match_field, internal_traffic_rules.match_value
        ) as match_rank
    from web_events
    inner join internal_traffic_rules
        on
            (
                internal_traffic_rules.match_field = 'email_domain'
                and {{ dbt.split_part('web_events.email', "'@'", 2) }} = lower(trim(internal_traffic_rules.match_value))
            )
            or (
                internal_traffic_rules.match_field = 'url_host'
                and web_events.page_host = lower(trim(internal_traffic_rules.match_value))
            )
),

visitor_internal_rule as (
    select * from internal_matches
    where match_rank = 1
),

classified as (
    select
        visitors.visitor_id,
        visitors.event_count,
        visitors.first_seen_at,
        visitors.last_seen_at,
        visitor_request_rates.max_requests_per_window,
        case
            when visitor_user_agent_rule.visitor_id is not null then visitor_user_agent_rule.traffic_class
            when visitor_request_rates.max_requests_per_window > {{ max_requests }} then 'bot'
            when visitor_internal_rule.visitor_id is not null then 'internal'
            else 'human'
        end as traffic_class,
        case
            when visitor_user_agent_rule.visitor_id is not null then 'user_agent'
            when visitor_request_rates.max_requests_per_window > {{ max_requests }} then 'request_rate'
            when visitor_internal_rule.visitor_id is not null
                then {{ dbt.concat(["'internal_'", 'visitor_internal_rule.match_field']) }}
        end as matched_rule_type,
        case
            when visitor_user_agent_rule.visitor_id is not null then visitor_user_agent_rule.user_agent_pattern
            when visitor_request_rates.max_requests_per_window > {{ max_requests }}
                then 'more than {{ max_requests }} requests in {{ window_seconds }} seconds'
            when visitor_internal_rule.visitor_id is not null then visitor_internal_rule.match_value
        end as matched_rule
    from visitors
    left join visitor_user_agent_rule
        on visitors.visitor_id = visitor_user_agent_rule.visitor_id
    left join visitor_request_rates
        on visitors.visitor_id = visitor_request_rates.visitor_id
    left join visitor_internal_rule
        on visitors.visitor_id = visitor_internal_rule.visitor_id
),

final as (
    select
        visitor_id,
        traffic_class,
        matched_rule_type,
        matched_rule,
        event_count,
        max_requests_per_window,
        first_seen_at,
        last_seen_at,
        traffic_class != 'human' as is_excluded
    from classified
)

select * from final
