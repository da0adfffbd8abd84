-- Fails when a report lost or double-counted people or deals: every person must be in
-- exactly one raw_lead cohort of rpt_cohort_conversion, and every won or lost opportunity
-- with a close date in exactly one month of rpt_win_loss. A returned row names the report
-- and both counts.
with

person_funnel as (
    select * from {{ ref('fct_person_funnel') }}
),

persons as (
    select * from {{ ref('dim_person') }}
),

cohort_conversion as (
    select * from {{ ref('rpt_cohort_conversion') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

win_loss as (
    select * from {{ ref('rpt_win_loss') }}
),

compared as (
    select
        'fct_person_funnel' as model_name,
        (select count(*) from persons) as expected_count,
        (select count(*) from person_funnel) as actual_count

    union all

    select
        'rpt_cohort_conversion' as model_name,
        (select count(*) from person_funnel) as expected_count,
        (
            select coalesce(sum(entered_count), 0) from cohort_conversion
            where from_stage = 'raw_lead' and to_stage = 'inquiry'
        ) as actual_count

    union all

    select
        'rpt_win_loss' as model_name,
        (
            select count(*) from opportunities
            where (is_won or is_lost) and coalesce(closed_at, final_closed_at) is not null
        ) as expected_count,
        (select coalesce(sum(closed_count), 0) from win_loss) as actual_count
),

failures as (
    select * from compared
    where expected_count != actual_count
)

select * from failures
