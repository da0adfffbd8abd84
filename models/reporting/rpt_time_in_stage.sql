-- Time in each stage: how long journeys stayed in a stage before their next stage change,
-- by the month they left it. A journey is a lead with its opportunities, or an opportunity
-- without a lead (journey_type), and a re-entered stage counts as another visit
-- (int_stage_visits). Visits still open are in rpt_stage_aging; a visit whose next stage is
-- dated before it is not measured and counts in out_of_order_count. Days are elapsed time
-- (seconds / 86,400). The rep is the one on the event that entered the stage.
with

stage_visits as (
    select * from {{ ref('int_stage_visits') }}
),

{{ report_dimension_imports() }},

left_visits as (
    select * from stage_visits
    where not is_current_visit
),

aggregated as (
    select
        {{ month_start('exited_at') }} as exit_month,
        stage_code,
        journey_type,
        {{ report_dimension_keys() }},
        count(*) as visit_count,
        count(days_in_stage) as measured_count,
        {{ count_where('is_exit_out_of_time_order') }} as out_of_order_count,
        avg(days_in_stage) as mean_days,
        {{ percentile_cont('days_in_stage', 0.5) }} as median_days,
        {{ percentile_cont('days_in_stage', 0.75) }} as p75_days
    from left_visits
    group by
        {{ month_start('exited_at') }},
        stage_code,
        journey_type,
        {{ report_dimension_keys() }}
),

final as (
    select
        {{ surrogate_key([
            'aggregated.exit_month', 'aggregated.stage_code', 'aggregated.journey_type',
        ] + report_dimension_key_list('aggregated')) }} as time_in_stage_key,
        aggregated.exit_month,
        aggregated.stage_code,
        aggregated.journey_type,
        aggregated.visit_count,
        aggregated.measured_count,
        aggregated.out_of_order_count,
        cast(aggregated.mean_days as {{ dbt.type_numeric() }}) as mean_days,
        cast(aggregated.median_days as {{ dbt.type_numeric() }}) as median_days,
        cast(aggregated.p75_days as {{ dbt.type_numeric() }}) as p75_days,
        {{ report_dimension_columns('aggregated') }}
    from aggregated
    {{ report_dimension_joins('aggregated') }}
)

select * from final
