-- Period conversion: people who first reached to_stage in period_month relative to people
-- who first reached from_stage in the same month, the same people or not. It shows the flow through
-- the funnel in a month, so it can exceed 1 (many leads of earlier months closing at once).
-- Built, like the cohort report, from int_person_stages_reached: leads of one person count
-- once and inferred stages count. Each side is sliced by the rep on its own event, so a
-- hand-off between reps (an SDR to an account executive) shows on both reps' rows; read it at
-- team level or above. The *_entry_count columns count every observed entry into the stage
-- that month, re-entries included and inferred stages excluded.
with

person_stages as (
    select * from {{ ref('int_person_stages_reached') }}
),

person_funnel as (
    select * from {{ ref('fct_person_funnel') }}
),

transitions as (
    select * from {{ ref('fct_stage_transitions') }}
),

stages as (
    select * from {{ ref('stages') }}
),

{{ report_dimension_imports() }},

stage_pairs as (
    {{ funnel_stage_pairs('stages') }}
),

first_reaches as (
    select
        {{ month_start('person_stages.reached_at') }} as period_month,
        person_stages.stage_code,
        person_funnel.geography_key,
        person_funnel.lead_source_key,
        person_funnel.campaign_key,
        person_stages.rep_key,
        count(*) as reached_count
    from person_stages
    inner join person_funnel
        on person_stages.person_key = person_funnel.person_key
    group by
        {{ month_start('person_stages.reached_at') }},
        person_stages.stage_code,
        person_funnel.geography_key,
        person_funnel.lead_source_key,
        person_funnel.campaign_key,
        person_stages.rep_key
),

observed_entries as (
    select
        {{ month_start('transitions.transitioned_at') }} as period_month,
        transitions.to_stage as stage_code,
        person_funnel.geography_key,
        person_funnel.lead_source_key,
        person_funnel.campaign_key,
        transitions.rep_key,
        count(*) as entry_count
    from transitions
    inner join person_funnel
        on transitions.person_key = person_funnel.person_key
    where transitions.is_stage_change
    group by
        {{ month_start('transitions.transitioned_at') }},
        transitions.to_stage,
        person_funnel.geography_key,
        person_funnel.lead_source_key,
        person_funnel.campaign_key,
        transitions.rep_key
),

stage_months as (
    select
        coalesce(first_reaches.period_month, observed_entries.period_month) as period_month,
        coalesce(first_reaches.stage_code, observed_entries.stage_code) as stage_code,
        coalesce(first_reaches.geography_key, observed_entries.geography_key) as geography_key,
        coalesce(first_reaches.lead_source_key, observed_entries.lead_source_key) as lead_source_key,
        coalesce(first_reaches.campaign_key, observed_entries.campaign_key) as campaign_key,
        coalesce(first_reaches.rep_key, observed_entries.rep_key) as rep_key,
        coalesce(first_reaches.reached_count, 0) as reached_count,
        coalesce(observed_entries.entry_count, 0) as entry_count
    from first_reaches
    full outer join observed_entries
        on
            first_reaches.period_month = observed_entries.period_month
            and first_reaches.stage_code = observed_entries.stage_code
            and first_reaches.geography_key = observed_entries.geography_key
            and first_reaches.lead_source_key = observed_entries.lead_source_key
            and first_reaches.campaign_key = observed_entries.campaign_key
            and first_reaches.rep_key = observed_entries.rep_key
),

pair_sides as (
    select
        stage_months.period_month,
        stage_pairs.from_stage,
        stage_pairs.to_stage,
        stage_months.geography_key,
        stage_months.lead_source_key,
        stage_months.campaign_key,
        stage_months.rep_key,
        case
            when stage_months.stage_code = stage_pairs.from_stage then stage_months.reached_count
            else 0
        end as from_stage_count,
        case
            when stage_months.stage_code = stage_pairs.to_stage then stage_months.reached_count
            else 0
        end as to_stage_count,
        case
            when stage_months.stage_code = stage_pairs.from_stage then stage_months.entry_count
            else 0
        end as from_stage_entry_count,
        case
            when stage_months.stage_code = stage_pairs.to_stage then stage_months.entry_count
            else 0
        end as to_stage_entry_count
    from stage_months
    inner join stage_pairs
        on stage_months.stage_code in (stage_pairs.from_stage, stage_pairs.to_stage)
),

aggregated as (
    select
        period_month,
        from_stage,
        to_stage,
        {{ report_dimension_keys() }},
        {{ sum_counts('from_stage_count') }} as from_stage_count,
        {{ sum_counts('to_stage_count') }} as to_stage_count,
        {{ sum_counts('from_stage_entry_count') }} as from_stage_entry_count,
        {{ sum_counts('to_stage_entry_count') }} as to_stage_entry_count
    from pair_sides
    group by
        period_month,
        from_stage,
        to_stage,
        {{ report_dimension_keys() }}
),

final as (
    select
        {{ surrogate_key([
            'aggregated.period_month', 'aggregated.from_stage', 'aggregated.to_stage',
        ] + report_dimension_key_list('aggregated')) }} as period_conversion_key,
        'period' as conversion_method,
        aggregated.period_month,
        aggregated.from_stage,
        aggregated.to_stage,
        aggregated.from_stage_count,
        aggregated.to_stage_count,
        case
            when aggregated.from_stage_count = 0 then null
            else cast(aggregated.to_stage_count as {{ dbt.type_numeric() }}) / aggregated.from_stage_count
        end as period_conversion_rate,
        aggregated.from_stage_entry_count,
        aggregated.to_stage_entry_count,
        {{ report_dimension_columns('aggregated') }}
    from aggregated
    {{ report_dimension_joins('aggregated') }}
)

select * from final
