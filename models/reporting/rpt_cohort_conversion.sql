-- Cohort conversion: of the people who first reached from_stage in cohort_month, how many
-- ever reached to_stage, and how many within 30, 60 and 90 days. Built from
-- int_person_stages_reached, so leads of one person count once (var person_match_rule),
-- inferred stages count, and a person's attributes are those of its first lead. The rep is
-- the one on the event that brought the person into from_stage. Stage pairs: every pair of
-- funnel stages in funnel order (seeds/stages.csv). A cohort month is mature for a window
-- once the build's as-of date is at least the window's length after the month's last day.
with

person_stages as (
    select * from {{ ref('int_person_stages_reached') }}
),

person_funnel as (
    select * from {{ ref('fct_person_funnel') }}
),

stages as (
    select * from {{ ref('stages') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

{{ report_dimension_imports() }},

stage_pairs as (
    {{ funnel_stage_pairs('stages') }}
),

cohort_members as (
    select
        from_reaches.person_key,
        stage_pairs.from_stage,
        stage_pairs.to_stage,
        from_reaches.reached_at as entered_at,
        to_reaches.reached_at as converted_at,
        from_reaches.rep_key,
        person_funnel.geography_key,
        person_funnel.lead_source_key,
        person_funnel.campaign_key
    from person_stages as from_reaches
    inner join stage_pairs
        on from_reaches.stage_code = stage_pairs.from_stage
    inner join person_funnel
        on from_reaches.person_key = person_funnel.person_key
    left join person_stages as to_reaches
        on
            from_reaches.person_key = to_reaches.person_key
            and stage_pairs.to_stage = to_reaches.stage_code
),

windowed as (
    select
        *,
        {%- for window_days in conversion_windows() %}
            {%- set deadline = dbt.dateadd('day', window_days, 'entered_at') %}
            coalesce(converted_at <= {{ deadline }}, false) as is_converted_{{ window_days }}d,
        {%- endfor %}
        converted_at is not null as is_converted
    from cohort_members
),

aggregated as (
    select
        {{ month_start('entered_at') }} as cohort_month,
        from_stage,
        to_stage,
        {{ report_dimension_keys() }},
        count(*) as entered_count,
        {%- for window_days in conversion_windows() %}
            {{ count_where('is_converted_' ~ window_days ~ 'd') }} as converted_{{ window_days }}d_count,
        {%- endfor %}
        {{ count_where('is_converted') }} as converted_count
    from windowed
    group by
        {{ month_start('entered_at') }},
        from_stage,
        to_stage,
        {{ report_dimension_keys() }}
),

final as (
    select
        {{ surrogate_key([
            'aggregated.cohort_month', 'aggregated.from_stage', 'aggregated.to_stage',
        ] + report_dimension_key_list('aggregated')) }} as cohort_conversion_key,
        'cohort' as conversion_method,
        aggregated.cohort_month,
        aggregated.from_stage,
        aggregated.to_stage,
        aggregated.entered_count,
        aggregated.converted_count,
        cast(aggregated.converted_count as {{ dbt.type_numeric() }}) / aggregated.entered_count as conversion_rate,
        {%- for window_days in conversion_windows() %}
            aggregated.converted_{{ window_days }}d_count,
            cast(aggregated.converted_{{ window_days }}d_count as {{ dbt.type_numeric() }})
            / aggregated.entered_count as conversion_rate_{{ window_days }}d,
            {%- set is_mature = is_month_mature('aggregated.cohort_month', 'as_of.as_of_date', window_days) %}
            {{ is_mature }} as is_mature_{{ window_days }}d,
        {%- endfor %}
        as_of.as_of_date,
        {{ report_dimension_columns('aggregated') }}
    from aggregated
    cross join as_of
    {{ report_dimension_joins('aggregated') }}
)

select * from final
