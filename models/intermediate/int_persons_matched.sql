-- The person of each lead. The dbt var person_match_rule picks the rule:
-- - email_normalized (default): leads whose email is equal after trimming and lower-casing
--   are one person. A lead without an email is a person of its own.
-- - lead_id: every lead is a person of its own (no merging).
-- The person is named after its first lead (earliest created_at, then lead_id), so person_id
-- and person_key never contain an email address.
{%- set match_rule = var('person_match_rule', 'email_normalized') %}
{%- if match_rule not in ['email_normalized', 'lead_id'] %}
    {{ exceptions.raise_compiler_error(
        "var person_match_rule must be 'email_normalized' or 'lead_id', got '" ~ match_rule ~ "'."
    ) }}
{%- endif %}

with

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

normalized as (
    select
        lead_id,
        created_at,
        {%- if match_rule == 'email_normalized' %}
            nullif(lower(trim(email)), '') as email_normalized
        {%- else %}
            cast(null as {{ dbt.type_string() }}) as email_normalized
        {%- endif %}
    from leads
),

match_values as (
    select
        lead_id,
        created_at,
        email_normalized,
        case
            when email_normalized is not null then {{ dbt.concat(["'email:'", 'email_normalized']) }}
            else {{ dbt.concat(["'lead:'", 'lead_id']) }}
        end as person_match_value
    from normalized
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_match_value
            order by created_at, lead_id
        ) as person_lead_number,
        count(*) over (partition by person_match_value) as person_lead_count
    from match_values
),

first_leads as (
    select
        person_match_value,
        lead_id as person_id
    from ranked
    where person_lead_number = 1
),

final as (
    select
        ranked.lead_id,
        {{ surrogate_key(['first_leads.person_id']) }} as person_key,
        first_leads.person_id,
        ranked.person_match_value,
        '{{ match_rule }}' as person_match_rule,
        ranked.email_normalized is not null as is_email_matched,
        ranked.person_lead_number,
        ranked.person_lead_count,
        ranked.person_lead_number = 1 as is_primary_lead
    from ranked
    inner join first_leads
        on ranked.person_match_value = first_leads.person_match_value
)

select * from final
