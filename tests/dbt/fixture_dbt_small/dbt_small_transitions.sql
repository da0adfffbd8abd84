-- Checks fct_stage_transitions on the fixture tests/fixtures/dbt_small against
-- EXPECTED.md: the transitions of the tie (L6: inquiry and contact at 09:00 on 2024-03-02),
-- of the event dated before its lead (L8) and of the skipped stage (L2). Runs only with
-- --vars '{expected_fixture: dbt_small}'. A returned row is a transition that differs.
{{ config(enabled=var('expected_fixture', '') == 'dbt_small') }}

with

transitions as (
    select * from {{ ref('fct_stage_transitions') }}
),

expected as (
    select
        expected_rows.lead_id,
        expected_rows.stage_sequence_number,
        expected_rows.from_stage,
        expected_rows.to_stage,
        expected_rows.days_since_previous_stage
    from (
        values
        ('L6', 2, 'raw_lead', 'inquiry', 1),
        ('L6', 3, 'inquiry', 'contact', 0),
        ('L6', 4, 'contact', 'closed_won', 18),
        ('L8', 2, 'raw_lead', 'inquiry', null),
        ('L2', 3, 'inquiry', 'opportunity', 13)
    ) as expected_rows (lead_id, stage_sequence_number, from_stage, to_stage, days_since_previous_stage)
),

differences as (
    select
        expected.lead_id,
        expected.stage_sequence_number,
        expected.to_stage as expected_to_stage,
        transitions.to_stage as actual_to_stage,
        expected.days_since_previous_stage as expected_days,
        transitions.days_since_previous_stage as actual_days
    from expected
    left join transitions
        on
            expected.lead_id = transitions.lead_id
            and expected.stage_sequence_number = transitions.stage_sequence_number
    where
        transitions.to_stage is null
        or transitions.to_stage != expected.to_stage
        or transitions.from_stage != expected.from_stage
        or coalesce(transitions.days_since_previous_stage, -1) != coalesce(expected.days_since_previous_stage, -1)
)

select * from differences
