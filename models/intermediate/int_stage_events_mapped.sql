-- Every stage event from every source, mapped to a canonical stage. The sources are:
-- - lead_created: a lead's created_at enters raw_lead.
-- - stage_events and stage_dates: a status change, mapped through int_status_mappings_merged
--   for the record's source system first, then for 'default'.
-- - opportunity_state: an opportunity's created_at enters opportunity. Its closed_at enters
--   closed_won or closed_lost when its current status maps to one of them.
-- - booking: a booking of a lead without an opportunity enters closed_won at booked_at,
--   unless the lead has a closed_won event from the sources above. Only the lead's
--   earliest such booking counts.
-- An event whose status maps to no stage is kept with a null stage_code.
with

leads as (
    select * from {{ ref('stg_landing__leads') }}
),

status_events as (
    select * from {{ ref('stg_landing__stage_events') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_mapped') }}
),

bookings as (
    select * from {{ ref('stg_landing__bookings') }}
),

status_mappings as (
    select * from {{ ref('int_status_mappings_merged') }}
),

rep_versions as (
    select * from {{ ref('int_rep_assignments_versioned') }}
),

stages as (
    select * from {{ ref('stages') }}
),

lead_created_events as (
    select
        lead_id as event_id,
        'lead_created' as event_source,
        'lead' as record_type,
        lead_id as record_id,
        lead_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        source_system,
        cast(null as {{ dbt.type_string() }}) as source_status,
        'raw_lead' as stage_code,
        created_at as transitioned_at,
        owner_rep_id as rep_id,
        cast(null as {{ dbt.type_string() }}) as record_country_code,
        _source_file,
        _source_line
    from leads
),

status_change_events as (
    select
        status_events.event_id,
        status_events.event_source,
        status_events.record_type,
        status_events.record_id,
        case
            when status_events.record_type = 'lead' then status_events.record_id
            else opportunities.lead_id
        end as lead_id,
        case
            when status_events.record_type = 'opportunity' then status_events.record_id
        end as opportunity_id,
        status_events.source_system,
        status_events.source_status,
        coalesce(system_mappings.stage_code, default_mappings.stage_code) as stage_code,
        status_events.changed_at as transitioned_at,
        coalesce(status_events.owner_rep_id, leads.owner_rep_id, opportunities.rep_id) as rep_id,
        opportunities.country_code as record_country_code,
        status_events._source_file,
        status_events._source_line
    from status_events
    left join leads
        on
            status_events.record_type = 'lead'
            and status_events.record_id = leads.lead_id
    left join opportunities
        on
            status_events.record_type = 'opportunity'
            and status_events.record_id = opportunities.opportunity_id
    left join status_mappings as system_mappings
        on
            status_events.source_system = system_mappings.source_system
            and lower(status_events.source_status) = system_mappings.source_status_lookup
    left join status_mappings as default_mappings
        on
            default_mappings.source_system = 'default'
            and lower(status_events.source_status) = default_mappings.source_status_lookup
),

opportunity_created_events as (
    select
        {{ dbt.concat(['opportunity_id', "':created'"]) }} as event_id,
        'opportunity_state' as event_source,
        'opportunity' as record_type,
        opportunity_id as record_id,
        lead_id,
        opportunity_id,
        source_system,
        cast(null as {{ dbt.type_string() }}) as source_status,
        'opportunity' as stage_code,
        created_at as transitioned_at,
        rep_id,
        country_code as record_country_code,
        _source_file,
        _source_line
    from opportunities
    where created_at is not null
),

opportunity_closed_events as (
    select
        {{ dbt.concat(['opportunity_id', "':closed'"]) }} as event_id,
        'opportunity_state' as event_source,
        'opportunity' as record_type,
        opportunity_id as record_id,
        lead_id,
        opportunity_id,
        source_system,
        source_status,
        current_stage as stage_code,
        closed_at as transitioned_at,
        rep_id,
        country_code as record_country_code,
        _source_file,
        _source_line
    from opportunities
    where
        closed_at is not null
        and current_stage in ('closed_won', 'closed_lost')
),

recorded_events as (
    select * from lead_created_events
    union all
    select * from status_change_events
    union all
    select * from opportunity_created_events
    union all
    select * from opportunity_closed_events
),

leads_already_won as (
    select distinct lead_id
    from recorded_events
    where
        stage_code = 'closed_won'
        and lead_id is not null
),

bookings_without_opportunity as (
    select
        bookings.*,
        row_number() over (
            partition by bookings.lead_id
            order by bookings.booked_at, bookings.booking_id
        ) as lead_booking_number
    from bookings
    left join opportunities
        on bookings.opportunity_id = opportunities.opportunity_id
    left join leads_already_won
        on bookings.lead_id = leads_already_won.lead_id
    where
        bookings.lead_id is not null
        and opportunities.opportunity_id is null
        and leads_already_won.lead_id is null
),

booking_events as (
    select
        booking_id as event_id,
        'booking' as event_source,
        'lead' as record_type,
        lead_id as record_id,
        lead_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        cast(null as {{ dbt.type_string() }}) as source_system,
        cast(null as {{ dbt.type_string() }}) as source_status,
        'closed_won' as stage_code,
        booked_at as transitioned_at,
        rep_id,
        country_code as record_country_code,
        _source_file,
        _source_line
    from bookings_without_opportunity
    where lead_booking_number = 1
),

all_events as (
    select * from recorded_events
    union all
    select * from booking_events
),

staged as (
    select
        all_events.*,
        stages.stage_order,
        stages.funnel_position
    from all_events
    left join stages
        on all_events.stage_code = stages.stage_code
),

with_rep as (
    select
        staged.*,
        coalesce(rep_versions.rep_key, {{ unknown_rep_key() }}) as rep_key,
        coalesce(rep_versions.current_rep_key, {{ unknown_rep_key() }}) as current_rep_key
    from staged
    left join rep_versions
        on
            staged.rep_id = rep_versions.rep_id
            and {{ rep_version_in_force('rep_versions', 'staged.transitioned_at') }}
),

final as (
    select
        {{ surrogate_key(['event_source', 'record_type', 'event_id']) }} as stage_event_key,
        event_id,
        event_source,
        record_type,
        record_id,
        lead_id,
        opportunity_id,
        source_system,
        source_status,
        stage_code,
        stage_order,
        funnel_position,
        stage_order is not null as is_stage_mapped,
        transitioned_at,
        rep_id,
        rep_key,
        current_rep_key,
        record_country_code,
        _source_file,
        _source_line
    from with_rep
)

select * from final
