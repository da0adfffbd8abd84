{#
    Currency conversion to the reporting currency (var reporting_currency) with the monthly
    rates of seeds/fx_rates.csv, the rule int_amounts_converted applies to opportunities and
    bookings:
        reporting_amount = amount * usd_per_unit(currency, month) / usd_per_unit(reporting, month)
#}

{# Return the upper-cased reporting currency code as a SQL literal, e.g. 'USD'. #}
{% macro reporting_currency_literal() -%}
    '{{ var("reporting_currency") | upper }}'
{%- endmacro %}


{#
    Return the amount in the reporting currency. An amount already in the reporting currency
    stays as it is; a missing rate gives null, which the callers' tests report as an error.
#}
{% macro convert_to_reporting_currency(amount, currency_code, source_usd_per_unit, reporting_usd_per_unit) -%}
    case
        when {{ amount }} is null then null
        when {{ currency_code }} = {{ reporting_currency_literal() }} then {{ amount }}
        -- The wide cast keeps DuckDB from overflowing decimal(18) in the product.
        else cast({{ amount }} as numeric(38, 4)) * {{ source_usd_per_unit }} / {{ reporting_usd_per_unit }}
    end
{%- endmacro %}
