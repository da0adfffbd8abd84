-- Checks bdg_attribution on the fixture tests/fixtures/dbt_web against the weights and
-- amounts of its EXPECTED.md, for every conversion, model and touchpoint: Ana's four
-- touchpoints behind OA and its booking BA, Ben's two behind OB (6,000 EUR = 6,436.68 USD),
-- Dee's two behind the web-shop booking BW (500 EUR = 540.61 USD), and '(no touchpoint)' for
-- OC, OX, BC and BX. Position 0 stands for '(no touchpoint)'. Runs only with
-- --vars '{expected_fixture: dbt_web}'. A returned row is a credit that differs, is
-- missing, or is not expected.
{{ config(enabled=var('expected_fixture', '') == 'dbt_web') }}

with

attribution as (
    select * from {{ ref('bdg_attribution') }}
),

expected as (
    select
        expected_rows.conversion_id,
        expected_rows.attribution_model,
        expected_rows.touchpoint_position,
        expected_rows.campaign_id,
        cast(expected_rows.attribution_weight as numeric(10, 9)) as attribution_weight,
        cast(expected_rows.attributed_amount as numeric(28, 6)) as attributed_amount
    from (
        values
        ('OA', 'first_touch', 1, 1, 10000.000000, 'C1'),
        ('OA', 'first_touch', 2, 0, 0.000000, 'C3'),
        ('OA', 'first_touch', 3, 0, 0.000000, 'C1'),
        ('OA', 'first_touch', 4, 0, 0.000000, 'promo-x'),
        ('OA', 'last_touch', 1, 0, 0.000000, 'C1'),
        ('OA', 'last_touch', 2, 0, 0.000000, 'C3'),
        ('OA', 'last_touch', 3, 0, 0.000000, 'C1'),
        ('OA', 'last_touch', 4, 1, 10000.000000, 'promo-x'),
        ('OA', 'linear', 1, 0.25, 2500.000000, 'C1'),
        ('OA', 'linear', 2, 0.25, 2500.000000, 'C3'),
        ('OA', 'linear', 3, 0.25, 2500.000000, 'C1'),
        ('OA', 'linear', 4, 0.25, 2500.000000, 'promo-x'),
        ('OA', 'u_shaped', 1, 0.4, 4000.000000, 'C1'),
        ('OA', 'u_shaped', 2, 0.1, 1000.000000, 'C3'),
        ('OA', 'u_shaped', 3, 0.1, 1000.000000, 'C1'),
        ('OA', 'u_shaped', 4, 0.4, 4000.000000, 'promo-x'),
        ('OA', 'w_shaped', 1, 0.3, 3000.000000, 'C1'),
        ('OA', 'w_shaped', 2, 0.1, 1000.000000, 'C3'),
        ('OA', 'w_shaped', 3, 0.3, 3000.000000, 'C1'),
        ('OA', 'w_shaped', 4, 0.3, 3000.000000, 'promo-x'),
        ('BA', 'first_touch', 1, 1, 10000.000000, 'C1'),
        ('BA', 'first_touch', 2, 0, 0.000000, 'C3'),
        ('BA', 'first_touch', 3, 0, 0.000000, 'C1'),
        ('BA', 'first_touch', 4, 0, 0.000000, 'promo-x'),
        ('BA', 'last_touch', 1, 0, 0.000000, 'C1'),
        ('BA', 'last_touch', 2, 0, 0.000000, 'C3'),
        ('BA', 'last_touch', 3, 0, 0.000000, 'C1'),
        ('BA', 'last_touch', 4, 1, 10000.000000, 'promo-x'),
        ('BA', 'linear', 1, 0.25, 2500.000000, 'C1'),
        ('BA', 'linear', 2, 0.25, 2500.000000, 'C3'),
        ('BA', 'linear', 3, 0.25, 2500.000000, 'C1'),
        ('BA', 'linear', 4, 0.25, 2500.000000, 'promo-x'),
        ('BA', 'u_shaped', 1, 0.4, 4000.000000, 'C1'),
        ('BA', 'u_shaped', 2, 0.1, 1000.000000, 'C3'),
        ('BA', 'u_shaped', 3, 0.1, 1000.000000, 'C1'),
        ('BA', 'u_shaped', 4, 0.4, 4000.000000, 'promo-x'),
        ('BA', 'w_shaped', 1, 0.3, 3000.000000, 'C1'),
        ('BA', 'w_shaped', 2, 0.1, 1000.000000, 'C3'),
        ('BA', 'w_shaped', 3, 0.3, 3000.000000, 'C1'),
        ('BA', 'w_shaped', 4, 0.3, 3000.000000, 'promo-x'),
        ('OB', 'first_touch', 1, 1, 6436.680000, 'C2'),
        ('OB', 'first_touch', 2, 0, 0.000000, 'C2'),
        ('OB', 'last_touch', 1, 0, 0.000000, 'C2'),
        ('OB', 'last_touch', 2, 1, 6436.680000, 'C2'),
        ('OB', 'linear', 1, 0.5, 3218.340000, 'C2'),
        ('OB', 'linear', 2, 0.5, 3218.340000, 'C2'),
        ('OB', 'u_shaped', 1, 0.5, 3218.340000, 'C2'),
        ('OB', 'u_shaped', 2, 0.5, 3218.340000, 'C2'),
        ('OB', 'w_shaped', 1, 0.333333333, 2145.560000, 'C2'),
        ('OB', 'w_shaped', 2, 0.666666667, 4291.120000, 'C2'),
        ('BW', 'first_touch', 1, 1, 540.610000, 'C3'),
        ('BW', 'first_touch', 2, 0, 0.000000, 'C3'),
        ('BW', 'last_touch', 1, 0, 0.000000, 'C3'),
        ('BW', 'last_touch', 2, 1, 540.610000, 'C3'),
        ('BW', 'linear', 1, 0.5, 270.305000, 'C3'),
        ('BW', 'linear', 2, 0.5, 270.305000, 'C3'),
        ('BW', 'u_shaped', 1, 0.5, 270.305000, 'C3'),
        ('BW', 'u_shaped', 2, 0.5, 270.305000, 'C3'),
        ('BW', 'w_shaped', 1, 0.333333333, 180.203333, 'C3'),
        ('BW', 'w_shaped', 2, 0.666666667, 360.406667, 'C3'),
        ('OC', 'first_touch', 0, 1, 3000.000000, '(no touchpoint)'),
        ('OC', 'last_touch', 0, 1, 3000.000000, '(no touchpoint)'),
        ('OC', 'linear', 0, 1, 3000.000000, '(no touchpoint)'),
        ('OC', 'u_shaped', 0, 1, 3000.000000, '(no touchpoint)'),
        ('OC', 'w_shaped', 0, 1, 3000.000000, '(no touchpoint)'),
        ('OX', 'first_touch', 0, 1, 2000.000000, '(no touchpoint)'),
        ('OX', 'last_touch', 0, 1, 2000.000000, '(no touchpoint)'),
        ('OX', 'linear', 0, 1, 2000.000000, '(no touchpoint)'),
        ('OX', 'u_shaped', 0, 1, 2000.000000, '(no touchpoint)'),
        ('OX', 'w_shaped', 0, 1, 2000.000000, '(no touchpoint)'),
        ('BC', 'first_touch', 0, 1, 3000.000000, '(no touchpoint)'),
        ('BC', 'last_touch', 0, 1, 3000.000000, '(no touchpoint)'),
        ('BC', 'linear', 0, 1, 3000.000000, '(no touchpoint)'),
        ('BC', 'u_shaped', 0, 1, 3000.000000, '(no touchpoint)'),
        ('BC', 'w_shaped', 0, 1, 3000.000000, '(no touchpoint)'),
        ('BX', 'first_touch', 0, 1, 2000.000000, '(no touchpoint)'),
        ('BX', 'last_touch', 0, 1, 2000.000000, '(no touchpoint)'),
        ('BX', 'linear', 0, 1, 2000.000000, '(no touchpoint)'),
        ('BX', 'u_shaped', 0, 1, 2000.000000, '(no touchpoint)'),
        ('BX', 'w_shaped', 0, 1, 2000.000000, '(no touchpoint)')
    ) as expected_rows (
        conversion_id, attribution_model, touchpoint_position, attribution_weight, attributed_amount, campaign_id
    )
),

actual as (
    select
        conversion_id,
        attribution_model,
        campaign_id,
        attribution_weight,
        attributed_amount,
        coalesce(touchpoint_position, 0) as touchpoint_position
    from attribution
),

differences as (
    select
        expected.attribution_weight as expected_weight,
        actual.attribution_weight as actual_weight,
        expected.attributed_amount as expected_amount,
        actual.attributed_amount as actual_amount,
        coalesce(expected.conversion_id, actual.conversion_id) as conversion_id,
        coalesce(expected.attribution_model, actual.attribution_model) as attribution_model,
        coalesce(expected.touchpoint_position, actual.touchpoint_position) as touchpoint_position
    from expected
    full outer join actual
        on
            expected.conversion_id = actual.conversion_id
            and expected.attribution_model = actual.attribution_model
            and expected.touchpoint_position = actual.touchpoint_position
    where
        expected.conversion_id is null
        or actual.conversion_id is null
        or expected.attribution_weight != actual.attribution_weight
        or expected.attributed_amount != actual.attributed_amount
        or expected.campaign_id != actual.campaign_id
)

select * from differences
