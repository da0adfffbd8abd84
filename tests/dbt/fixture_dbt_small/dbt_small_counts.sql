-- Checks the marts built from the fixture tests/fixtures/dbt_small against the
-- hand-computed counts of its EXPECTED.md. The counts are the leads that reached each stage
-- (inferred stages count), how many were inferred, current stages, transitions (all observed
-- events, and the stage changes among them) and opportunity states.
-- Runs only with --vars '{expected_fixture: dbt_small}'. A returned row is a figure that
-- differs.
{{ config(enabled=var('expected_fixture', '') == 'dbt_small') }}

with

lead_funnel as (
    select * from {{ ref('fct_lead_funnel') }}
),

transitions as (
    select * from {{ ref('fct_stage_transitions') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

expected as (
    select
        expected_figures.figure,
        expected_figures.expected_value
    from (
        values
        ('reached_raw_lead', 7),
        ('reached_inquiry', 7),
        ('reached_contact', 4),
        ('reached_opportunity', 4),
        ('reached_closed_won', 3),
        ('reached_closed_lost', 1),
        ('inferred_inquiry', 0),
        ('inferred_contact', 1),
        ('inferred_opportunity', 1),
        ('current_closed_won', 3),
        ('current_closed_lost', 1),
        ('current_nurture', 1),
        ('current_disqualified', 1),
        ('current_inquiry', 1),
        ('transitions', 29),
        ('stage_changes', 27),
        ('transitions_out_of_time_order', 1),
        ('opportunities', 5),
        ('opportunities_open', 2),
        ('opportunities_won', 2),
        ('opportunities_lost', 1)
    ) as expected_figures (figure, expected_value)
),

lead_totals as (
    select
        count(raw_lead_at) as reached_raw_lead,
        count(inquiry_at) as reached_inquiry,
        count(contact_at) as reached_contact,
        count(opportunity_at) as reached_opportunity,
        count(closed_won_at) as reached_closed_won,
        count(closed_lost_at) as reached_closed_lost,
        sum(case when is_inquiry_inferred then 1 else 0 end) as inferred_inquiry,
        sum(case when is_contact_inferred then 1 else 0 end) as inferred_contact,
        sum(case when is_opportunity_inferred then 1 else 0 end) as inferred_opportunity,
        sum(case when current_stage = 'closed_won' then 1 else 0 end) as current_closed_won,
        sum(case when current_stage = 'closed_lost' then 1 else 0 end) as current_closed_lost,
        sum(case when current_stage = 'nurture' then 1 else 0 end) as current_nurture,
        sum(case when current_stage = 'disqualified' then 1 else 0 end) as current_disqualified,
        sum(case when current_stage = 'inquiry' then 1 else 0 end) as current_inquiry
    from lead_funnel
),

transition_totals as (
    select
        count(*) as transition_rows,
        sum(case when is_stage_change then 1 else 0 end) as stage_change_rows,
        sum(case when is_out_of_time_order then 1 else 0 end) as out_of_time_order_rows
    from transitions
),

opportunity_totals as (
    select
        count(*) as opportunity_rows,
        sum(case when is_open then 1 else 0 end) as open_rows,
        sum(case when is_won then 1 else 0 end) as won_rows,
        sum(case when is_lost then 1 else 0 end) as lost_rows
    from opportunities
),

actual as (
    select
        expected.figure,
        expected.expected_value,
        case expected.figure
            when 'reached_raw_lead' then lead_totals.reached_raw_lead
            when 'reached_inquiry' then lead_totals.reached_inquiry
            when 'reached_contact' then lead_totals.reached_contact
            when 'reached_opportunity' then lead_totals.reached_opportunity
            when 'reached_closed_won' then lead_totals.reached_closed_won
            when 'reached_closed_lost' then lead_totals.reached_closed_lost
            when 'inferred_inquiry' then lead_totals.inferred_inquiry
            when 'inferred_contact' then lead_totals.inferred_contact
            when 'inferred_opportunity' then lead_totals.inferred_opportunity
            when 'current_closed_won' then lead_totals.current_closed_won
            when 'current_closed_lost' then lead_totals.current_closed_lost
            when 'current_nurture' then lead_totals.current_nurture
            when 'current_disqualified' then lead_totals.current_disqualified
            when 'current_inquiry' then lead_totals.current_inquiry
            when 'transitions' then transition_totals.transition_rows
            when 'stage_changes' then transition_totals.stage_change_rows
            when 'transitions_out_of_time_order' then transition_totals.out_of_time_order_rows
            when 'opportunities' then opportunity_totals.opportunity_rows
            when 'opportunities_open' then opportunity_totals.open_rows
            when 'opportunities_won' then opportunity_totals.won_rows
            when 'opportunities_lost' then opportunity_totals.lost_rows
        end as actual_value
    from expected
    cross join lead_totals
    cross join transition_totals
    cross join opportunity_totals
),

differences as (
    select * from actual
    where actual_value is null or actual_value != expected_value
)

select * from differences
