-- The rep is the opportunity owner's assignment at closed_at, else at created_at, else the
-- owner's latest assignment; current_rep_key is the owner's latest. The geography is the
-- opportunity's country, else its lead's. Close history (first close, re-opens, corrected
-- outcomes) comes from the opportunity's stage events (int_record_outcomes).
with

opportunities as (
    select * from {{ ref('int_opportunities_mapped') }}
),

converted_amounts as (
    select * from {{ ref('int_amounts_converted') }}
),

leads as (
    select * from {{ ref('int_leads_keyed') }}
),

rep_versions as (
    select * from {{ ref('int_rep_assignments_versioned') }}
),

record_outcomes as (
    select * from {{ ref('int_record_outcomes') }}
),

persons as (
    select * from {{ ref('int_persons_matched') }}
),

dated as (
    select
        *,
        coalesce(
            cast(closed_at as date),
            cast(created_at as date),
            -- An undated opportunity falls into the owner's latest assignment, which is
            -- in force until 9999-12-31 in int_rep_assignments_versioned.
            cast('9999-12-30' as date)
        ) as rep_as_of_date
    from opportunities
),

with_rep as (
    select
        dated.*,
        rep_versions.rep_key,
        rep_versions.current_rep_key
    from dated
    left join rep_versions
        on
            dated.rep_id = rep_versions.rep_id
            and {{ rep_version_in_force('rep_versions', 'dated.rep_as_of_date') }}
),

final as (
    select
        with_rep.opportunity_id,
        with_rep.lead_id,
        persons.person_key,
        with_rep.created_at,
        with_rep.closed_at,
        with_rep.source_status,
        with_rep.current_stage,
        with_rep.is_open,
        with_rep.is_won,
        with_rep.is_lost,
        record_outcomes.first_closed_at,
        record_outcomes.final_closed_at,
        coalesce(record_outcomes.close_event_count, 0) as close_event_count,
        coalesce(record_outcomes.is_reopened, false) as is_reopened,
        coalesce(record_outcomes.is_reopened_after_loss, false) as is_reopened_after_loss,
        coalesce(record_outcomes.is_outcome_corrected, false) as is_outcome_corrected,
        with_rep.amount,
        with_rep.currency_code,
        converted_amounts.reporting_amount,
        converted_amounts.reporting_currency_code,
        with_rep.pillar,
        coalesce(with_rep.rep_key, {{ unknown_rep_key() }}) as rep_key,
        coalesce(with_rep.current_rep_key, {{ unknown_rep_key() }}) as current_rep_key,
        coalesce(leads.campaign_key, {{ unknown_campaign_key() }}) as campaign_key,
        coalesce(leads.lead_source_key, {{ unknown_lead_source_key() }}) as lead_source_key,
        case
            when with_rep.country_code != {{ unknown_country_code() }} then with_rep.country_code
            else coalesce(leads.country_code, {{ unknown_country_code() }})
        end as geography_key
    from with_rep
    left join converted_amounts
        on
            converted_amounts.amount_source = 'opportunity'
            and with_rep.opportunity_id = converted_amounts.record_id
    left join leads
        on with_rep.lead_id = leads.lead_id
    left join persons
        on with_rep.lead_id = persons.lead_id
    left join record_outcomes
        on
            record_outcomes.record_type = 'opportunity'
            and with_rep.opportunity_id = record_outcomes.record_id
)

select * from final
