with

latest_delivery as (
    {{ latest_landing_delivery_with_country('leads', ['lead_id']) }}
),

renamed as (
    select
        latest_delivery.lead_id,
        latest_delivery.email,
        latest_delivery.first_name,
        latest_delivery.last_name,
        latest_delivery.company,
        latest_delivery.title,
        latest_delivery.country as source_country,
        coalesce(latest_delivery.recognised_country_code, {{ unknown_country_code() }}) as country_code,
        coalesce(
            nullif(lower(trim(latest_delivery.lead_source)), ''), {{ unknown_lead_source() }}
        ) as lead_source,
        nullif(trim(latest_delivery.campaign_id), '') as campaign_id,
        latest_delivery.created_at,
        nullif(trim(latest_delivery.owner_rep_id), '') as owner_rep_id,
        latest_delivery.industry,
        latest_delivery.employee_count,
        coalesce(nullif(lower(trim(latest_delivery.source_system)), ''), 'default') as source_system,
        latest_delivery._source_file,
        latest_delivery._source_line,
        latest_delivery._loaded_at
    from latest_delivery
),

final as (
    select * from renamed
)

select * from final
