{#
    Natural ids of the unknown members that the dimensions add, and their surrogate keys.
    A fact row whose campaign, lead source or rep is missing or unmatched points here, so
    no join to a dimension drops it. The unknown geography is country code 'ZZ'.
#}
{% macro unknown_campaign_id() -%}
    '(none)'
{%- endmacro %}

{% macro unknown_lead_source() -%}
    '(not set)'
{%- endmacro %}

{% macro unknown_rep_id() -%}
    '(unassigned)'
{%- endmacro %}

{% macro unknown_rep_valid_from() -%}
    cast('1900-01-01' as date)
{%- endmacro %}

{% macro unknown_country_code() -%}
    'ZZ'
{%- endmacro %}

{% macro unknown_campaign_key() -%}
    {{ surrogate_key([unknown_campaign_id()]) }}
{%- endmacro %}

{% macro unknown_lead_source_key() -%}
    {{ surrogate_key([unknown_lead_source()]) }}
{%- endmacro %}

{% macro unknown_rep_key() -%}
    {{ surrogate_key([unknown_rep_id(), unknown_rep_valid_from()]) }}
{%- endmacro %}
