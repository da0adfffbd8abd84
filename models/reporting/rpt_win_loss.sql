-- Won and lost opportunities per month of their final close, by the final-outcome rules of
-- int_record_outcomes: an opportunity counts once, with its current outcome, in the month of
-- closed_at (else of its final close event). A loss that was re-opened and won counts as a
-- win, and a win corrected to a loss as a loss. A re-opened deal that is open again does not
-- count. reopened_after_loss_count and outcome_corrected_count show how many of the month's
-- outcomes went through a re-open or a correction. The rep is the owner's assignment at the close, so a rep who
-- moved territory keeps past deals in the old one. Sales cycle days run from created_at to
-- the close (elapsed time, seconds / 86,400).
with

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

{{ report_dimension_imports() }},

closed as (
    select
        *,
        coalesce(closed_at, final_closed_at) as outcome_at,
        case
            when created_at <= coalesce(closed_at, final_closed_at)
                then {{ elapsed_days('created_at', 'coalesce(closed_at, final_closed_at)') }}
        end as sales_cycle_days
    from opportunities
    where (is_won or is_lost) and coalesce(closed_at, final_closed_at) is not null
),

aggregated as (
    select
        {{ month_start('outcome_at') }} as close_month,
        pillar,
        {{ report_dimension_keys() }},
        max(reporting_currency_code) as reporting_currency_code,
        {{ count_where('is_won') }} as won_count,
        {{ count_where('is_lost') }} as lost_count,
        count(*) as closed_count,
        sum(case when is_won then reporting_amount else 0 end) as won_reporting_amount,
        sum(case when is_lost then reporting_amount else 0 end) as lost_reporting_amount,
        {{ count_where('is_reopened_after_loss') }} as reopened_after_loss_count,
        {{ count_where('is_outcome_corrected') }} as outcome_corrected_count,
        {{ sum_counts('close_event_count') }} as close_event_count,
        avg(case when is_won then sales_cycle_days end) as won_cycle_mean_days,
        {{ percentile_cont('case when is_won then sales_cycle_days end', 0.5) }} as won_cycle_median_days,
        {{ percentile_cont('case when is_won then sales_cycle_days end', 0.75) }} as won_cycle_p75_days
    from closed
    group by
        {{ month_start('outcome_at') }},
        pillar,
        {{ report_dimension_keys() }}
),

final as (
    select
        {{ surrogate_key([
            'aggregated.close_month', 'aggregated.pillar',
        ] + report_dimension_key_list('aggregated')) }} as win_loss_key,
        aggregated.close_month,
        aggregated.pillar,
        aggregated.won_count,
        aggregated.lost_count,
        aggregated.closed_count,
        cast(aggregated.won_count as {{ dbt.type_numeric() }}) / aggregated.closed_count as win_rate,
        aggregated.won_reporting_amount,
        aggregated.lost_reporting_amount,
        aggregated.reporting_currency_code,
        aggregated.reopened_after_loss_count,
        aggregated.outcome_corrected_count,
        aggregated.close_event_count,
        cast(aggregated.won_cycle_mean_days as {{ dbt.type_numeric() }}) as won_cycle_mean_days,
        cast(aggregated.won_cycle_median_days as {{ dbt.type_numeric() }}) as won_cycle_median_days,
        cast(aggregated.won_cycle_p75_days as {{ dbt.type_numeric() }}) as won_cycle_p75_days,
        {{ report_dimension_columns('aggregated') }}
    from aggregated
    {{ report_dimension_joins('aggregated') }}
)

select * from final
