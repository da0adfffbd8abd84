-- Every spelling of a country that source files use: alpha-2 code, alpha-3 code, English
-- name and the aliases in seeds/country_aliases.csv. When two countries share a spelling,
-- the code beats the name and the name beats an alias.
with

countries as (
    select * from {{ ref('countries') }}
),

country_aliases as (
    select * from {{ ref('country_aliases') }}
),

spellings as (
    select
        lower(trim(country_code)) as spelling,
        upper(trim(country_code)) as country_code,
        1 as spelling_priority
    from countries

    union all

    select
        lower(trim(country_code_alpha3)) as spelling,
        upper(trim(country_code)) as country_code,
        2 as spelling_priority
    from countries

    union all

    select
        lower(trim(country_name)) as spelling,
        upper(trim(country_code)) as country_code,
        3 as spelling_priority
    from countries

    union all

    select
        lower(trim(alias)) as spelling,
        upper(trim(country_code)) as country_code,
        4 as spelling_priority
    from country_aliases
),

ranked as (
    select
        spelling,
        country_code,
        spelling_priority,
        row_number() over (
            partition by spelling
            order by spelling_priority, country_code
        ) as spelling_rank
    from spellings
    where spelling is not null and spelling != ''
),

final as (
    select
        spelling,
        country_code,
        spelling_priority
    from ranked
    where spelling_rank = 1
)

select * from final
