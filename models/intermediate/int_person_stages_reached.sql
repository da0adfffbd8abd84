-- The funnel stages each person reached, one row per person and stage: the earliest time
-- any of the person's leads reached it (int_lead_stages_reached). When an observed and an
-- inferred reach share that time, the observed one wins. The row keeps the lead and the
-- rep of that reach.
with

lead_stages as (
    select * from {{ ref('int_lead_stages_reached') }}
),

persons as (
    select * from {{ ref('int_persons_matched') }}
),

ranked as (
    select
        lead_stages.*,
        persons.person_key,
        row_number() over (
            partition by persons.person_key, lead_stages.stage_code
            order by
                lead_stages.reached_at,
                case when lead_stages.is_inferred then 1 else 0 end,
                lead_stages.lead_id
        ) as reach_rank
    from lead_stages
    inner join persons
        on lead_stages.lead_id = persons.lead_id
),

final as (
    select
        {{ surrogate_key(['person_key', 'stage_code']) }} as person_stage_key,
        person_key,
        stage_code,
        funnel_position,
        reached_at,
        is_inferred,
        lead_id as reached_lead_id,
        reached_stage_event_key,
        rep_key,
        current_rep_key
    from ranked
    where reach_rank = 1
)

select * from final
