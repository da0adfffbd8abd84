-- Days between funnel stages: for each pair of funnel stages in funnel order, how long
-- people took from first reaching from_stage to first reaching to_stage, by the month they
-- reached to_stage. Only observed reaches are measured, because an inferred stage has no
-- time of its own. A to_stage dated before from_stage is not measured (no negative days)
-- and is counted in out_of_order_count; fct_lead_funnel.has_stage_order_violation and the
-- warning test assert_stage_times_in_funnel_order name those leads. Days are elapsed time
-- (seconds / 86,400). The rep is the one on the event that brought the person into
-- from_stage, like in rpt_cohort_conversion.
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

{{ report_dimension_imports() }},

stage_pairs as (
    {{ funnel_stage_pairs('stages') }}
),

pair_reaches as (
    select
        stage_pairs.from_stage,
        stage_pairs.to_stage,
        from_reaches.reached_at as from_reached_at,
        to_reaches.reached_at as to_reached_at,
        from_reaches.rep_key,
        person_funnel.geography_key,
        person_funnel.lead_source_key,
        person_funnel.campaign_key,
        from_reaches.is_inferred or to_reaches.is_inferred as is_inferred
    from person_stages as from_reaches
    inner join stage_pairs
        on from_reaches.stage_code = stage_pairs.from_stage
    inner join person_stages as to_reaches
        on
            from_reaches.person_key = to_reaches.person_key
            and stage_pairs.to_stage = to_reaches.stage_code
    inner join person_funnel
        on from_reaches.person_key = person_funnel.person_key
),

measured as (
    select
        *,
        case
            when not is_inferred and to_reached_at >= from_reached_at
                then {{ elapsed_days('from_reached_at', 'to_reached_at') }}
        end as days_between
    from pair_reaches
),

aggregated as (
    select
        {{ month_start('to_reached_at') }} as velocity_month,
        from_stage,
        to_stage,
        {{ report_dimension_keys() }},
        count(*) as reached_both_count,
        count(days_between) as measured_count,
        {{ count_where('is_inferred') }} as inferred_count,
        {{ count_where('not is_inferred and to_reached_at < from_reached_at') }} as out_of_order_count,
        avg(days_between) as mean_days,
        {{ percentile_cont('days_between', 0.5) }} as median_days,
        {{ percentile_cont('days_between', 0.75) }} as p75_days
    from measured
    group by
        {{ month_start('to_reached_at') }},
        from_stage,
        to_stage,
        {{ report_dimension_keys() }}
),

final as (
    select
        {{ surrogate_key([
            'aggregated.velocity_month', 'aggregated.from_stage', 'aggregated.to_stage',
        ] + report_dimension_key_list('aggregated')) }} as stage_velocity_key,
        aggregated.velocity_month,
        aggregated.from_stage,
        aggregated.to_stage,
        aggregated.reached_both_count,
        aggregated.measured_count,
        aggregated.inferred_count,
        aggregated.out_of_order_count,
        cast(aggregated.mean_days as {{ dbt.type_numeric() }}) as mean_days,
        cast(aggregated.median_days as {{ dbt.type_numeric() }}) as median_days,
        cast(aggregated.p75_days as {{ dbt.type_numeric() }}) as p75_days,
        {{ report_dimension_columns('aggregated') }}
    from aggregated
    {{ report_dimension_joins('aggregated') }}
)

select * from final
