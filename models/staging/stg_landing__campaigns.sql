with

source as (
    select * from {{ source('landing', 'campaigns') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['campaign_id']) }} as delivery_rank
    from source
),

renamed as (
    select
        campaign_id,
        campaign_name,
        program,
        start_date,
        end_date,
        budget_amount,
        _source_file,
        _source_line,
        _loaded_at,
        nullif(lower(trim(channel)), '') as channel_code,
        upper(trim(budget_currency_code)) as budget_currency_code
    from ranked
    where delivery_rank = 1
),

final as (
    select * from renamed
)

select * from final
