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
