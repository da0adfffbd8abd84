-- People behind the leads, merged by the rule of the dbt var person_match_rule
-- (int_persons_matched). A person is named after its first lead, so no email is published.
with

persons as (
    select * from {{ ref('int_persons_matched') }}
),

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

summarized as (
    select
        persons.person_key,
        max(persons.person_id) as person_id,
        max(persons.person_match_rule) as person_match_rule,
        max(case when persons.is_email_matched then 1 else 0 end) = 1 as is_email_matched,
        count(*) as lead_count,
        min(leads.created_at) as first_created_at,
        max(leads.created_at) as last_created_at
    from persons
    inner join leads
        on persons.lead_id = leads.lead_id
    group by persons.person_key
),

final as (
    select * from summarized
)

select * from final
