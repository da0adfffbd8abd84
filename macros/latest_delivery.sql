{#
    Return a row_number() that is 1 for the latest delivered row of each key: the row loaded
    last, then the one from the later file name, then the later line of that file. Staging
    models keep rank 1, so a file delivered twice yields each record once.
#}
{% macro latest_delivery_rank(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by _loaded_at desc nulls last, _source_file desc nulls last, _source_line desc nulls last
    )
{%- endmacro %}


{#
    Return a select of the latest delivery of each record of landing table table_name
    (latest_delivery_rank over key_columns), with every landing column plus
    recognised_country_code: the ISO alpha-2 code that stg_reference__country_spellings finds
    for the record's country text, ignoring case and outer spaces, else null. The landing
    table needs a country column.
#}
{% macro latest_landing_delivery_with_country(table_name, key_columns) -%}
    select
        ranked.*,
        country_spellings.country_code as recognised_country_code
    from (
        select
            *,
            {{ latest_delivery_rank(key_columns) }} as delivery_rank
        from {{ source('landing', table_name) }}
    ) as ranked
    left join {{ ref('stg_reference__country_spellings') }} as country_spellings
        on lower(trim(ranked.country)) = country_spellings.spelling
    where ranked.delivery_rank = 1
{%- endmacro %}
