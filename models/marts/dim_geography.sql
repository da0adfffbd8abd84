with

countries as (
    select * from {{ ref('countries') }}
),

known_countries as (
    select
        upper(trim(country_code)) as country_code,
        upper(trim(country_code_alpha3)) as country_code_alpha3,
        country_name,
        region,
        theater
    from countries
    where upper(trim(country_code)) != {{ unknown_country_code() }}
),

unknown_country as (
    select
        {{ unknown_country_code() }} as country_code,
        'ZZZ' as country_code_alpha3,
        'Unknown' as country_name,
        'Unknown' as region,
        'Unknown' as theater
),

unioned as (
    select * from known_countries
    union all
    select * from unknown_country
),

final as (
    select
        country_code as geography_key,
        country_code,
        country_code_alpha3,
        country_name,
        region,
        theater
    from unioned
)

select * from final
