{#
    Return the elapsed time from start_expression to end_expression in days, as a decimal
    (seconds / 86,400), so 36 hours is 1.5. Negative when end is before start.
#}
{% macro elapsed_days(start_expression, end_expression) -%}
    cast({{ dbt.datediff(start_expression, end_expression, 'second') }} as {{ dbt.type_numeric() }}) / 86400
{%- endmacro %}


{#
    Return the first day of the month of a date or timestamp expression, as a date.
#}
{% macro month_start(expression) -%}
    cast({{ dbt.date_trunc('month', expression) }} as date)
{%- endmacro %}


{#
    Return the conversion windows, in days, that the cohort conversion report counts:
    a lead converted within N days when it reached to_stage no later than N days after it
    entered from_stage.
#}
{% macro conversion_windows() -%}
    {{ return([30, 60, 90]) }}
{%- endmacro %}


{#
    Return the condition that a month is mature for a window of window_days: everything that
    happened in the month, even on its last day, had window_days full days before the end of
    as_of_date. That is as_of_date >= last day of the month + window_days. With window_days 0
    the condition says the month is over.
#}
{% macro is_month_mature(month_start_expression, as_of_expression, window_days) -%}
    {%- set month_end = dbt.dateadd('month', 1, month_start_expression) -%}
    ({{ dbt.dateadd('day', window_days - 1, month_end) }} <= {{ as_of_expression }})
{%- endmacro %}
