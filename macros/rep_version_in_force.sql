{#
    Return the join condition that picks the rep version in force at a date or timestamp,
    for a join to int_rep_assignments_versioned under the given alias.
#}
{% macro rep_version_in_force(versions_alias, at_expression) -%}
    cast({{ at_expression }} as date) >= {{ versions_alias }}.lookup_from_date
    and cast({{ at_expression }} as date) < {{ versions_alias }}.lookup_until_date
{%- endmacro %}
