{#
    Return the integer date key yyyymmdd of a date or timestamp expression, e.g. 20240331.
    extract() is ANSI SQL and exists on DuckDB, PostgreSQL and Spark.
#}
{% macro date_key(date_expression) -%}
    cast(
        extract(year from {{ date_expression }}) * 10000
        + extract(month from {{ date_expression }}) * 100
        + extract(day from {{ date_expression }})
        as {{ dbt.type_int() }}
    )
{%- endmacro %}


{#
    Return the ISO day of the week (1 = Monday .. 7 = Sunday) of a date expression.
    The default counts days since Monday 1900-01-01, which needs only dbt's datediff.
#}
{% macro iso_day_of_week(date_expression) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'funnelmart')(date_expression)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expression) -%}
    (mod({{ dbt.datediff("cast('1900-01-01' as date)", date_expression, 'day') }}, 7) + 1)
{%- endmacro %}

{% macro duckdb__iso_day_of_week(date_expression) -%}
    cast(extract(isodow from {{ date_expression }}) as {{ dbt.type_int() }})
{%- endmacro %}


{#
    Return the earliest of the given timestamp expressions, ignoring nulls (null when all
    are null). least() is avoided because adapters disagree on how it treats nulls.
#}
{% macro earliest_of(expressions) -%}
    {%- if expressions | length == 1 -%}
        {{ expressions[0] }}
    {%- else -%}
        {%- set first = expressions[0] -%}
        {%- set rest = earliest_of(expressions[1:]) -%}
        case
            when {{ first }} is null then {{ rest }}
            when ({{ rest }}) is null then {{ first }}
            when {{ first }} <= {{ rest }} then {{ first }}
            else {{ rest }}
        end
    {%- endif -%}
{%- endmacro %}
