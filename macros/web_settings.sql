{#
    Settings of the web and attribution models, read from dbt variables with their defaults,
    so every model uses the same default. Override one with --vars, e.g.
    dbt build --vars '{web_session_timeout_minutes: 45}'.
#}

{# Minutes of inactivity after which a visitor's next event starts a new session. #}
{% macro web_session_timeout_minutes() -%}
    {{ return(var('web_session_timeout_minutes', 30) | int) }}
{%- endmacro %}


{#
    Hours before the end of the latest built session: an incremental run of fct_web_sessions
    rebuilds every visitor with an event in this window, as well as every visitor with events
    loaded since the last run.
#}
{% macro web_sessions_lookback_hours() -%}
    {{ return(var('web_sessions_lookback_hours', 72) | int) }}
{%- endmacro %}


{# Length in seconds of the sliding window in which a visitor's requests are counted. #}
{% macro web_bot_rate_window_seconds() -%}
    {{ return(var('web_bot_rate_window_seconds', 60) | int) }}
{%- endmacro %}


{# A visitor with more requests than this in one window is a bot (rule request_rate). #}
{% macro web_bot_max_requests_per_window() -%}
    {{ return(var('web_bot_max_requests_per_window', 30) | int) }}
{%- endmacro %}


{#
    Owner team per stage code that overrides owner_team of seeds/stages.csv, e.g.
    --vars '{stage_owner_teams: {contact: marketing}}'. Empty by default.
#}
{% macro stage_owner_team_overrides() -%}
    {%- set overrides = var('stage_owner_teams', {}) or {} -%}
    {%- if overrides is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "var stage_owner_teams must map stage codes to teams, e.g. {contact: marketing}; got " ~ overrides
        ) }}
    {%- endif -%}
    {{ return(overrides) }}
{%- endmacro %}


{# Attribution models of bdg_attribution and rpt_marketing_roi, in report order. #}
{% macro attribution_models() -%}
    {{ return(['first_touch', 'last_touch', 'linear', 'u_shaped', 'w_shaped']) }}
{%- endmacro %}
