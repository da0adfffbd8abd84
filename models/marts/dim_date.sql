with

spine as (
    {{ day_spine(var('date_spine_start'), var('date_spine_end')) }}
),

parts as (
    select
        date_day,
        cast(extract(year from date_day) as {{ dbt.type_int() }}) as year_number,
        cast(extract(quarter from date_day) as {{ dbt.type_int() }}) as quarter_number,
        cast(extract(month from date_day) as {{ dbt.type_int() }}) as month_number,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date,
        {{ iso_day_of_week('date_day') }} as day_of_week_number,
        {{ date_key('date_day') }} as date_key
    from spine
),

-- The column list names year_month without an alias: sqlfluff's duckdb dialect lists
-- YEAR_MONTH as a keyword, so it rejects "as year_month".
labelled (date_day, month_name, year_month) as (
    select
        date_day,
        case month_number
            when 1 then 'January'
            when 2 then 'February'
            when 3 then 'March'
            when 4 then 'April'
            when 5 then 'May'
            when 6 then 'June'
            when 7 then 'July'
            when 8 then 'August'
            when 9 then 'September'
            when 10 then 'October'
            when 11 then 'November'
            when 12 then 'December'
        end,
        {{ dbt.concat([
            'cast(year_number as ' ~ dbt.type_string() ~ ')',
            "case when month_number < 10 then '-0' else '-' end",
            'cast(month_number as ' ~ dbt.type_string() ~ ')',
        ]) }}
    from parts
),

final as (
    select
        parts.date_key,
        parts.date_day,
        parts.year_number,
        parts.quarter_number,
        parts.month_number,
        parts.month_start_date,
        parts.week_start_date,
        parts.day_of_week_number,
        labelled.month_name,
        labelled.year_month
    from parts
    inner join labelled
        on parts.date_day = labelled.date_day
)

select * from final
