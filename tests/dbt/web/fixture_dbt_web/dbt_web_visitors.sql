-- Checks traffic classes and stitching on the fixture tests/fixtures/dbt_web against its
-- EXPECTED.md: the crawler (user agent), the script (32 requests in 8 seconds), the
-- developer on localhost, and the identity behind each human cookie (Ana's two cookies are
-- lead LA, the second through her email). Runs only with --vars '{expected_fixture: dbt_web}'.
-- A returned row is a visitor whose class, rule or identity differs.
{{ config(enabled=var('expected_fixture', '') == 'dbt_web') }}

with

visitors as (
    select * from {{ ref('int_web_visitors_classified') }}
),

identities as (
    select * from {{ ref('int_web_identities_stitched') }}
),

expected as (
    select
        expected_rows.visitor_id,
        expected_rows.traffic_class,
        expected_rows.matched_rule,
        expected_rows.identity_type,
        expected_rows.lead_id,
        expected_rows.identification_method
    from (
        values
        ('v-ana', 'human', null, 'lead', 'LA', 'form_lead_id'),
        ('v-ana-phone', 'human', null, 'lead', 'LA', 'form_email'),
        ('v-ben', 'human', null, 'lead', 'LB', 'form_lead_id'),
        ('v-cy', 'human', null, 'lead', 'LC', 'form_lead_id'),
        ('v-dee', 'human', null, 'lead', 'LD', 'form_lead_id'),
        ('v-news', 'human', null, 'email', null, 'email_only'),
        ('v-anon', 'human', null, 'anonymous', null, null),
        ('v-late-bot', 'human', null, 'anonymous', null, null),
        ('v-google', 'crawler', 'googlebot', null, null, null),
        ('v-script', 'bot', 'more than 30 requests in 60 seconds', null, null, null),
        ('v-dev', 'internal', 'localhost', null, null, null)
    ) as expected_rows (visitor_id, traffic_class, matched_rule, identity_type, lead_id, identification_method)
),

actual as (
    select
        visitors.visitor_id,
        visitors.traffic_class,
        visitors.matched_rule,
        identities.identity_type,
        identities.lead_id,
        identities.identification_method
    from visitors
    left join identities
        on visitors.visitor_id = identities.visitor_id
),

differences as (
    select
        expected.traffic_class as expected_traffic_class,
        actual.traffic_class as actual_traffic_class,
        expected.identity_type as expected_identity_type,
        actual.identity_type as actual_identity_type,
        expected.lead_id as expected_lead_id,
        actual.lead_id as actual_lead_id,
        coalesce(expected.visitor_id, actual.visitor_id) as visitor_id
    from expected
    full outer join actual
        on expected.visitor_id = actual.visitor_id
    where
        expected.visitor_id is null
        or actual.visitor_id is null
        or expected.traffic_class != actual.traffic_class
        or coalesce(expected.matched_rule, '-') != coalesce(actual.matched_rule, '-')
        or coalesce(expected.identity_type, '-') != coalesce(actual.identity_type, '-')
        or coalesce(expected.lead_id, '-') != coalesce(actual.lead_id, '-')
        or coalesce(expected.identification_method, '-') != coalesce(actual.identification_method, '-')
)

select * from differences
