-- Month-over-month and year-over-year change of every conversion rate, per dimension, for
-- trend charts. One row per month, rate (cohort conversion ever and within 30, 60 and 90
-- days, and period conversion), stage pair and dimension value. dimension_name 'total' is
-- the whole funnel; the others slice by one dimension at a time. Counts are summed over the
-- slices of rpt_cohort_conversion and rpt_period_conversion before dividing. is_mature is
-- false while the rate can still change: a cohort rate until its window has passed for the
-- whole month (90 days for 'ever'), a period rate until the month is over. The prior month
-- and prior year values are those of the same rate, pair and dimension value, and are null
-- when that month has no row.
{%- set dimensions = [
    ('total', "'(all)'", "'(all)'"),
    ('theater', 'theater', 'theater'),
    ('region', 'region', 'region'),
    ('country', 'country_code', 'country_name'),
    ('lead_source', 'lead_source', 'lead_source'),
    ('channel_group', 'channel_group', 'channel_group'),
    ('campaign', 'campaign_id', 'campaign_name'),
    ('rep', 'rep_id', 'rep_name'),
    ('team', 'team', 'team'),
    ('territory', 'territory', 'territory'),
] %}
{%- set cohort_rates = [
    ('ever', 'converted_count', 'is_mature_90d'),
    ('30d', 'converted_30d_count', 'is_mature_30d'),
    ('60d', 'converted_60d_count', 'is_mature_60d'),
    ('90d', 'converted_90d_count', 'is_mature_90d'),
] %}

with

cohort_conversion as (
    select * from {{ ref('rpt_cohort_conversion') }}
),

period_conversion as (
    select * from {{ ref('rpt_period_conversion') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

cohort_by_dimension as (
    {%- for dimension_name, value_column, label_column in dimensions %}
        select
            cohort_month as month_start_date,
            from_stage,
            to_stage,
            '{{ dimension_name }}' as dimension_name,
            coalesce(cast({{ value_column }} as {{ dbt.type_string() }}), '(unknown)') as dimension_value,
            max(coalesce(cast({{ label_column }} as {{ dbt.type_string() }}), '(unknown)')) as dimension_label,
            {{ sum_counts('entered_count') }} as entered_count,
            {{ sum_counts('converted_count') }} as converted_count,
            {{ sum_counts('converted_30d_count') }} as converted_30d_count,
            {{ sum_counts('converted_60d_count') }} as converted_60d_count,
            {{ sum_counts('converted_90d_count') }} as converted_90d_count,
            max(case when is_mature_30d then 1 else 0 end) = 1 as is_mature_30d,
            max(case when is_mature_60d then 1 else 0 end) = 1 as is_mature_60d,
            max(case when is_mature_90d then 1 else 0 end) = 1 as is_mature_90d
        from cohort_conversion
        group by
            cohort_month,
            from_stage,
            to_stage,
            coalesce(cast({{ value_column }} as {{ dbt.type_string() }}), '(unknown)')
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

period_by_dimension as (
    {%- for dimension_name, value_column, label_column in dimensions %}
        select
            period_month as month_start_date,
            from_stage,
            to_stage,
            '{{ dimension_name }}' as dimension_name,
            coalesce(cast({{ value_column }} as {{ dbt.type_string() }}), '(unknown)') as dimension_value,
            max(coalesce(cast({{ label_column }} as {{ dbt.type_string() }}), '(unknown)')) as dimension_label,
            {{ sum_counts('from_stage_count') }} as from_stage_count,
            {{ sum_counts('to_stage_count') }} as to_stage_count
        from period_conversion
        group by
            period_month,
            from_stage,
            to_stage,
            coalesce(cast({{ value_column }} as {{ dbt.type_string() }}), '(unknown)')
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

rates as (
    {%- for conversion_window, numerator_column, maturity_column in cohort_rates %}
        select
            month_start_date,
            'cohort' as conversion_method,
            '{{ conversion_window }}' as conversion_window,
            from_stage,
            to_stage,
            dimension_name,
            dimension_value,
            dimension_label,
            {{ numerator_column }} as numerator_count,
            entered_count as denominator_count,
            {{ maturity_column }} as is_mature
        from cohort_by_dimension

        union all
    {%- endfor %}

    select
        period_by_dimension.month_start_date,
        'period' as conversion_method,
        'same_month' as conversion_window,
        period_by_dimension.from_stage,
        period_by_dimension.to_stage,
        period_by_dimension.dimension_name,
        period_by_dimension.dimension_value,
        period_by_dimension.dimension_label,
        period_by_dimension.to_stage_count as numerator_count,
        period_by_dimension.from_stage_count as denominator_count,
        {{ is_month_mature('period_by_dimension.month_start_date', 'as_of.as_of_date', 0) }} as is_mature
    from period_by_dimension
    cross join as_of
),

rated as (
    select
        *,
        case
            when denominator_count = 0 then null
            else cast(numerator_count as {{ dbt.type_numeric() }}) / denominator_count
        end as conversion_rate
    from rates
),

final as (
    select
        {{ surrogate_key([
            'current_month.month_start_date', 'current_month.conversion_method', 'current_month.conversion_window',
            'current_month.from_stage', 'current_month.to_stage', 'current_month.dimension_name',
            'current_month.dimension_value',
        ]) }} as conversion_trend_key,
        current_month.month_start_date,
        current_month.conversion_method,
        current_month.conversion_window,
        current_month.from_stage,
        current_month.to_stage,
        current_month.dimension_name,
        current_month.dimension_value,
        current_month.dimension_label,
        current_month.numerator_count,
        current_month.denominator_count,
        current_month.conversion_rate,
        current_month.is_mature,
        prior_month.numerator_count as prior_month_numerator_count,
        prior_month.denominator_count as prior_month_denominator_count,
        prior_month.conversion_rate as prior_month_conversion_rate,
        current_month.conversion_rate - prior_month.conversion_rate as conversion_rate_change_mom,
        prior_year.numerator_count as prior_year_numerator_count,
        prior_year.denominator_count as prior_year_denominator_count,
        prior_year.conversion_rate as prior_year_conversion_rate,
        current_month.conversion_rate - prior_year.conversion_rate as conversion_rate_change_yoy
    from rated as current_month
    left join rated as prior_month
        on
            current_month.conversion_method = prior_month.conversion_method
            and current_month.conversion_window = prior_month.conversion_window
            and current_month.from_stage = prior_month.from_stage
            and current_month.to_stage = prior_month.to_stage
            and current_month.dimension_name = prior_month.dimension_name
            and current_month.dimension_value = prior_month.dimension_value
            and prior_month.month_start_date
            = cast({{ dbt.dateadd('month', -1, 'current_month.month_start_date') }} as date)
    left join rated as prior_year
        on
            current_month.conversion_method = prior_year.conversion_method
            and current_month.conversion_window = prior_year.conversion_window
            and current_month.from_stage = prior_year.from_stage
            and current_month.to_stage = prior_year.to_stage
            and current_month.dimension_name = prior_year.dimension_name
            and current_month.dimension_value = prior_year.dimension_value
            and prior_year.month_start_date
            = cast({{ dbt.dateadd('month', -12, 'current_month.month_start_date') }} as date)
)

select * from final
