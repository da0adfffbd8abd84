"""Reconciliation between layers: nothing delivered is lost or counted twice on the way to the marts.

Three groups of checks compare the raw tables of the build file with the marts (of the build
file in Dagster, of the candidate file before publishing):

- bookings: the latest delivery of every raw booking appears exactly once in fct_bookings,
  with the same amount and currency, and the totals per currency agree;
- leads: every row read from a leads file was loaded or quarantined, and every lead id
  loaded appears exactly once in fct_lead_funnel. Rows read = lead ids in the marts +
  re-delivered rows of a lead id already counted + quarantined rows;
- attribution: in bdg_attribution, the weights of each conversion sum to 1, every booking and
  opportunity is credited under every attribution model, and the attributed amounts add up
  to the reporting amounts of fct_bookings and fct_opportunities. When the model is not
  built, this check is `skipped`, which neither passes nor blocks.

Each check returns a quality.CheckResult (suite `reconciliation.<area>`), so reconciliation
shows up in the gate report, the alerts and Dagster like any expectation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from orchestration.quality import CheckResult, GateResult

# The order in which staging picks the latest delivery of a key (macro latest_delivery_rank).
LATEST_DELIVERY_ORDER = "_loaded_at desc nulls last, _source_file desc nulls last, _source_line desc nulls last"
MAX_LISTED = 20
# Attributed amounts are rounded to 6 decimals per row with the remainder on one row, so they
# sum exactly. The tolerance only absorbs decimal-to-double conversions in the sums.
AMOUNT_TOLERANCE = 0.005
WEIGHT_TOLERANCE = 1e-6
ATTRIBUTION_TABLE = "bdg_attribution"
ATTRIBUTION_COLUMNS = (
    "conversion_key", "conversion_type", "opportunity_id", "booking_id",
    "attribution_model", "attribution_weight", "attributed_amount",
)


def reconcile(build_db: Path, marts_db: Path | None = None, marts_schema: str = "marts") -> GateResult:
    """Run every reconciliation check: raw tables of `build_db` against the marts in `marts_db`.

    `marts_db` defaults to the build file, whose marts are in schema `marts`. For a candidate
    or published file pass its path and `marts_schema="main"`. Both files are opened read-only.
    """
    build_db = Path(build_db)
    marts_db = Path(marts_db) if marts_db is not None else build_db
    results: list[CheckResult] = []
    with _attached(build_db, marts_db) as (connection, raw_catalog, marts_catalog):
        raw = f"{raw_catalog}.raw"
        marts = f"{marts_catalog}.{marts_schema}"
        results += _guarded("reconciliation.bookings", lambda: reconcile_bookings(connection, raw, marts))
        results += _guarded("reconciliation.leads", lambda: reconcile_leads(connection, raw, marts))
        results += _guarded("reconciliation.attribution", lambda: reconcile_attribution(connection, marts))
    return GateResult(tuple(dict.fromkeys((build_db, marts_db))), tuple(results))


@contextmanager
def _attached(build_db: Path, marts_db: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, str, str]]:
    connection = duckdb.connect()
    try:
        connection.execute(f"attach {_literal(str(build_db))} as build_file (read_only)")
        marts_catalog = "build_file"
        if marts_db.resolve() != build_db.resolve():
            connection.execute(f"attach {_literal(str(marts_db))} as marts_file (read_only)")
            marts_catalog = "marts_file"
        yield connection, "build_file", marts_catalog
    finally:
        connection.close()


def _guarded(suite: str, check: Any) -> list[CheckResult]:
    """Run a group of checks; a missing table or any SQL error becomes one `error` result."""
    try:
        return check()
    except duckdb.Error as error:
        text = " ".join(str(error).split())
        return [
            CheckResult(
                suite=suite,
                relation=suite,
                status="error",
                expectation_type="reconciliation",
                message=f"the reconciliation could not run: {text[:400]}",
                meta={"check": "reconciliation could run"},
            )
        ]


def reconcile_bookings(connection: duckdb.DuckDBPyConnection, raw: str, marts: str) -> list[CheckResult]:
    """Check that each raw booking appears exactly once in fct_bookings with its amount and currency."""
    suite = "reconciliation.bookings"
    relation = f"raw.bookings -> marts.fct_bookings"
    connection.execute(
        f"""
        create or replace temporary table latest_bookings as
        select booking_id, booking_amount, upper(trim(currency_code)) as currency_code
        from (
            select *, row_number() over (partition by booking_id order by {LATEST_DELIVERY_ORDER}) as delivery_rank
            from {raw}.bookings
        )
        where delivery_rank = 1
        """
    )
    connection.execute(
        f"""
        create or replace temporary table fact_bookings as
        select booking_id, booking_amount, currency_code from {marts}.fct_bookings
        """
    )
    coverage = connection.execute(
        """
        with fact_counts as (
            select booking_id, count(*) as copies from fact_bookings group by booking_id
        )
        select booking_id, 'missing from fct_bookings' as problem
        from latest_bookings anti join fact_counts using (booking_id)
        union all
        select booking_id, 'in fct_bookings ' || copies || ' times' from fact_counts where copies > 1
        union all
        select booking_id, 'in fct_bookings but not in raw.bookings' from fact_counts anti join latest_bookings using (booking_id)
        order by 1
        """
    ).fetchall()
    mismatches = connection.execute(
        """
        select
            latest.booking_id,
            'raw ' || latest.booking_amount || ' ' || latest.currency_code
                || ', fct_bookings ' || fact.booking_amount || ' ' || fact.currency_code
        from latest_bookings as latest
        inner join fact_bookings as fact using (booking_id)
        where latest.booking_amount is distinct from fact.booking_amount
            or latest.currency_code is distinct from fact.currency_code
        order by 1
        """
    ).fetchall()
    totals = connection.execute(
        """
        with raw_totals as (
            select currency_code, count(*) as bookings, sum(booking_amount) as amount from latest_bookings group by 1
        ),
        fact_totals as (
            select currency_code, count(*) as bookings, sum(booking_amount) as amount from fact_bookings group by 1
        )
        select
            coalesce(raw_totals.currency_code, fact_totals.currency_code) as currency_code,
            raw_totals.bookings, raw_totals.amount, fact_totals.bookings, fact_totals.amount
        from raw_totals full outer join fact_totals using (currency_code)
        order by 1
        """
    ).fetchall()
    [(raw_count,)] = connection.execute("select count(*) from latest_bookings").fetchall()
    [(delivered_rows,)] = connection.execute(f"select count(*) from {raw}.bookings").fetchall()

    total_rows = {
        str(currency): {
            "raw_bookings": raw_bookings or 0,
            "raw_amount": _number(raw_amount),
            "fct_bookings": fact_bookings or 0,
            "fct_amount": _number(fact_amount),
        }
        for currency, raw_bookings, raw_amount, fact_bookings, fact_amount in totals
    }
    differing_totals = [
        f"{currency}: raw {values['raw_bookings']} bookings {values['raw_amount']}, "
        f"fct_bookings {values['fct_bookings']} bookings {values['fct_amount']}"
        for currency, values in total_rows.items()
        if values["raw_bookings"] != values["fct_bookings"]
        or abs((values["raw_amount"] or 0) - (values["fct_amount"] or 0)) > AMOUNT_TOLERANCE
    ]
    observed = {"raw_bookings": raw_count, "raw_rows_delivered": delivered_rows, "by_currency": total_rows}
    return [
        _result(
            suite, relation, "every raw booking in fct_bookings exactly once",
            [f"{booking_id}: {problem}" for booking_id, problem in coverage], observed,
        ),
        _result(
            suite, relation, "booking amounts and currencies match raw",
            [f"{booking_id}: {text}" for booking_id, text in mismatches], None,
        ),
        _result(suite, relation, "booking totals per currency match raw", differing_totals, total_rows),
    ]


def reconcile_leads(connection: duckdb.DuckDBPyConnection, raw: str, marts: str) -> list[CheckResult]:
    """Check that every lead row read was loaded or quarantined, and every loaded lead id is in the marts once."""
    suite = "reconciliation.leads"
    relation = "raw.leads -> marts.fct_lead_funnel"
    files = connection.execute(
        f"""
        with loaded as (
            select _file_hash as file_hash, count(*) as rows_in_table from {raw}.leads group by 1
        ),
        quarantined as (
            select file_hash, count(*) as rows_in_quarantine from {raw}._quarantine where entity = 'leads' group by 1
        )
        select
            files.source_file, files.rows_read, files.rows_loaded, files.rows_quarantined,
            coalesce(loaded.rows_in_table, 0), coalesce(quarantined.rows_in_quarantine, 0)
        from {raw}._load_files as files
        left join loaded on files.file_hash = loaded.file_hash
        left join quarantined on files.file_hash = quarantined.file_hash
        where files.entity = 'leads'
        order by files.loaded_at, files.source_file
        """
    ).fetchall()
    file_problems = []
    rows_read = 0
    for source_file, read, loaded, quarantined, in_table, in_quarantine in files:
        rows_read += read
        if read != loaded + quarantined or loaded != in_table or quarantined != in_quarantine:
            file_problems.append(
                f"{Path(source_file).name}: read {read}, loaded {loaded} ({in_table} in raw.leads), "
                f"quarantined {quarantined} ({in_quarantine} in raw._quarantine)"
            )

    coverage = connection.execute(
        f"""
        with raw_ids as (select distinct lead_id from {raw}.leads),
        fact_counts as (select lead_id, count(*) as copies from {marts}.fct_lead_funnel group by lead_id)
        select lead_id, 'missing from fct_lead_funnel' from raw_ids anti join fact_counts using (lead_id)
        union all
        select lead_id, 'in fct_lead_funnel ' || copies || ' times' from fact_counts where copies > 1
        union all
        select lead_id, 'in fct_lead_funnel but not in raw.leads' from fact_counts anti join raw_ids using (lead_id)
        order by 1
        """
    ).fetchall()
    [(raw_rows, distinct_ids)] = connection.execute(
        f"select count(*), count(distinct lead_id) from {raw}.leads"
    ).fetchall()
    [(mart_ids,)] = connection.execute(f"select count(distinct lead_id) from {marts}.fct_lead_funnel").fetchall()
    quarantine_records = connection.execute(
        f"select raw_record from {raw}._quarantine where entity = 'leads'"
    ).fetchall()
    loaded_ids = {lead_id for (lead_id,) in connection.execute(f"select distinct lead_id from {raw}.leads").fetchall()}
    quarantined_ids = {_lead_id(record) for (record,) in quarantine_records} - {None}
    quarantined_rows = len(quarantine_records)
    redelivered_rows = raw_rows - distinct_ids

    accounting = {
        "rows_read": rows_read,
        "lead_ids_in_marts": mart_ids,
        "redelivered_rows": redelivered_rows,
        "quarantined_rows": quarantined_rows,
        "quarantined_lead_ids_never_loaded": len(quarantined_ids - loaded_ids),
        "quarantined_rows_without_lead_id": sum(1 for (record,) in quarantine_records if _lead_id(record) is None),
    }
    balance = []
    if rows_read != mart_ids + redelivered_rows + quarantined_rows:
        balance.append(
            f"rows read {rows_read} != lead ids in marts {mart_ids} + re-delivered rows {redelivered_rows} "
            f"+ quarantined rows {quarantined_rows}"
        )
    return [
        _result(suite, relation, "every lead file row loaded or quarantined", file_problems, {"files": len(files)}),
        _result(
            suite, relation, "every raw lead id in fct_lead_funnel exactly once",
            [f"{lead_id}: {problem}" for lead_id, problem in coverage], None,
        ),
        _result(suite, relation, "leads read = leads in marts + re-deliveries + quarantined", balance, accounting),
    ]


def reconcile_attribution(connection: duckdb.DuckDBPyConnection, marts: str) -> list[CheckResult]:
    """Check that bdg_attribution credits every conversion once per model with weights and amounts that add up."""
    suite = "reconciliation.attribution"
    relation = f"marts.{ATTRIBUTION_TABLE}"
    catalog, schema = marts.split(".", 1)
    columns = {
        name for (name,) in connection.execute(
            """
            select column_name from information_schema.columns
            where table_catalog = ? and table_schema = ? and table_name = ?
            """,
            [catalog, schema, ATTRIBUTION_TABLE],
        ).fetchall()
    }
    if not columns:
        return [
            CheckResult(
                suite=suite,
                relation=relation,
                status="skipped",
                expectation_type="reconciliation",
                message=f"skipped: model not built ({ATTRIBUTION_TABLE} is not among the marts)",
                meta={"check": "attributed totals match bookings and opportunities"},
            )
        ]
    missing = [name for name in ATTRIBUTION_COLUMNS if name not in columns]
    if missing:
        return [
            CheckResult(
                suite=suite,
                relation=relation,
                status="error",
                expectation_type="reconciliation",
                message=f"{ATTRIBUTION_TABLE} has no column {', '.join(missing)}, so attribution cannot be reconciled",
                meta={"check": "attributed totals match bookings and opportunities"},
            )
        ]

    weights = connection.execute(
        f"""
        select conversion_key, attribution_model, sum(attribution_weight) as total_weight
        from {marts}.{ATTRIBUTION_TABLE}
        group by 1, 2
        having abs(sum(attribution_weight) - 1) > {WEIGHT_TOLERANCE}
        order by 1, 2
        """
    ).fetchall()
    coverage = connection.execute(
        f"""
        with models as (select distinct attribution_model from {marts}.{ATTRIBUTION_TABLE}),
        expected as (
            select 'booking' as conversion_type, booking_id as conversion_id from {marts}.fct_bookings
            union all
            select 'opportunity', opportunity_id from {marts}.fct_opportunities
        ),
        credited as (
            select distinct
                attribution_model,
                conversion_type,
                case when conversion_type = 'booking' then booking_id else opportunity_id end as conversion_id
            from {marts}.{ATTRIBUTION_TABLE}
        )
        select models.attribution_model, expected.conversion_type, expected.conversion_id, 'not credited'
        from models cross join expected
        anti join credited using (attribution_model, conversion_type, conversion_id)
        union all
        select credited.attribution_model, credited.conversion_type, credited.conversion_id, 'credited but not in the facts'
        from credited anti join expected using (conversion_type, conversion_id)
        order by 1, 2, 3
        """
    ).fetchall()
    totals = connection.execute(
        f"""
        with expected as (
            select 'booking' as conversion_type, sum(reporting_amount) as amount from {marts}.fct_bookings
            union all
            select 'opportunity', sum(reporting_amount) from {marts}.fct_opportunities
        ),
        attributed as (
            select attribution_model, conversion_type, sum(attributed_amount) as amount
            from {marts}.{ATTRIBUTION_TABLE}
            group by 1, 2
        )
        select attributed.attribution_model, expected.conversion_type, expected.amount, attributed.amount
        from attributed inner join expected using (conversion_type)
        order by 1, 2
        """
    ).fetchall()
    differing_totals = []
    observed_totals: dict[str, dict[str, Any]] = {}
    for model, conversion_type, expected_amount, attributed_amount in totals:
        expected_value = _number(expected_amount) or 0
        attributed_value = _number(attributed_amount) or 0
        observed_totals.setdefault(model, {})[conversion_type] = {"fact": expected_value, "attributed": attributed_value}
        if abs(expected_value - attributed_value) > AMOUNT_TOLERANCE:
            differing_totals.append(
                f"{model} {conversion_type}: attributed {attributed_value} against {expected_value} in the facts"
            )
    return [
        _result(
            suite, relation, "attribution weights sum to 1 per conversion and model",
            [f"{key} {model}: {_number(total)}" for key, model, total in weights], None,
        ),
        _result(
            suite, relation, "every booking and opportunity credited under every model",
            [f"{model} {kind} {conversion_id}: {problem}" for model, kind, conversion_id, problem in coverage], None,
        ),
        _result(suite, relation, "attributed totals match bookings and opportunities", differing_totals, observed_totals),
    ]


def _result(suite: str, relation: str, check: str, problems: list[str], observed: Any) -> CheckResult:
    """Return a passed result, or a failed one that lists the first problems."""
    if not problems:
        return CheckResult(
            suite=suite, relation=relation, status="passed", expectation_type="reconciliation",
            observed_value=observed, meta={"check": check},
        )
    return CheckResult(
        suite=suite,
        relation=relation,
        status="failed",
        expectation_type="reconciliation",
        unexpected_count=len(problems),
        unexpected_values=tuple(problems[:MAX_LISTED]),
        observed_value=observed,
        meta={"check": check},
    )


def _lead_id(raw_record: str | None) -> str | None:
    """Return the lead_id of a quarantined row's original values (JSON), or None when it had none."""
    try:
        record = json.loads(raw_record or "{}")
    except json.JSONDecodeError:
        return None
    value = record.get("lead_id") if isinstance(record, dict) else None
    return str(value).strip() or None if value is not None else None


def _number(value: Any) -> float | None:
    return None if value is None else round(float(value), 6)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
