-- Open items aging in each stage on the build's as-of date (int_as_of_date). An item is a
-- journey whose visit on that day is in a stage that is not closed (raw_lead, inquiry,
-- contact, opportunity or nurture), and its age is the calendar days it has been there. A
-- journey is a lead with its opportunities, or an opportunity without a lead. With the
-- var as_of_date set to a past day, the report shows the items open on that day.
with

stage_visits as (
    select * from {{ ref('int_stage_visits') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

{{ report_dimension_imports() }},

open_visits as (
    select
        stage_visits.*,
        as_of.as_of_date,
        {{ dbt.datediff('cast(stage_visits.entered_at as date)', 'as_of.as_of_date', 'day') }} as age_days
    from stage_visits
    cross join as_of
    where
        not stage_visits.is_closed
        and cast(stage_visits.entered_at as date) <= as_of.as_of_date
        and (stage_visits.exited_at is null or cast(stage_visits.exited_at as date) > as_of.as_of_date)
),

aggregated as (
    select
        as_of_date,
        stage_code,
        journey_type,
        {{ report_dimension_keys() }},
        count(*) as open_count,
        {{ count_where('age_days <= 30') }} as age_0_30_count,
        {{ count_where('age_days between 31 and 60') }} as age_31_60_count,
        {{ count_where('age_days between 61 and 90') }} as age_61_90_count,
        {{ count_where('age_days > 90') }} as age_over_90_count,
        avg(age_days) as mean_age_days,
        {{ percentile_cont('age_days', 0.5) }} as median_age_days,
        {{ percentile_cont('age_days', 0.75) }} as p75_age_days,
        max(age_days) as max_age_days
    from open_visits
    group by
        as_of_date,
        stage_code,
        journey_type,
        {{ report_dimension_keys() }}
),

final as (
    select
        {{ surrogate_key([
            'aggregated.stage_code', 'aggregated.journey_type',
        ] + report_dimension_key_list('aggregated')) }} as stage_aging_key,
        aggregated.as_of_date,
        aggregated.stage_code,
        aggregated.journey_type,
        aggregated.open_count,
        aggregated.age_0_30_count,
        aggregated.age_31_60_count,
        aggregated.age_61_90_count,
        aggregated.age_over_90_count,
        cast(aggregated.mean_age_days as {{ dbt.type_numeric() }}) as mean_age_days,
        cast(aggregated.median_age_days as {{ dbt.type_numeric() }}) as median_age_days,
        cast(aggregated.p75_age_days as {{ dbt.type_numeric() }}) as p75_age_days,
        aggregated.max_age_days,
        {{ report_dimension_columns('aggregated') }}
    from aggregated
    {{ report_dimension_joins('aggregated') }}
)

select * from final
