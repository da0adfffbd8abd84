{#
    Parts of a URL, for page and referrer URLs such as
    https://www.example.com/pricing?utm_source=google#plans. Built on dbt's split_part, right
    and length, so they work on every adapter. A text without "://" counts as a path.
    Values are not URL-decoded, so "spring%20sale" stays as it is.
#}

{# Return the URL without its query string and fragment. #}
{% macro url_without_query(url_expression) -%}
    {{ dbt.split_part(dbt.split_part(url_expression, "'#'", 1), "'?'", 1) }}
{%- endmacro %}


{# Return the lower-cased host of an absolute URL without port (www.example.com); null for a path. #}
{% macro url_host(url_expression) -%}
    {%- set after_scheme = dbt.split_part(url_without_query(url_expression), "'://'", 2) -%}
    case
        when {{ url_expression }} like '%://%'
            then nullif(lower({{ dbt.split_part(dbt.split_part(after_scheme, "'/'", 1), "':'", 1) }}), '')
    end
{%- endmacro %}


{# Return the path of a URL ('/' when empty), without query string and fragment. #}
{% macro url_path(url_expression) -%}
    {%- set bare_url = url_without_query(url_expression) -%}
    {%- set after_scheme = dbt.split_part(bare_url, "'://'", 2) -%}
    {%- set host_part = dbt.split_part(after_scheme, "'/'", 1) -%}
    case
        when {{ url_expression }} is null then null
        when {{ url_expression }} like '%://%'
            then coalesce(
                nullif({{ dbt.right(after_scheme, dbt.length(after_scheme) ~ ' - ' ~ dbt.length(host_part)) }}, ''),
                '/'
            )
        else coalesce(nullif({{ bare_url }}, ''), '/')
    end
{%- endmacro %}


{#
    Return the value of a query-string parameter (null when absent or empty). The name is
    matched case-sensitively, as UTM parameters are lower-case by convention.
#}
{% macro url_query_parameter(url_expression, parameter_name) -%}
    {%- set query_string = dbt.split_part(dbt.split_part(url_expression, "'#'", 1), "'?'", 2) -%}
    nullif(
        {{ dbt.split_part(
            dbt.split_part(dbt.concat(["'&'", query_string]), "'&" ~ parameter_name ~ "='", 2),
            "'&'",
            1,
        ) }},
        ''
    )
{%- endmacro %}
