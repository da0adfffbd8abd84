-- Lists won or lost opportunities with neither a closed_at nor a close event, so no month
-- can take their outcome: rpt_win_loss leaves them out. A returned row is one such
-- opportunity with its status; add its close date to the export.
{{ config(severity='warn') }}

with

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

undated as (
    select
        opportunity_id,
        source_status,
        current_stage
    from opportunities
    where
        (is_won or is_lost)
        and closed_at is null
        and final_closed_at is null
)

select * from undated
