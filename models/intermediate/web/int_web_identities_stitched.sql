-- The identity behind each human visitor (cookie). An identifying event is a human event
-- with a lead_id or an email. It names a lead: its own lead_id when given, else the earliest
-- created lead whose email equals the event's email. A lead_id that the leads file does not
-- list yet still counts, so a later lead load keeps the same identity.
-- A visitor belongs to the lead named by its earliest identifying event that names one, so
-- every session of the cookie, before and after the form, belongs to that lead, and all
-- cookies of a lead share one identity. A visitor without a lead but with an email has the
-- identity of its earliest email (a newsletter reader). Any other visitor is an anonymous
-- identity of its own.
with

web_events as (
    select * from {{ ref('int_web_visits_classified') }}
),

visitors as (
    select * from {{ ref('int_web_visitors_classified') }}
),

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

human_visitors as (
    select visitor_id from visitors
    where not is_excluded
),

lead_emails as (
    select
        lead_id,
        lower(trim(email)) as email,
        row_number() over (
            partition by lower(trim(email))
            order by created_at, lead_id
        ) as email_rank
    from leads
    where nullif(trim(email), '') is not null
),

identifying_events as (
    select
        web_events.visit_id,
        web_events.visitor_id,
        web_events.occurred_at,
        web_events.email,
        coalesce(web_events.lead_id, lead_emails.lead_id) as named_lead_id,
        case
            when web_events.lead_id is not null then 'form_lead_id'
            when lead_emails.lead_id is not null then 'form_email'
        end as identification_method
    from web_events
    left join lead_emails
        on
            web_events.email = lead_emails.email
            and lead_emails.email_rank = 1
    where
        not web_events.is_excluded
        and (web_events.lead_id is not null or web_events.email is not null)
),

lead_identifications as (
    select
        visitor_id,
        named_lead_id,
        occurred_at,
        identification_method,
        row_number() over (
            partition by visitor_id
            order by occurred_at, visit_id
        ) as identification_rank,
        -- min and max instead of count(distinct), which PostgreSQL does not allow in a window.
        min(named_lead_id) over (partition by visitor_id)
        != max(named_lead_id) over (partition by visitor_id) as names_several_leads
    from identifying_events
    where named_lead_id is not null
),

email_identifications as (
    select
        visitor_id,
        email,
        occurred_at,
        row_number() over (
            partition by visitor_id
            order by occurred_at, visit_id
        ) as identification_rank
    from identifying_events
    where email is not null
),

resolved as (
    select
        human_visitors.visitor_id,
        first_lead.named_lead_id as lead_id,
        case
            when first_lead.named_lead_id is not null then 'lead'
            when first_email.email is not null then 'email'
            else 'anonymous'
        end as identity_type,
        case
            when first_lead.named_lead_id is not null then first_lead.named_lead_id
            when first_email.email is not null then first_email.email
            else human_visitors.visitor_id
        end as identity_natural_id,
        case
            when first_lead.named_lead_id is not null then first_lead.identification_method
            when first_email.email is not null then 'email_only'
        end as identification_method,
        {{ earliest_of(['first_lead.occurred_at', 'first_email.occurred_at']) }} as identified_at,
        coalesce(first_lead.names_several_leads, false) as has_conflicting_leads
    from human_visitors
    left join lead_identifications as first_lead
        on
            human_visitors.visitor_id = first_lead.visitor_id
            and first_lead.identification_rank = 1
    left join email_identifications as first_email
        on
            human_visitors.visitor_id = first_email.visitor_id
            and first_email.identification_rank = 1
),

final as (
    select
        resolved.visitor_id,
        {{ identity_key('resolved.identity_type', 'resolved.identity_natural_id') }} as identity_key,
        resolved.identity_type,
        resolved.lead_id,
        resolved.lead_id is not null and leads.lead_id is not null as is_lead_known,
        resolved.identification_method,
        resolved.identified_at,
        resolved.has_conflicting_leads,
        count(*) over (
            partition by resolved.identity_type, resolved.identity_natural_id
        ) as identity_visitor_count
    from resolved
    left join leads
        on resolved.lead_id = leads.lead_id
)

select * from final
