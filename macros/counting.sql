{#
    Aggregates that count rows and stay integers. DuckDB widens sum() of integers to a
    128-bit integer, which PostgreSQL and most BI drivers lack, so counts are cast back to
    dbt's bigint type.
    - count_where(condition): the number of rows where condition is true.
    - sum_counts(expression): the sum of an integer count column, e.g. over report slices.
#}
{% macro count_where(condition) -%}
    cast(sum(case when {{ condition }} then 1 else 0 end) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro sum_counts(expression) -%}
    cast(sum({{ expression }}) as {{ dbt.type_bigint() }})
{%- endmacro %}
