with

source as (
    select * from {{ source('landing', 'campaign_spend') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['campaign_id', 'spend_date', 'upper(trim(currency_code))']) }} as delivery_rank
    from source
),

renamed as (
    select
        campaign_id,
        spend_date,
        spend_amount,
        _source_file,
        _source_line,
        _loaded_at,
        upper(trim(currency_code)) as currency_code
    from ranked
    where delivery_rank = 1
),

final as (
    select * from renamed
)

select * from final
