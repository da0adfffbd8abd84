-- Campaigns from raw.campaigns, plus campaign ids that leads name but the campaigns file
-- lacks (is_mapped false, named by their id), plus '(none)' for leads without a campaign.
with

campaigns as (
    select * from {{ ref('stg_landing__campaigns') }}
),

leads as (
    select * from {{ ref('int_leads_keyed') }}
),

channels as (
    select * from {{ ref('channels') }}
),

campaign_ids as (
    select campaign_id from campaigns
    union
    select campaign_id from leads
    union
    select {{ unknown_campaign_id() }} as campaign_id
),

described as (
    select
        campaign_ids.campaign_id,
        campaigns.program,
        campaigns.start_date,
        campaigns.end_date,
        campaigns.budget_amount,
        campaigns.budget_currency_code,
        coalesce(campaigns.campaign_name, campaign_ids.campaign_id) as campaign_name,
        coalesce(campaigns.channel_code, 'unknown') as channel_code,
        campaigns.campaign_id is not null as is_mapped
    from campaign_ids
    left join campaigns
        on campaign_ids.campaign_id = campaigns.campaign_id
),

final as (
    select
        {{ surrogate_key(['described.campaign_id']) }} as campaign_key,
        described.campaign_id,
        described.campaign_name,
        described.channel_code,
        coalesce(channels.channel_group, 'unknown') as channel_group,
        described.program,
        described.start_date,
        described.end_date,
        described.budget_amount,
        described.budget_currency_code,
        described.is_mapped
    from described
    left join channels
        on described.channel_code = lower(trim(channels.channel_code))
)

select * from final
