{#
    Currency conversion to the reporting currency (var reporting_currency) with the monthly
    rates of seeds/fx_rates.csv, the rule int_amounts_converted applies to opportunities and
    bookings and int_campaign_spend_converted to campaign spend:
        reporting_amount = amount * usd_per_unit(currency, month) / usd_per_unit(reporting, month)
    A model selects fx_rates_by_month() in a CTE, adds reporting_currency_columns() to its
    select and reporting_rate_joins() with that CTE's name after its from clause. The relation
    it converts needs currency_code and rate_month (the first day of the month whose rate
    applies).
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


{#
    Return a select of the rates in fx_rates_relation (the fx_rates seed), one row per
    currency and month: rate_month as a date, usd_per_unit and the upper-cased currency_code.
    Rates stay decimal: dbt.type_float() is a 4-byte float on DuckDB and would round amounts.
#}
{% macro fx_rates_by_month(fx_rates_relation) -%}
    select
        cast(rate_month as date) as rate_month,
        cast(usd_per_unit as numeric(18, 10)) as usd_per_unit,
        upper(trim(currency_code)) as currency_code
    from {{ fx_rates_relation }}
{%- endmacro %}


{#
    Return the conversion columns reporting_currency_code, source_usd_per_unit,
    reporting_usd_per_unit and reporting_amount of an amount in currency_code, from the
    rates that reporting_rate_joins() joins as source_rates and reporting_rates.
#}
{% macro reporting_currency_columns(amount, currency_code) -%}
    {{ reporting_currency_literal() }} as reporting_currency_code,
    source_rates.usd_per_unit as source_usd_per_unit,
    reporting_rates.usd_per_unit as reporting_usd_per_unit,
    {{ convert_to_reporting_currency(
        amount, currency_code, 'source_rates.usd_per_unit', 'reporting_rates.usd_per_unit',
    ) }} as reporting_amount
{%- endmacro %}


{#
    Return the left joins from relation_alias (with currency_code and rate_month) to the rates
    CTE rates_relation: source_rates, the rate of the amount's currency, and reporting_rates,
    the rate of the reporting currency, both for rate_month.
#}
{% macro reporting_rate_joins(relation_alias, rates_relation) -%}
    left join {{ rates_relation }} as source_rates
        on
            {{ relation_alias }}.currency_code = source_rates.currency_code
            and {{ relation_alias }}.rate_month = source_rates.rate_month
    left join {{ rates_relation }} as reporting_rates
        on
            reporting_rates.currency_code = {{ reporting_currency_literal() }}
            and {{ relation_alias }}.rate_month = reporting_rates.rate_month
{%- endmacro %}
