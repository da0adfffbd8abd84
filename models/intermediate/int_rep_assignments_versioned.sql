-- Type-2 history of rep assignments. lookup_from_date and lookup_until_date tile each rep's
-- whole timeline without gaps or overlaps, so a point-in-time join finds exactly one
-- version: a date inside a gap gets the version before it, and a date before the first
-- version gets the first version. Every version also carries the key and assignment of the
-- rep's latest version, so a fact can show the rep's team and territory then and now.
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

latest_versions as (
    select
        rep_id,
        {{ surrogate_key(['rep_id', 'valid_from']) }} as current_rep_key,
        team as current_team,
        territory as current_territory,
        manager_name as current_manager_name
    from sequenced
    where next_valid_from is null
),

final as (
    select
        {{ surrogate_key(['sequenced.rep_id', 'sequenced.valid_from']) }} as rep_key,
        sequenced.rep_id,
        sequenced.rep_name,
        sequenced.team,
        sequenced.manager_name,
        sequenced.territory,
        sequenced.valid_from,
        coalesce(
            sequenced.valid_to,
            cast({{ dbt.dateadd('day', -1, 'sequenced.next_valid_from') }} as date)
        ) as valid_to,
        sequenced.version_number,
        sequenced.next_valid_from is null as is_latest_version,
        sequenced.next_valid_from is null and sequenced.valid_to is null as is_current,
        case
            when sequenced.version_number = 1 then cast('0001-01-01' as date)
            else sequenced.valid_from
        end as lookup_from_date,
        coalesce(sequenced.next_valid_from, cast('9999-12-31' as date)) as lookup_until_date,
        latest_versions.current_rep_key,
        latest_versions.current_team,
        latest_versions.current_territory,
        latest_versions.current_manager_name
    from sequenced
    inner join latest_versions
        on sequenced.rep_id = latest_versions.rep_id
)

select * from final
