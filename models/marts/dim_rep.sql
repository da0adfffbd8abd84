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
        is_current
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
        true as is_current
),

final as (
    select * from known_reps
    union all
    select * from unassigned_rep
)

select * from final
