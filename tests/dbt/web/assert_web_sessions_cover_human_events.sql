-- Sessions contain every event of every human visitor once, and nothing from bots, crawlers
-- or internal traffic: per visitor, the events counted in fct_web_sessions equal the
-- visitor's events in int_web_visits_classified, and an excluded visitor has no session.
-- A returned row is a visitor whose counts differ.
with

sessions as (
    select * from {{ ref('fct_web_sessions') }}
),

web_events as (
    select * from {{ ref('int_web_visits_classified') }}
),

session_events as (
    select
        visitor_id,
        sum(event_count) as session_event_count
    from sessions
    group by visitor_id
),

human_events as (
    select
        visitor_id,
        sum(case when is_excluded then 0 else 1 end) as human_event_count
    from web_events
    group by visitor_id
),

final as (
    select
        human_events.visitor_id,
        human_events.human_event_count,
        session_events.session_event_count
    from human_events
    full outer join session_events
        on human_events.visitor_id = session_events.visitor_id
    where coalesce(human_events.human_event_count, -1) != coalesce(session_events.session_event_count, 0)
)

select * from final
