-- Sessions of human visitors, built from their web events (bots and internal traffic are
-- left out). A visitor's event starts a new session when it is the visitor's first event,
-- when it comes more than var web_session_timeout_minutes after the previous event
-- (inactivity), or when it carries a utm_campaign other than the session's campaign
-- (campaign_change). Events without utm_campaign never start a session. A session takes its
-- landing page, referrer, UTM parameters and channel from its first event.
--
-- Incremental: a run rebuilds all sessions of the visitors whose sessions can change, and
-- replaces those visitors' rows (delete+insert on visitor_id):
--   * visitors with events loaded since the last run (any event time, so late events count),
--   * visitors with events in the var web_sessions_lookback_hours before the latest built
--     session end, so a session that spans two runs is rebuilt whole,
--   * visitors whose identity or campaign lookup changed since their sessions were built,
--   * every other cookie of those visitors' identities, whose identity_session_number may move.
-- The pre-hook deletes the sessions of visitors that are excluded now.
-- depends_on: {{ ref('int_web_visitors_classified') }}
-- The CTEs inside the is_incremental() block are written at the level of the others.
-- sqlfluff:indentation:template_blocks_indent:false
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='visitor_id',
        on_schema_change='fail',
        pre_hook="{{ delete_excluded_web_sessions(ref('int_web_visitors_classified')) }}",
    )
}}
{%- set visitor_order = 'partition by visitor_id order by occurred_at, visit_id' %}

with

web_events as (
    select * from {{ ref('int_web_visits_classified') }}
    where not is_excluded
),

identities as (
    select * from {{ ref('int_web_identities_stitched') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

{% if is_incremental() %}

built_sessions as (
    select * from {{ this }}
),

watermarks as (
    select
        coalesce(max(last_loaded_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) as max_loaded_at,
        coalesce(max(session_end_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) as max_session_end_at
    from built_sessions
),

visitors_with_new_events as (
    select distinct web_events.visitor_id
    from web_events
    cross join watermarks
    where
        web_events._loaded_at > watermarks.max_loaded_at
        or web_events.occurred_at
        >= {{ dbt.dateadd('hour', -1 * web_sessions_lookback_hours(), 'watermarks.max_session_end_at') }}
),

restitched_visitors as (
    select distinct built_sessions.visitor_id
    from built_sessions
    left join identities
        on built_sessions.visitor_id = identities.visitor_id
    where
        built_sessions.identity_key is distinct from identities.identity_key
        or built_sessions.lead_id is distinct from identities.lead_id
),

remapped_visitors as (
    select distinct built_sessions.visitor_id
    from built_sessions
    left join campaigns
        on built_sessions.utm_campaign = campaigns.campaign_lookup
    where
        built_sessions.utm_campaign is not null
        and (
            built_sessions.campaign_id is distinct from campaigns.campaign_id
            or built_sessions.is_campaign_mapped is distinct from campaigns.is_mapped
        )
),

changed_visitors as (
    select visitor_id from visitors_with_new_events
    union
    select visitor_id from restitched_visitors
    union
    select visitor_id from remapped_visitors
),

-- Semi-joins (in) rather than joins keep row estimates small, which matters to planners such
-- as PostgreSQL's, whose JIT compiles for seconds when estimates run into billions.
affected_identities as (
    select identities.identity_key from identities
    where identities.visitor_id in (select changed_visitors.visitor_id from changed_visitors)
    union
    select built_sessions.identity_key from built_sessions
    where built_sessions.visitor_id in (select changed_visitors.visitor_id from changed_visitors)
),

rebuilt_visitors as (
    select identities.visitor_id from identities
    where identities.identity_key in (select affected_identities.identity_key from affected_identities)
    union
    select built_sessions.visitor_id from built_sessions
    where built_sessions.identity_key in (select affected_identities.identity_key from affected_identities)
    union
    select visitor_id from changed_visitors
),

scoped_events as (
    select * from web_events
    where visitor_id in (select rebuilt_visitors.visitor_id from rebuilt_visitors)
),

{% else %}

scoped_events as (
    select * from web_events
),

{% endif %}

ordered as (
    select
        *,
        lag(occurred_at) over ({{ visitor_order }}) as previous_occurred_at
    from scoped_events
),

inactivity_marked as (
    select
        *,
        case
            when previous_occurred_at is null then 'first_visit'
            when
                {{ dbt.datediff('previous_occurred_at', 'occurred_at', 'second') }}
                > {{ web_session_timeout_minutes() * 60 }}
                then 'inactivity'
        end as inactivity_reason
    from ordered
),

segmented as (
    select
        *,
        sum(case when inactivity_reason is not null then 1 else 0 end) over (
            {{ visitor_order }}
            rows between unbounded preceding and current row
        ) as activity_segment_number
    from inactivity_marked
),

-- Inside a stretch of activity, a campaign run starts at each event with a campaign and
-- lasts until the next one. Within a session every campaign equals the session's, so an
-- event whose campaign differs from the previous run's campaign, or that follows only events
-- without a campaign, starts a new session. Window functions find the previous campaign
-- without a self-join.
campaign_runs as (
    select
        *,
        sum(case when utm_campaign_lookup is not null then 1 else 0 end) over (
            partition by visitor_id, activity_segment_number
            order by occurred_at, visit_id
            rows between unbounded preceding and current row
        ) as campaign_run_number
    from segmented
),

run_campaigns as (
    select
        *,
        max(utm_campaign_lookup) over (
            partition by visitor_id, activity_segment_number, campaign_run_number
        ) as run_campaign
    from campaign_runs
),

previous_campaigns as (
    select
        *,
        lag(run_campaign) over (
            partition by visitor_id, activity_segment_number
            order by occurred_at, visit_id
        ) as previous_run_campaign
    from run_campaigns
),

session_starts as (
    select
        *,
        case
            when inactivity_reason is not null then inactivity_reason
            when
                utm_campaign_lookup is not null
                and (previous_run_campaign is null or previous_run_campaign != utm_campaign_lookup)
                then 'campaign_change'
        end as session_start_reason
    from previous_campaigns
),

numbered as (
    select
        *,
        cast(
            sum(case when session_start_reason is not null then 1 else 0 end) over (
                {{ visitor_order }}
                rows between unbounded preceding and current row
            ) as {{ dbt.type_bigint() }}
        ) as visitor_session_number
    from session_starts
),

event_positions as (
    select
        *,
        row_number() over (
            partition by visitor_id, visitor_session_number
            order by occurred_at, visit_id
        ) as event_position,
        -- The exit page is the last page view, or the last event when the session has no page view.
        row_number() over (
            partition by visitor_id, visitor_session_number
            order by case when event_type = 'page_view' then 0 else 1 end, occurred_at desc, visit_id desc
        ) as exit_rank
    from numbered
),

sessions as (
    select
        visitor_id,
        visitor_session_number,
        min(occurred_at) as session_start_at,
        max(occurred_at) as session_end_at,
        count(*) as event_count,
        cast(sum(case when event_type = 'page_view' then 1 else 0 end) as {{ dbt.type_bigint() }}) as page_view_count,
        cast(
            sum(case when event_type = 'form_submit' then 1 else 0 end) as {{ dbt.type_bigint() }}
        ) as form_submit_count,
        max(case when event_position = 1 then visit_id end) as first_visit_id,
        max(case when event_position = 1 then session_start_reason end) as session_start_reason,
        max(case when event_position = 1 then page_path end) as landing_page_path,
        max(case when exit_rank = 1 then page_path end) as exit_page_path,
        max(case when event_position = 1 then external_referrer_host end) as referrer_host,
        max(case when event_position = 1 then utm_source end) as utm_source,
        max(case when event_position = 1 then utm_medium end) as utm_medium,
        max(case when event_position = 1 then utm_campaign_lookup end) as utm_campaign,
        max(case when event_position = 1 then utm_content end) as utm_content,
        max(case when event_position = 1 then utm_term end) as utm_term,
        max(case when event_position = 1 then channel_code end) as channel_code,
        max(case when event_position = 1 then channel_group end) as channel_group,
        max(_loaded_at) as last_loaded_at
    from event_positions
    group by visitor_id, visitor_session_number
),

attributed as (
    select
        sessions.*,
        identities.identity_key,
        identities.identity_type,
        identities.lead_id,
        identities.identified_at,
        campaigns.campaign_id,
        campaigns.campaign_key,
        campaigns.is_mapped as is_campaign_mapped
    from sessions
    inner join identities
        on sessions.visitor_id = identities.visitor_id
    left join campaigns
        on sessions.utm_campaign = campaigns.campaign_lookup
),

identity_numbered as (
    select
        *,
        row_number() over (
            partition by identity_key
            order by session_start_at, first_visit_id
        ) as identity_session_number
    from attributed
),

final as (
    select
        {{ surrogate_key(['visitor_id', 'first_visit_id']) }} as session_key,
        visitor_id,
        first_visit_id,
        identity_key,
        identity_type,
        lead_id,
        identity_type != 'anonymous' as is_identified,
        coalesce(session_start_at < identified_at, identity_type = 'anonymous') as is_before_identification,
        visitor_session_number,
        identity_session_number,
        identity_session_number > 1 as is_returning_visitor,
        session_start_reason,
        session_start_at,
        session_end_at,
        {{ date_key('session_start_at') }} as session_date_key,
        {{ dbt.datediff('session_start_at', 'session_end_at', 'second') }} as duration_seconds,
        page_view_count,
        event_count,
        form_submit_count,
        landing_page_path,
        exit_page_path,
        referrer_host,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        utm_campaign is not null as has_campaign,
        coalesce(campaign_id, {{ unknown_campaign_id() }}) as campaign_id,
        coalesce(campaign_key, {{ unknown_campaign_key() }}) as campaign_key,
        coalesce(is_campaign_mapped, false) as is_campaign_mapped,
        channel_code,
        channel_group,
        last_loaded_at
    from identity_numbered
)

select * from final
