-- Leads with the keys of their campaign, lead source, geography and owner rep. The owner
-- is the rep who owns the lead now, so the rep's latest assignment is used.
with

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

rep_versions as (
    select * from {{ ref('int_rep_assignments_versioned') }}
),

defaulted as (
    select
        lead_id,
        created_at,
        country_code,
        lead_source,
        coalesce(campaign_id, {{ unknown_campaign_id() }}) as campaign_id,
        owner_rep_id,
        source_system
    from leads
),

keyed as (
    select
        defaulted.lead_id,
        defaulted.created_at,
        defaulted.country_code,
        defaulted.lead_source,
        {{ surrogate_key(['defaulted.lead_source']) }} as lead_source_key,
        defaulted.campaign_id,
        {{ surrogate_key(['defaulted.campaign_id']) }} as campaign_key,
        defaulted.owner_rep_id,
        coalesce(rep_versions.rep_key, {{ unknown_rep_key() }}) as rep_key,
        defaulted.source_system
    from defaulted
    left join rep_versions
        on
            defaulted.owner_rep_id = rep_versions.rep_id
            and rep_versions.is_latest_version
),

final as (
    select * from keyed
)

select * from final
