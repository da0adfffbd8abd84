-- Countries with their UN M49 region and sales theater, plus the unknown member 'ZZ'. The
-- theater comes from seeds/countries.csv unless seeds/theater_overrides.csv or the dbt var
-- theater_overrides (a mapping such as {PK: EMEA, MX: NA}) moves the country; the var wins
-- over the seed. Drill theater > region > country: a region name can sit under two
-- theaters (M49 Southern Asia has Iran in EMEA and India in APAC).
{%- set var_overrides = var('theater_overrides', {}) or {} %}
{%- if var_overrides is not mapping %}
    {{ exceptions.raise_compiler_error(
        "var theater_overrides must map country codes to theaters, e.g. {PK: EMEA}, got " ~ var_overrides ~ "."
    ) }}
{%- endif %}

with

countries as (
    select * from {{ ref('countries') }}
),

seed_overrides as (
    select * from {{ ref('theater_overrides') }}
),

overrides as (
    select
        2 as override_priority,
        upper(trim(country_code)) as country_code,
        trim(theater) as theater
    from seed_overrides
    where nullif(trim(theater), '') is not null
    {%- for country_code, theater in var_overrides.items() %}

        union all

        select
            1 as override_priority,
            upper(trim('{{ country_code | string | replace("'", "''") }}')) as country_code,
            trim('{{ theater | string | replace("'", "''") }}') as theater
    {%- endfor %}
),

ranked_overrides as (
    select
        *,
        row_number() over (partition by country_code order by override_priority) as override_rank
    from overrides
),

known_countries as (
    select
        upper(trim(countries.country_code)) as country_code,
        upper(trim(countries.country_code_alpha3)) as country_code_alpha3,
        countries.country_name,
        countries.region,
        coalesce(ranked_overrides.theater, countries.theater) as theater,
        countries.theater as reference_theater,
        ranked_overrides.theater is not null as is_theater_overridden
    from countries
    left join ranked_overrides
        on
            upper(trim(countries.country_code)) = ranked_overrides.country_code
            and ranked_overrides.override_rank = 1
    where upper(trim(countries.country_code)) != {{ unknown_country_code() }}
),

unknown_country as (
    select
        {{ unknown_country_code() }} as country_code,
        'ZZZ' as country_code_alpha3,
        'Unknown' as country_name,
        'Unknown' as region,
        'Unknown' as theater,
        'Unknown' as reference_theater,
        false as is_theater_overridden
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
        theater,
        reference_theater,
        is_theater_overridden,
        country_code = {{ unknown_country_code() }} as is_unknown
    from unioned
)

select * from final
