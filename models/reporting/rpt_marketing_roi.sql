-- Marketing return on spend per month, campaign, channel, geography and attribution model.
-- Every figure counts in the month it happened:
--   * spend: campaign spend of the month in the reporting currency, split over geographies
--     in proportion to the campaign's leads created that month (all to 'ZZ' when it has none);
--   * sessions: human web sessions with the campaign that started in the month;
--   * lead ... won counts: leads that reached the stage in the month (inferred stages count,
--     as in fct_lead_funnel), credited to the lead's original campaign, the same under every
--     model;
--   * handoff: the step where the stage owner changes from marketing to sales
--     (int_stage_owners_configured): marketing's count of leads handed over and sales' count
--     of leads accepted in the month, plus how many of the month's handed-over leads sales
--     ever accepted;
--   * attributed_*: opportunities (created), won deals (won) and their amounts, credited to
--     touchpoints by the row's attribution model (bdg_attribution).
-- Channel: the campaign's channel for campaigns in the campaigns file, else the lead source,
-- session or touchpoint channel. Filter one attribution_model before summing rows: the
-- model-independent figures repeat on each model's row.
{%- set funnel_stages = ['raw_lead', 'inquiry', 'contact', 'opportunity', 'closed_won'] %}

with

spend as (
    select * from {{ ref('int_campaign_spend_converted') }}
),

lead_funnel as (
    select * from {{ ref('fct_lead_funnel') }}
),

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

sessions as (
    select * from {{ ref('fct_web_sessions') }}
),

attribution as (
    select * from {{ ref('bdg_attribution') }}
),

conversions as (
    select * from {{ ref('int_attribution_conversions') }}
),

campaigns as (
    select * from {{ ref('int_campaigns_unioned') }}
),

channels as (
    select * from {{ ref('channels') }}
),

stage_owners as (
    select * from {{ ref('int_stage_owners_configured') }}
),

geographies as (
    select * from {{ ref('dim_geography') }}
),

attribution_models as (
    {%- for model_name in attribution_models() %}
        select '{{ model_name }}' as attribution_model
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

campaign_labels as (
    select
        campaign_id,
        campaign_key,
        campaign_name,
        is_mapped
    from campaigns

    union all

    select
        {{ unknown_campaign_id() }} as campaign_id,
        {{ unknown_campaign_key() }} as campaign_key,
        {{ unknown_campaign_id() }} as campaign_name,
        false as is_mapped

    union all

    select
        '(no touchpoint)' as campaign_id,
        {{ surrogate_key(["'(no touchpoint)'"]) }} as campaign_key,
        '(no touchpoint)' as campaign_name,
        false as is_mapped
),

handoff_stages as (
    select
        max(case when is_marketing_handoff_stage then stage_code end) as handoff_from_stage,
        max(case when is_sales_intake_stage then stage_code end) as handoff_to_stage
    from stage_owners
),

-- Each lead's campaign and channel.
lead_slices as (
    select
        leads.lead_id,
        coalesce(campaigns.campaign_id, {{ unknown_campaign_id() }}) as campaign_id,
        coalesce(campaigns.channel_code, source_channels.channel_code, 'unknown') as channel_code,
        lead_funnel.geography_key
    from leads
    inner join lead_funnel
        on leads.lead_id = lead_funnel.lead_id
    left join campaigns
        on lower(trim(leads.campaign_id)) = campaigns.campaign_lookup
    left join channels as source_channels
        on leads.lead_source = lower(trim(source_channels.channel_code))
),

stages_reached as (
    {%- for stage_code in funnel_stages %}
        select
            lead_id,
            '{{ stage_code }}' as stage_code,
            {{ stage_code }}_at as reached_at
        from lead_funnel
        where {{ stage_code }}_at is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

handoff_leads as (
    select
        handed_over.lead_id,
        handed_over.reached_at,
        accepted.lead_id is not null as is_accepted
    from stages_reached as handed_over
    inner join handoff_stages
        on handed_over.stage_code = handoff_stages.handoff_from_stage
    left join stages_reached as accepted
        on
            handed_over.lead_id = accepted.lead_id
            and handoff_stages.handoff_to_stage = accepted.stage_code
),

stage_rows as (
    select
        stages_reached.stage_code,
        lead_slices.campaign_id,
        lead_slices.channel_code,
        lead_slices.geography_key,
        stages_reached.stage_code = handoff_stages.handoff_from_stage as is_handoff_from_stage,
        stages_reached.stage_code = handoff_stages.handoff_to_stage as is_handoff_to_stage,
        coalesce(handoff_leads.is_accepted, false) as is_accepted_handoff,
        cast({{ dbt.date_trunc('month', 'stages_reached.reached_at') }} as date) as activity_month
    from stages_reached
    inner join lead_slices
        on stages_reached.lead_id = lead_slices.lead_id
    cross join handoff_stages
    left join handoff_leads
        on
            stages_reached.lead_id = handoff_leads.lead_id
            and stages_reached.stage_code = handoff_stages.handoff_from_stage
),

stage_counts as (
    select
        activity_month,
        campaign_id,
        channel_code,
        geography_key,
        {%- for stage_code in funnel_stages %}
            sum(case when stage_code = '{{ stage_code }}' then 1 else 0 end) as {{ stage_code }}_count,
        {%- endfor %}
        sum(case when is_handoff_from_stage then 1 else 0 end) as marketing_handoff_count,
        sum(case when is_handoff_to_stage then 1 else 0 end) as sales_accepted_count,
        sum(case when is_handoff_from_stage and is_accepted_handoff then 1 else 0 end) as handoff_accepted_count
    from stage_rows
    group by activity_month, campaign_id, channel_code, geography_key
),

-- Spend per campaign and month; null when any day lacks an FX rate, so the gap is not summed away.
campaign_month_spend as (
    select
        coalesce(campaigns.campaign_id, spend.campaign_id) as campaign_id,
        coalesce(campaigns.channel_code, 'unknown') as channel_code,
        cast({{ dbt.date_trunc('month', 'spend.spend_date') }} as date) as activity_month,
        case
            when count(spend.reporting_amount) = count(*) then sum(spend.reporting_amount)
        end as spend_amount
    from spend
    left join campaigns
        on lower(trim(spend.campaign_id)) = campaigns.campaign_lookup
    group by
        coalesce(campaigns.campaign_id, spend.campaign_id),
        coalesce(campaigns.channel_code, 'unknown'),
        cast({{ dbt.date_trunc('month', 'spend.spend_date') }} as date)
),

lead_shares as (
    select
        activity_month,
        campaign_id,
        geography_key,
        sum(raw_lead_count) as geography_lead_count
    from stage_counts
    group by activity_month, campaign_id, geography_key
    having sum(raw_lead_count) > 0
),

spend_split as (
    select
        campaign_month_spend.activity_month,
        campaign_month_spend.campaign_id,
        campaign_month_spend.channel_code,
        campaign_month_spend.spend_amount,
        coalesce(lead_shares.geography_key, {{ unknown_country_code() }}) as geography_key,
        coalesce(lead_shares.geography_lead_count, 1) as geography_lead_count,
        coalesce(
            sum(lead_shares.geography_lead_count) over (
                partition by campaign_month_spend.activity_month, campaign_month_spend.campaign_id
            ),
            1
        ) as campaign_lead_count
    from campaign_month_spend
    left join lead_shares
        on
            campaign_month_spend.activity_month = lead_shares.activity_month
            and campaign_month_spend.campaign_id = lead_shares.campaign_id
),

spend_rounded as (
    select
        *,
        cast(
            round(spend_amount * geography_lead_count / campaign_lead_count, 6) as numeric(28, 6)
        ) as rounded_spend_amount,
        row_number() over (
            partition by activity_month, campaign_id
            order by geography_lead_count desc, geography_key asc
        ) as remainder_rank
    from spend_split
),

-- The geography with the most leads takes the rounding remainder, so the split sums to the spend.
spend_allocated as (
    select
        activity_month,
        campaign_id,
        channel_code,
        geography_key,
        rounded_spend_amount
        + case
            when remainder_rank = 1
                then spend_amount - sum(rounded_spend_amount) over (partition by activity_month, campaign_id)
            else 0
        end as spend_amount
    from spend_rounded
),

session_counts as (
    select
        cast({{ dbt.date_trunc('month', 'sessions.session_start_at') }} as date) as activity_month,
        sessions.campaign_id,
        coalesce(campaigns.channel_code, sessions.channel_code) as channel_code,
        coalesce(leads.country_code, {{ unknown_country_code() }}) as geography_key,
        count(*) as session_count
    from sessions
    left join campaigns
        on sessions.utm_campaign = campaigns.campaign_lookup
    left join leads
        on sessions.lead_id = leads.lead_id
    where sessions.has_campaign
    group by
        cast({{ dbt.date_trunc('month', 'sessions.session_start_at') }} as date),
        sessions.campaign_id,
        coalesce(campaigns.channel_code, sessions.channel_code),
        coalesce(leads.country_code, {{ unknown_country_code() }})
),

credit_rows as (
    select
        attribution.attribution_model,
        attribution.campaign_id,
        attribution.channel_code,
        attribution.geography_key,
        cast({{ dbt.date_trunc('month', 'attribution.converted_at') }} as date) as activity_month,
        attribution.attribution_weight as opportunity_weight,
        attribution.attributed_amount as pipeline_amount,
        cast(0 as numeric(10, 9)) as won_deal_weight,
        cast(0 as numeric(28, 6)) as booking_amount
    from attribution
    where
        attribution.conversion_type = 'opportunity'
        and attribution.converted_at is not null

    union all

    -- A won opportunity is a won deal in the month it closed.
    select
        attribution.attribution_model,
        attribution.campaign_id,
        attribution.channel_code,
        attribution.geography_key,
        cast({{ dbt.date_trunc('month', 'conversions.won_at') }} as date) as activity_month,
        cast(0 as numeric(10, 9)) as opportunity_weight,
        cast(0 as numeric(28, 6)) as pipeline_amount,
        attribution.attribution_weight as won_deal_weight,
        cast(0 as numeric(28, 6)) as booking_amount
    from attribution
    inner join conversions
        on attribution.conversion_key = conversions.conversion_key
    where
        attribution.conversion_type = 'opportunity'
        and conversions.won_at is not null

    union all

    -- Every booking adds its amount; a booking without an opportunity is also a won deal.
    select
        attribution_model,
        campaign_id,
        channel_code,
        geography_key,
        cast({{ dbt.date_trunc('month', 'converted_at') }} as date) as activity_month,
        cast(0 as numeric(10, 9)) as opportunity_weight,
        cast(0 as numeric(28, 6)) as pipeline_amount,
        case when opportunity_id is null then attribution_weight else 0 end as won_deal_weight,
        attributed_amount as booking_amount
    from attribution
    where conversion_type = 'booking'
),

credit_totals as (
    select
        attribution_model,
        activity_month,
        campaign_id,
        channel_code,
        geography_key,
        sum(opportunity_weight) as attributed_opportunity_count,
        sum(won_deal_weight) as attributed_won_deal_count,
        coalesce(sum(pipeline_amount), 0) as attributed_pipeline_amount,
        coalesce(sum(booking_amount), 0) as attributed_booking_amount
    from credit_rows
    group by attribution_model, activity_month, campaign_id, channel_code, geography_key
),

{%- set slice_sources = ['spend_allocated', 'stage_counts', 'session_counts', 'credit_totals'] %}

slices as (
    {%- for slice_source in slice_sources %}
        select
            activity_month,
            campaign_id,
            channel_code,
            geography_key
        from {{ slice_source }}
        {%- if not loop.last %}
            union
        {%- endif %}
    {%- endfor %}
),

spend_totals as (
    select
        activity_month,
        campaign_id,
        channel_code,
        geography_key,
        case when count(spend_amount) = count(*) then sum(spend_amount) end as spend_amount
    from spend_allocated
    group by activity_month, campaign_id, channel_code, geography_key
),

combined as (
    select
        slices.activity_month,
        attribution_models.attribution_model,
        slices.campaign_id,
        slices.channel_code,
        slices.geography_key,
        case
            when spend_totals.campaign_id is null then 0
            else spend_totals.spend_amount
        end as spend_amount,
        cast(coalesce(session_counts.session_count, 0) as {{ dbt.type_bigint() }}) as session_count,
        {%- for stage_code in funnel_stages %}
            cast(coalesce(stage_counts.{{ stage_code }}_count, 0) as {{ dbt.type_bigint() }}) as {{ stage_code }}_count,
        {%- endfor %}
        cast(coalesce(stage_counts.marketing_handoff_count, 0) as {{ dbt.type_bigint() }}) as marketing_handoff_count,
        cast(coalesce(stage_counts.sales_accepted_count, 0) as {{ dbt.type_bigint() }}) as sales_accepted_count,
        cast(coalesce(stage_counts.handoff_accepted_count, 0) as {{ dbt.type_bigint() }}) as handoff_accepted_count,
        coalesce(credit_totals.attributed_opportunity_count, 0) as attributed_opportunity_count,
        coalesce(credit_totals.attributed_won_deal_count, 0) as attributed_won_deal_count,
        coalesce(credit_totals.attributed_pipeline_amount, 0) as attributed_pipeline_amount,
        coalesce(credit_totals.attributed_booking_amount, 0) as attributed_booking_amount
    from slices
    cross join attribution_models
    left join spend_totals
        on
            slices.activity_month = spend_totals.activity_month
            and slices.campaign_id = spend_totals.campaign_id
            and slices.channel_code = spend_totals.channel_code
            and slices.geography_key = spend_totals.geography_key
    left join session_counts
        on
            slices.activity_month = session_counts.activity_month
            and slices.campaign_id = session_counts.campaign_id
            and slices.channel_code = session_counts.channel_code
            and slices.geography_key = session_counts.geography_key
    left join stage_counts
        on
            slices.activity_month = stage_counts.activity_month
            and slices.campaign_id = stage_counts.campaign_id
            and slices.channel_code = stage_counts.channel_code
            and slices.geography_key = stage_counts.geography_key
    left join credit_totals
        on
            slices.activity_month = credit_totals.activity_month
            and attribution_models.attribution_model = credit_totals.attribution_model
            and slices.campaign_id = credit_totals.campaign_id
            and slices.channel_code = credit_totals.channel_code
            and slices.geography_key = credit_totals.geography_key
),

{%- set cost_ratios = [
    ('cost_per_session', 'session_count'),
    ('cost_per_lead', 'raw_lead_count'),
    ('cost_per_inquiry', 'inquiry_count'),
    ('cost_per_contact', 'contact_count'),
    ('cost_per_opportunity', 'opportunity_count'),
    ('cost_per_won_deal', 'closed_won_count'),
    ('cost_per_marketing_handoff', 'marketing_handoff_count'),
    ('cost_per_sales_accepted', 'sales_accepted_count'),
    ('cost_per_attributed_opportunity', 'attributed_opportunity_count'),
    ('cost_per_attributed_won_deal', 'attributed_won_deal_count'),
] %}

final as (
    select
        {{ surrogate_key([
            'combined.activity_month', 'combined.attribution_model', 'combined.campaign_id',
            'combined.channel_code', 'combined.geography_key',
        ]) }} as marketing_roi_key,
        combined.activity_month,
        combined.attribution_model,
        combined.campaign_id,
        campaign_labels.campaign_key,
        campaign_labels.campaign_name,
        coalesce(campaign_labels.is_mapped, false) as is_campaign_mapped,
        combined.channel_code,
        coalesce(channels.channel_group, 'unknown') as channel_group,
        combined.geography_key,
        geographies.country_name,
        geographies.theater,
        {{ reporting_currency_literal() }} as reporting_currency_code,
        cast(combined.spend_amount as numeric(28, 6)) as spend_amount,
        combined.session_count,
        combined.raw_lead_count as lead_count,
        combined.inquiry_count,
        combined.contact_count,
        combined.opportunity_count,
        combined.closed_won_count as won_deal_count,
        handoff_stages.handoff_from_stage as marketing_handoff_stage,
        handoff_stages.handoff_to_stage as sales_intake_stage,
        combined.marketing_handoff_count,
        combined.sales_accepted_count,
        combined.handoff_accepted_count,
        cast(combined.attributed_opportunity_count as numeric(28, 9)) as attributed_opportunity_count,
        cast(combined.attributed_won_deal_count as numeric(28, 9)) as attributed_won_deal_count,
        cast(combined.attributed_pipeline_amount as numeric(28, 6)) as attributed_pipeline_amount,
        cast(combined.attributed_booking_amount as numeric(28, 6)) as attributed_booking_amount,
        {%- for ratio_name, count_column in cost_ratios %}
            case
                when combined.spend_amount > 0 and combined.{{ count_column }} > 0
                    then cast(combined.spend_amount / combined.{{ count_column }} as numeric(28, 6))
            end as {{ ratio_name }},
        {%- endfor %}
        case
            when combined.spend_amount > 0
                then cast(combined.attributed_pipeline_amount / combined.spend_amount as numeric(28, 6))
        end as pipeline_per_spend,
        case
            when combined.spend_amount > 0
                then cast(combined.attributed_booking_amount / combined.spend_amount as numeric(28, 6))
        end as bookings_per_spend
    from combined
    cross join handoff_stages
    left join campaign_labels
        on combined.campaign_id = campaign_labels.campaign_id
    left join channels
        on combined.channel_code = lower(trim(channels.channel_code))
    left join geographies
        on combined.geography_key = geographies.geography_key
)

select * from final
