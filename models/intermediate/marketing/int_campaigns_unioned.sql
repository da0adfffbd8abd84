-- Every campaign id the marketing models meet, matched case-insensitively on trimmed text:
-- campaigns from raw.campaigns, the original campaigns of leads, the campaigns of spend rows
-- and the utm_campaign values of human web events. The id keeps the spelling of the campaigns
-- file, else of the leads file, else of the spend file, else it is the lower-cased UTM value,
-- so 'Spring_Promo ' and 'spring_promo' are one campaign. Ids missing from the campaigns file
-- stay visible with is_mapped false.
with

campaigns as (
    select * from {{ ref('stg_landing__campaigns') }}
),

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

spend as (
    select * from {{ ref('stg_landing__campaign_spend') }}
),

web_events as (
    select * from {{ ref('int_web_visits_classified') }}
),

channels as (
    select * from {{ ref('channels') }}
),

spellings as (
    select
        lower(trim(campaign_id)) as campaign_lookup,
        campaign_id,
        1 as spelling_priority
    from campaigns

    union all

    select
        lower(trim(campaign_id)) as campaign_lookup,
        campaign_id,
        2 as spelling_priority
    from leads
    where campaign_id is not null

    union all

    select
        lower(trim(campaign_id)) as campaign_lookup,
        campaign_id,
        3 as spelling_priority
    from spend

    union all

    select
        utm_campaign_lookup as campaign_lookup,
        utm_campaign_lookup as campaign_id,
        4 as spelling_priority
    from web_events
    where
        utm_campaign_lookup is not null
        and not is_excluded
),

ranked as (
    select
        campaign_lookup,
        campaign_id,
        spelling_priority,
        row_number() over (
            partition by campaign_lookup
            order by spelling_priority, campaign_id
        ) as spelling_rank,
        max(case when spelling_priority = 2 then 1 else 0 end) over (partition by campaign_lookup) as on_leads,
        max(case when spelling_priority = 3 then 1 else 0 end) over (partition by campaign_lookup) as on_spend,
        max(case when spelling_priority = 4 then 1 else 0 end) over (partition by campaign_lookup) as on_web
    from spellings
),

resolved as (
    select * from ranked
    where spelling_rank = 1
),

final as (
    select
        resolved.campaign_lookup,
        resolved.campaign_id,
        {{ surrogate_key(['resolved.campaign_id']) }} as campaign_key,
        coalesce(campaigns.campaign_name, resolved.campaign_id) as campaign_name,
        campaigns.channel_code,
        channels.channel_group,
        campaigns.campaign_id is not null as is_mapped,
        resolved.on_leads = 1 as is_on_leads,
        resolved.on_spend = 1 as is_on_spend,
        resolved.on_web = 1 as is_on_web
    from resolved
    left join campaigns
        on resolved.campaign_id = campaigns.campaign_id
    left join channels
        on campaigns.channel_code = lower(trim(channels.channel_code))
)

select * from final
