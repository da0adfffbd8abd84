-- Cohort conversion between funnel stages, from fct_lead_funnel (inferred stages count).
-- A lead enters the cohort of the month it entered from_stage and converts when it ever
-- reached to_stage. Only combinations with at least one entered lead have a row.
with

lead_funnel as (
    select * from {{ ref('fct_lead_funnel') }}
),

geographies as (
    select * from {{ ref('dim_geography') }}
),

lead_sources as (
    select * from {{ ref('dim_lead_source') }}
),

campaigns as (
    select * from {{ ref('dim_campaign') }}
),

reps as (
    select * from {{ ref('dim_rep') }}
),

{%- set stage_pairs = [
    ('raw_lead', 'inquiry'),
    ('inquiry', 'contact'),
    ('contact', 'opportunity'),
    ('opportunity', 'closed_won'),
    ('raw_lead', 'closed_won'),
] %}

stage_pairs as (
    {%- for from_stage, to_stage in stage_pairs %}
        select
            lead_id,
            '{{ from_stage }}' as from_stage,
            '{{ to_stage }}' as to_stage,
            {{ from_stage }}_at as entered_at,
            {{ to_stage }}_at is not null as is_converted,
            geography_key,
            lead_source_key,
            campaign_key,
            rep_key
        from lead_funnel
        where {{ from_stage }}_at is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

aggregated as (
    select
        cast({{ dbt.date_trunc('month', 'entered_at') }} as date) as cohort_month,
        from_stage,
        to_stage,
        geography_key,
        lead_source_key,
        campaign_key,
        rep_key,
        count(*) as entered_count,
        sum(case when is_converted then 1 else 0 end) as converted_count
    from stage_pairs
    group by
        cast({{ dbt.date_trunc('month', 'entered_at') }} as date),
        from_stage,
        to_stage,
        geography_key,
        lead_source_key,
        campaign_key,
        rep_key
),

final as (
    select
        {{ surrogate_key([
            'aggregated.cohort_month', 'aggregated.from_stage', 'aggregated.to_stage',
            'aggregated.geography_key', 'aggregated.lead_source_key', 'aggregated.campaign_key',
            'aggregated.rep_key',
        ]) }} as funnel_conversion_key,
        aggregated.cohort_month,
        aggregated.from_stage,
        aggregated.to_stage,
        aggregated.entered_count,
        aggregated.converted_count,
        case
            when aggregated.entered_count = 0 then null
            else cast(aggregated.converted_count as {{ dbt.type_numeric() }}) / aggregated.entered_count
        end as conversion_rate,
        aggregated.geography_key,
        aggregated.lead_source_key,
        aggregated.campaign_key,
        aggregated.rep_key,
        geographies.theater,
        geographies.country_code,
        lead_sources.lead_source,
        campaigns.campaign_name,
        reps.team,
        reps.rep_name
    from aggregated
    left join geographies
        on aggregated.geography_key = geographies.geography_key
    left join lead_sources
        on aggregated.lead_source_key = lead_sources.lead_source_key
    left join campaigns
        on aggregated.campaign_key = campaigns.campaign_key
    left join reps
        on aggregated.rep_key = reps.rep_key
)

select * from final
