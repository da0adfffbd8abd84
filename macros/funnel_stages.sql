{#
    The canonical funnel stages, in funnel order, and the columns that pivot a stage-reach
    table (one row per record and stage reached, with stage_code, reached_at and is_inferred,
    such as int_lead_stages_reached or int_person_stages_reached) to one row per record.
    - funnel_stage_codes(): every funnel stage, closed_won and closed_lost included.
    - open_funnel_stage_codes(): the stages before a close, each of which the facts flag as
      inferred or observed.
    - stage_reach_pivot_columns(): aggregates for a select grouped by the record's key: for
      each stage, <stage>_at (first reached, inferred reaches included) and, for open stages,
      is_<stage>_inferred.
    - stage_reach_columns(pivot_alias): the pivoted columns as a fact shows them, with
      is_won and is_lost. A record absent from the pivot (left join) gets nulls and false flags.
    - funnel_stage_pairs(stages_relation): a select of every pair of funnel stages in funnel
      order (from_stage before to_stage) from the stages seed, for conversion reports.
    NOTE: the two lists repeat the funnel stages of seeds/stages.csv, because Jinja needs them
    at compile time, so a change to the funnel stages changes both.
#}
{% macro funnel_stage_codes() -%}
    {{ return(['raw_lead', 'inquiry', 'contact', 'opportunity', 'closed_won', 'closed_lost']) }}
{%- endmacro %}

{% macro open_funnel_stage_codes() -%}
    {{ return(['raw_lead', 'inquiry', 'contact', 'opportunity']) }}
{%- endmacro %}

{% macro stage_reach_pivot_columns() -%}
    {%- for stage in funnel_stage_codes() %}
        min(case when stage_code = '{{ stage }}' then reached_at end) as {{ stage }}_at,
    {%- endfor %}
    {%- for stage in open_funnel_stage_codes() %}
        max(case when stage_code = '{{ stage }}' and is_inferred then 1 else 0 end) = 1
        as is_{{ stage }}_inferred{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro stage_reach_columns(pivot_alias) -%}
    {%- for stage in funnel_stage_codes() %}
        {{ pivot_alias }}.{{ stage }}_at,
    {%- endfor %}
    {%- for stage in open_funnel_stage_codes() %}
        coalesce({{ pivot_alias }}.is_{{ stage }}_inferred, false) as is_{{ stage }}_inferred,
    {%- endfor %}
    {{ pivot_alias }}.closed_won_at is not null as is_won,
    {{ pivot_alias }}.closed_lost_at is not null and {{ pivot_alias }}.closed_won_at is null as is_lost
{%- endmacro %}

{% macro funnel_stage_pairs(stages_relation) -%}
    select
        from_stages.stage_code as from_stage,
        to_stages.stage_code as to_stage
    from {{ stages_relation }} as from_stages
    inner join {{ stages_relation }} as to_stages
        on from_stages.funnel_position < to_stages.funnel_position
    where from_stages.is_funnel_stage and to_stages.is_funnel_stage
{%- endmacro %}
