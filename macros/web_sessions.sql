{#
    Return a delete statement for the pre-hook of the incremental fct_web_sessions: it removes
    the sessions of visitors that int_web_visitors_classified now excludes (for example a
    visitor whose new events exceed the request-rate limit). Incremental runs insert only the
    visitors they rebuild, so without this step such sessions would stay. Returns nothing on
    a full build.
#}
{% macro delete_excluded_web_sessions(visitors_relation) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where visitor_id in (
            select visitor_id from {{ visitors_relation }}
            where is_excluded
        )
    {%- endif -%}
{%- endmacro %}
