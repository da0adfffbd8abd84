-- Type-2 history of rep assignments. lookup_from_date and lookup_until_date tile each rep's
-- whole timeline without gaps or overlaps, so a point-in-time join finds exactly one
-- version: a date inside a gap gets the version before it, and a date before the first
-- version gets the first version.
with

reps as (
    select * from {{ ref('stg_landing__reps') }}
),

sequenced as (
    select
        *,
        lead(valid_from) over (partition by rep_id order by valid_from) as next_valid_from,
        row_number() over (partition by rep_id order by valid_from) as version_number
    from reps
),

final as (
    select
        {{ surrogate_key(['rep_id', 'valid_from']) }} as rep_key,
        rep_id,
        rep_name,
        team,
        manager_name,
        territory,
        valid_from,
        coalesce(
            valid_to,
            cast({{ dbt.dateadd('day', -1, 'next_valid_from') }} as date)
        ) as valid_to,
        version_number,
        next_valid_from is null as is_latest_version,
        next_valid_from is null and valid_to is null as is_current,
        case
            when version_number = 1 then cast('0001-01-01' as date)
            else valid_from
        end as lookup_from_date,
        coalesce(next_valid_from, cast('9999-12-31' as date)) as lookup_until_date
    from sequenced
)

select * from final
