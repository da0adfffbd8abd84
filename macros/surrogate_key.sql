{#
    Return an md5 hash of the given columns as a surrogate key. Nulls become a marker
    string, so (null, 'a') and ('', 'a') get different keys. md5 exists on DuckDB,
    PostgreSQL and Spark.
#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '_null_')") -%}
    {%- endfor -%}
    md5({{ parts | join(" || '|' || ") }})
{%- endmacro %}
