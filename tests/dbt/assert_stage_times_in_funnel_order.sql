-- Lists leads whose observed stage times contradict the funnel order, for example a contact
-- dated before the inquiry or a deal won before the lead was created. Such a lead keeps
-- both times in fct_lead_funnel (has_stage_order_violation is true), and the velocity
-- reports leave the pair out instead of showing negative days. A returned row is one lead
-- with the earlier funnel stage, the later one and their times.
{{ config(severity='warn') }}

with

lead_stages as (
    select * from {{ ref('int_lead_stages_reached') }}
),

observed as (
    select * from lead_stages
    where not is_inferred
),

violations as (
    select
        earlier.lead_id,
        earlier.stage_code as earlier_stage,
        earlier.reached_at as earlier_stage_reached_at,
        later.stage_code as later_stage,
        later.reached_at as later_stage_reached_at
    from observed as earlier
    inner join observed as later
        on
            earlier.lead_id = later.lead_id
            and earlier.funnel_position < later.funnel_position
    where earlier.reached_at > later.reached_at
)

select * from violations
