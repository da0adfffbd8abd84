{#
    Fail for each combination of the given columns that occurs on more than one row, so a
    model whose grain is several columns can test that grain. A returned row is one
    duplicated combination with its row count.
#}
{% test unique_combination(model, combination_of_columns) %}

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

{% endtest %}
