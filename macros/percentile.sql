{#
    Return the continuous percentile (linear interpolation between the two nearest values)
    of a numeric expression, for use as an aggregate in a select with group by. fraction
    is a number between 0 and 1, e.g. 0.5 for the median. Nulls are ignored on every
    adapter.
    - DuckDB: quantile_cont(expression, fraction)
    - PostgreSQL, Snowflake, Redshift and the default: percentile_cont(fraction) within group
      (order by expression), the SQL:2003 ordered-set aggregate
    - Spark and Databricks: percentile(expression, fraction)
#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'funnelmart')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_cont(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro databricks__percentile_cont(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}
