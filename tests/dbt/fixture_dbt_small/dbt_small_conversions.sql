-- Checks rpt_funnel_conversion on the fixture tests/fixtures/dbt_small against the
-- hand-computed entered and converted counts of its EXPECTED.md, per stage pair and
-- cohort month. Runs only with --vars '{expected_fixture: dbt_small}'. A returned row is a
-- pair and month whose counts differ, or a row present on one side only.
{{ config(enabled=var('expected_fixture', '') == 'dbt_small') }}

with

conversions as (
    select * from {{ ref('rpt_funnel_conversion') }}
),

expected as (
    select
        cast(expected_rows.cohort_month as date) as cohort_month,
        expected_rows.from_stage,
        expected_rows.to_stage,
        expected_rows.entered_count,
        expected_rows.converted_count
    from (
        values
        ('2024-01-01', 'raw_lead', 'inquiry', 2, 2),
        ('2024-02-01', 'raw_lead', 'inquiry', 2, 2),
        ('2024-03-01', 'raw_lead', 'inquiry', 3, 3),
        ('2024-01-01', 'inquiry', 'contact', 2, 2),
        ('2024-02-01', 'inquiry', 'contact', 2, 1),
        ('2024-03-01', 'inquiry', 'contact', 3, 1),
        ('2024-01-01', 'contact', 'opportunity', 2, 2),
        ('2024-02-01', 'contact', 'opportunity', 1, 1),
        ('2024-03-01', 'contact', 'opportunity', 1, 1),
        ('2024-01-01', 'opportunity', 'closed_won', 2, 2),
        ('2024-02-01', 'opportunity', 'closed_won', 1, 0),
        ('2024-03-01', 'opportunity', 'closed_won', 1, 1),
        ('2024-01-01', 'raw_lead', 'closed_won', 2, 2),
        ('2024-02-01', 'raw_lead', 'closed_won', 2, 0),
        ('2024-03-01', 'raw_lead', 'closed_won', 3, 1)
    ) as expected_rows (cohort_month, from_stage, to_stage, entered_count, converted_count)
),

actual as (
    select
        cohort_month,
        from_stage,
        to_stage,
        sum(entered_count) as entered_count,
        sum(converted_count) as converted_count
    from conversions
    group by cohort_month, from_stage, to_stage
),

differences as (
    select
        expected.entered_count as expected_entered_count,
        actual.entered_count as actual_entered_count,
        expected.converted_count as expected_converted_count,
        actual.converted_count as actual_converted_count,
        coalesce(expected.cohort_month, actual.cohort_month) as cohort_month,
        coalesce(expected.from_stage, actual.from_stage) as from_stage,
        coalesce(expected.to_stage, actual.to_stage) as to_stage
    from expected
    full outer join actual
        on
            expected.cohort_month = actual.cohort_month
            and expected.from_stage = actual.from_stage
            and expected.to_stage = actual.to_stage
    where
        expected.entered_count is null
        or actual.entered_count is null
        or expected.entered_count != actual.entered_count
        or expected.converted_count != actual.converted_count
)

select * from differences
