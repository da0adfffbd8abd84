-- Type-2 rep assignments: one row per rep and valid_from. Each row also shows the rep's
-- latest assignment (current_team, current_territory), so one group-by compares then and
-- now. team is the rep's role (inside, field, sdr, partner, renewals or web).
with

rep_versions as (
    select * from {{ ref('int_rep_assignments_versioned') }}
),

known_reps as (
    select
        rep_key,
        rep_id,
        rep_name,
        team,
        manager_name,
        territory,
        valid_from,
        valid_to,
        is_current,
        version_number,
        is_latest_version,
        current_rep_key,
        current_team,
        current_territory,
        current_manager_name
    from rep_versions
),

unassigned_rep as (
    select
        {{ unknown_rep_key() }} as rep_key,
        {{ unknown_rep_id() }} as rep_id,
        '(unassigned)' as rep_name,
        'unknown' as team,
        cast(null as {{ dbt.type_string() }}) as manager_name,
        'Unknown' as territory,
        {{ unknown_rep_valid_from() }} as valid_from,
        cast(null as date) as valid_to,
        true as is_current,
        1 as version_number,
        true as is_latest_version,
        {{ unknown_rep_key() }} as current_rep_key,
        'unknown' as current_team,
        'Unknown' as current_territory,
        cast(null as {{ dbt.type_string() }}) as current_manager_name
),

final as (
    select * from known_reps
    union all
    select * from unassigned_rep
)

select * from final
