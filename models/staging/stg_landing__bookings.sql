with

latest_delivery as (
    {{ latest_landing_delivery_with_country('bookings', ['booking_id']) }}
),

renamed as (
    select
        latest_delivery.booking_id,
        nullif(trim(latest_delivery.opportunity_id), '') as opportunity_id,
        nullif(trim(latest_delivery.lead_id), '') as lead_id,
        latest_delivery.account_name,
        latest_delivery.country as source_country,
        coalesce(latest_delivery.recognised_country_code, {{ unknown_country_code() }}) as country_code,
        nullif(trim(latest_delivery.rep_id), '') as rep_id,
        latest_delivery.booked_at,
        latest_delivery.booking_amount,
        upper(trim(latest_delivery.currency_code)) as currency_code,
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
