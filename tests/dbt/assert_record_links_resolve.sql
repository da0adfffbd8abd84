-- Lists links between records that point nowhere: an opportunity whose lead_id raw.leads
-- lacks, a booking whose opportunity_id raw.opportunities lacks, and stage events of a lead
-- or opportunity that neither file has. Their rows stay in the facts, but the lead's funnel
-- or the opportunity's state cannot include them. A returned row is one such link.
{{ config(severity='warn') }}

with

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

opportunities as (
    select * from {{ ref('stg_landing__opportunities') }}
),

bookings as (
    select * from {{ ref('stg_landing__bookings') }}
),

stage_events as (
    select * from {{ ref('stg_landing__stage_events') }}
),

opportunity_leads as (
    select
        'stg_landing__opportunities' as model_name,
        opportunities.opportunity_id as record_id,
        'lead_id' as link_column,
        opportunities.lead_id as missing_id
    from opportunities
    left join leads
        on opportunities.lead_id = leads.lead_id
    where opportunities.lead_id is not null and leads.lead_id is null
),

booking_opportunities as (
    select
        'stg_landing__bookings' as model_name,
        bookings.booking_id as record_id,
        'opportunity_id' as link_column,
        bookings.opportunity_id as missing_id
    from bookings
    left join opportunities
        on bookings.opportunity_id = opportunities.opportunity_id
    where bookings.opportunity_id is not null and opportunities.opportunity_id is null
),

event_records as (
    select distinct
        'stg_landing__stage_events' as model_name,
        stage_events.event_id as record_id,
        'record_id' as link_column,
        stage_events.record_id as missing_id
    from stage_events
    left join leads
        on
            stage_events.record_type = 'lead'
            and stage_events.record_id = leads.lead_id
    left join opportunities
        on
            stage_events.record_type = 'opportunity'
            and stage_events.record_id = opportunities.opportunity_id
    where leads.lead_id is null and opportunities.opportunity_id is null
),

unresolved as (
    select * from opportunity_leads
    union all
    select * from booking_opportunities
    union all
    select * from event_records
)

select * from unresolved
