with

latest_delivery as (
    {{ latest_landing_delivery_with_country('opportunities', ['opportunity_id']) }}
),

renamed as (
    select
        latest_delivery.opportunity_id,
        nullif(trim(latest_delivery.lead_id), '') as lead_id,
        latest_delivery.account_name,
        latest_delivery.country as source_country,
        coalesce(latest_delivery.recognised_country_code, {{ unknown_country_code() }}) as country_code,
        nullif(trim(latest_delivery.rep_id), '') as rep_id,
        latest_delivery.created_at,
        latest_delivery.closed_at,
        trim(latest_delivery.source_status) as source_status,
        coalesce(nullif(lower(trim(latest_delivery.source_system)), ''), 'default') as source_system,
        latest_delivery.amount,
        coalesce(upper(trim(latest_delivery.currency_code)), 'USD') as currency_code,
        coalesce(nullif(lower(trim(latest_delivery.pillar)), ''), 'new_business') as pillar,
        latest_delivery._source_file,
        latest_delivery._source_line,
        latest_delivery._loaded_at
    from latest_delivery
),

final as (
    select * from renamed
)

select * from final
