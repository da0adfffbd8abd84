{#
    Return a select of one row per day from start_date to end_date (both included, ISO
    'yyyy-mm-dd' strings), as column date_day. Day numbers come from cross-joined rows of
    the digits 0-9, so the SQL needs nothing but dbt's dateadd on any adapter.
#}
{% macro day_spine(start_date, end_date) -%}
    {%- set first_day = modules.datetime.date.fromisoformat(start_date) -%}
    {%- set last_day = modules.datetime.date.fromisoformat(end_date) -%}
    {%- set day_count = (last_day - first_day).days + 1 -%}
    {%- if day_count < 1 -%}
        {{ exceptions.raise_compiler_error(
            "day_spine: end_date " ~ end_date ~ " is before start_date " ~ start_date ~ "."
        ) }}
    {%- endif -%}
    {%- set digits_table -%}
        (
            select 0 as digit union all select 1 union all select 2 union all select 3
            union all select 4 union all select 5 union all select 6 union all select 7
            union all select 8 union all select 9
        )
    {%- endset -%}
    {%- set digit_terms = [] -%}
    {%- set digit_tables = [] -%}
    {%- for position in range((day_count - 1) | string | length) -%}
        {%- do digit_terms.append('digits_' ~ position ~ '.digit * ' ~ 10 ** position) -%}
        {%- do digit_tables.append(digits_table ~ ' as digits_' ~ position) -%}
    {%- endfor -%}
    select
        cast(
            {{ dbt.dateadd('day', 'day_numbers.day_number', "cast('" ~ start_date ~ "' as date)") }} as date
        ) as date_day
    from (
        select {{ digit_terms | join(' + ') }} as day_number
        from {{ digit_tables | join(' cross join ') }}
    ) as day_numbers
    where day_numbers.day_number < {{ day_count }}
{%- endmacro %}
