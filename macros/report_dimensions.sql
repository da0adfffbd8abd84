{#
    The slices that the sliced rpt_ models (cohort and period conversion, stage velocity, time
    in stage, stage aging, win/loss) share: each groups by four dimension keys and carries the
    dimensions' labels next to them, so a BI tool can slice without joining.
    - report_dimension_keys(relation_alias): the four keys geography_key, lead_source_key,
      campaign_key and rep_key as a comma-separated column list for a select or a group by,
      each prefixed with "relation_alias." when relation_alias is given.
    - report_dimension_key_list(relation_alias): the same keys as a list, e.g. for
      surrogate_key().
    - report_dimension_columns(relation_alias): the four keys of relation_alias followed by
      the labels of their dimensions. Add report_dimension_joins(relation_alias) after the
      from clause, and report_dimension_imports() to the import CTEs.
    The joins expect four import CTEs named geographies, lead_sources, campaigns and reps
    (dim_geography, dim_lead_source, dim_campaign and dim_rep), which
    report_dimension_imports() writes.
#}
{% macro report_dimension_key_list(relation_alias=none) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {%- set keys = [] -%}
    {%- for key in ['geography_key', 'lead_source_key', 'campaign_key', 'rep_key'] -%}
        {%- do keys.append(prefix ~ key) -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{% macro report_dimension_keys(relation_alias=none) -%}
    {{ report_dimension_key_list(relation_alias) | join(',\n') }}
{%- endmacro %}

{% macro report_dimension_columns(relation_alias) -%}
    {{ report_dimension_keys(relation_alias) }},
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

{% macro report_dimension_joins(relation_alias) -%}
    left join geographies
        on {{ relation_alias }}.geography_key = geographies.geography_key
    left join lead_sources
        on {{ relation_alias }}.lead_source_key = lead_sources.lead_source_key
    left join campaigns
        on {{ relation_alias }}.campaign_key = campaigns.campaign_key
    left join reps
        on {{ relation_alias }}.rep_key = reps.rep_key
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
