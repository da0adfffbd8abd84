{#
    The dimension labels every rpt_ model carries next to its keys, so a BI tool can slice
    without joining. A report selects report_dimension_columns() and adds
    report_dimension_joins() after its from clause. Both expect the aggregated relation under
    source_alias with columns geography_key, lead_source_key, campaign_key and rep_key, and
    four import CTEs named geographies, lead_sources, campaigns and reps (dim_geography,
    dim_lead_source, dim_campaign and dim_rep).
#}
{% macro report_dimension_columns() -%}
    geographies.theater,
    geographies.region,
    geographies.country_code,
    geographies.country_name,
    lead_sources.lead_source,
    lead_sources.channel_group,
    campaigns.campaign_id,
    campaigns.campaign_name,
    reps.rep_id,
    reps.rep_name,
    reps.team,
    reps.territory
{%- endmacro %}

{% macro report_dimension_joins(source_alias) -%}
    left join geographies
        on {{ source_alias }}.geography_key = geographies.geography_key
    left join lead_sources
        on {{ source_alias }}.lead_source_key = lead_sources.lead_source_key
    left join campaigns
        on {{ source_alias }}.campaign_key = campaigns.campaign_key
    left join reps
        on {{ source_alias }}.rep_key = reps.rep_key
{%- endmacro %}

{% macro report_dimension_imports() -%}
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
    )
{%- endmacro %}
