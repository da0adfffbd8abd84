-- Lists country text that matches no ISO code, English name or alias, so its records fall
-- into the unknown geography 'ZZ'. A returned row is one unrecognised text with the model
-- and record count: add an alias to seeds/country_aliases.csv.
{{ config(severity='warn') }}

with

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

opportunities as (
    select * from {{ ref('stg_landing__opportunities') }}
),

bookings as (
    select * from {{ ref('stg_landing__bookings') }}
),

unrecognised as (
    select
        'stg_landing__leads' as model_name,
        source_country
    from leads
    where country_code = 'ZZ' and source_country is not null

    union all

    select
        'stg_landing__opportunities' as model_name,
        source_country
    from opportunities
    where country_code = 'ZZ' and source_country is not null

    union all

    select
        'stg_landing__bookings' as model_name,
        source_country
    from bookings
    where country_code = 'ZZ' and source_country is not null
),

counted as (
    select
        model_name,
        source_country,
        count(*) as record_count
    from unrecognised
    group by model_name, source_country
)

select * from counted
