-- The as-of date of the build: the day that "today" means in aging, cohort maturity and
-- the pipeline snapshot. It is the dbt var as_of_date when set (an ISO date such as
-- 2024-03-31), else the latest day on which any stage event, opportunity or booking
-- happened, so the same data always builds the same figures, whatever day it runs.
-- NOTE: a mistyped future date in any of those columns moves the as-of date with it, so set the
-- var to pin it.
{%- set as_of_var = var('as_of_date', none) %}
{%- if as_of_var is not none %}
    {%- set as_of_text = as_of_var | string %}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', as_of_text) %}
        {{ exceptions.raise_compiler_error(
            "var as_of_date must be an ISO date such as 2024-03-31, got '" ~ as_of_text ~ "'."
        ) }}
    {%- endif %}
{%- endif %}

with

stage_events as (
    select * from {{ ref('int_stage_events_mapped') }}
),

bookings as (
    select * from {{ ref('stg_landing__bookings') }}
),

opportunities as (
    select * from {{ ref('stg_landing__opportunities') }}
),

event_days as (
    select cast(transitioned_at as date) as event_date from stage_events
    union all
    select cast(booked_at as date) as event_date from bookings
    union all
    select cast(created_at as date) as event_date from opportunities
    union all
    select cast(closed_at as date) as event_date from opportunities
),

latest as (
    select max(event_date) as max_event_date
    from event_days
),

final as (
    select
        max_event_date,
        {%- if as_of_var is not none %}
            cast('{{ as_of_text }}' as date) as as_of_date,
            'var' as as_of_source
        {%- else %}
            -- With no event at all the build has nothing to age, so today's date is used.
            coalesce(max_event_date, cast({{ dbt.current_timestamp() }} as date)) as as_of_date,
            case when max_event_date is null then 'current_date' else 'max_event_date' end as as_of_source
        {%- endif %}
    from latest
)

select * from final
