-- Checks fct_web_sessions on the fixture tests/fixtures/dbt_web against the 13 sessions of
-- its EXPECTED.md: why each started (a 45-minute gap, a new campaign), its page views,
-- duration, landing and exit pages, campaign, channel and the identity numbering over Ana's
-- two cookies. The UTM text ' c1 ' must become campaign C1, and Promo-X stays unmapped.
-- Runs only with --vars '{expected_fixture: dbt_web}'. A returned row is a session that
-- differs or is missing, or a session that is not expected.
{{ config(enabled=var('expected_fixture', '') == 'dbt_web') }}

with

sessions as (
    select * from {{ ref('fct_web_sessions') }}
),

expected as (
    select
        expected_rows.first_visit_id,
        expected_rows.visitor_id,
        expected_rows.lead_id,
        expected_rows.session_start_reason,
        expected_rows.identity_session_number,
        expected_rows.page_view_count,
        expected_rows.duration_seconds,
        expected_rows.landing_page_path,
        expected_rows.exit_page_path,
        expected_rows.campaign_id,
        expected_rows.channel_code
    from (
        values
        ('W01', 'v-ana', 'LA', 'first_visit', 1, 2, 300, '/pricing', '/product', 'C1', 'paid_search'),
        ('W03', 'v-ana', 'LA', 'inactivity', 2, 1, 0, '/pricing', '/pricing', '(none)', 'direct_traffic'),
        ('W04', 'v-ana', 'LA', 'campaign_change', 3, 2, 300, '/blog/attribution', '/pricing', 'C3', 'paid_social'),
        ('W06', 'v-ana', 'LA', 'inactivity', 4, 0, 0, '/demo', '/demo', '(none)', 'direct_traffic'),
        (
            'W07', 'v-ana-phone', 'LA', 'first_visit', 5, 1, 120, '/blog/benchmarks', '/blog/benchmarks', 'promo-x',
            'email'
        ),
        ('W09', 'v-ben', 'LB', 'first_visit', 1, 1, 590, '/webinars/register', '/webinars/register', 'C2', 'social'),
        ('W11', 'v-ben', 'LB', 'inactivity', 2, 1, 0, '/', '/', '(none)', 'organic_search'),
        ('W12', 'v-cy', 'LC', 'first_visit', 1, 1, 240, '/pricing', '/pricing', '(none)', 'organic_search'),
        ('W14', 'v-anon', null, 'first_visit', 1, 1, 0, '/', '/', 'C1', 'paid_search'),
        ('W15', 'v-anon', null, 'inactivity', 2, 1, 0, '/pricing', '/pricing', '(none)', 'social'),
        ('W16', 'v-news', null, 'first_visit', 1, 1, 60, '/blog', '/blog', '(none)', 'email'),
        ('W21', 'v-dee', 'LD', 'first_visit', 1, 1, 540, '/', '/', 'C3', 'paid_social'),
        ('W23', 'v-late-bot', null, 'first_visit', 1, 1, 0, '/docs', '/docs', '(none)', 'direct_traffic')
    ) as expected_rows (
        first_visit_id, visitor_id, lead_id, session_start_reason, identity_session_number, page_view_count,
        duration_seconds, landing_page_path, exit_page_path, campaign_id, channel_code
    )
),

differences as (
    select
        expected.session_start_reason as expected_start_reason,
        sessions.session_start_reason as actual_start_reason,
        expected.page_view_count as expected_page_view_count,
        sessions.page_view_count as actual_page_view_count,
        expected.campaign_id as expected_campaign_id,
        sessions.campaign_id as actual_campaign_id,
        coalesce(expected.first_visit_id, sessions.first_visit_id) as first_visit_id
    from expected
    full outer join sessions
        on expected.first_visit_id = sessions.first_visit_id
    where
        expected.first_visit_id is null
        or sessions.first_visit_id is null
        or expected.visitor_id != sessions.visitor_id
        or coalesce(expected.lead_id, '-') != coalesce(sessions.lead_id, '-')
        or expected.session_start_reason != sessions.session_start_reason
        or expected.identity_session_number != sessions.identity_session_number
        or expected.page_view_count != sessions.page_view_count
        or expected.duration_seconds != sessions.duration_seconds
        or expected.landing_page_path != sessions.landing_page_path
        or expected.exit_page_path != sessions.exit_page_path
        or expected.campaign_id != sessions.campaign_id
        or expected.channel_code != sessions.channel_code
)

select * from differences
