"""Reconciliation, volume and freshness checks, file take-back, run history and timeouts on small files built here."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from orchestration.contract import load_contract, raw_table_ddl
from orchestration.loading import LOAD_FILES_DDL, QUARANTINE_DDL, FileLoadResult
from orchestration.operations.checks import (
    VOLUME_CHECK,
    check_raw_tables,
    freshness_expectations,
    volume_expectations,
)
from orchestration.operations.config import OperationsConfigError, load_operations_config
from orchestration.operations.incidents import check_incidents
from orchestration.operations.reconciliation import reconcile
from orchestration.operations.run_history import RunHistory, RunRecord, WarehouseBusy, warehouse_lock
from orchestration.operations.watchdog import RunWatchdog, overdue_runs
from orchestration.quality import RAW_SCHEMA_MAP, DataDocsTarget, run_quality_gate

LOADED_AT = datetime(2026, 3, 2, 6, 0)


def raw_database(path: Path) -> duckdb.DuckDBPyConnection:
    """Create a build file with every raw table, empty, and return a connection to it."""
    connection = duckdb.connect(str(path))
    connection.execute("create schema raw")
    for entity in load_contract().values():
        connection.execute(raw_table_ddl(entity))
    connection.execute(LOAD_FILES_DDL)
    connection.execute(QUARANTINE_DDL)
    return connection


def add_bookings(connection: duckdb.DuckDBPyConnection, file_hash: str, loaded_at: datetime, rows: list[tuple]) -> None:
    """Insert (booking_id, amount, currency, line) rows as one loaded bookings file."""
    for booking_id, amount, currency, line in rows:
        connection.execute(
            "insert into raw.bookings (booking_id, booked_at, booking_amount, currency_code, pillar, "
            "_source_file, _source_line, _file_hash, _loaded_at) values (?, ?, ?, ?, 'new_business', ?, ?, ?, ?)",
            [booking_id, datetime(2025, 5, 1), amount, currency, f"bookings_{file_hash}.csv", line, file_hash, loaded_at],
        )


def add_leads(connection: duckdb.DuckDBPyConnection, file_hash: str, lead_ids: list[str], quarantined: list[dict]) -> None:
    """Insert one loaded leads file: its loaded lead ids, its quarantined rows and its _load_files record."""
    for line, lead_id in enumerate(lead_ids, start=2):
        connection.execute(
            "insert into raw.leads (lead_id, created_at, source_system, _source_file, _source_line, _file_hash, _loaded_at) "
            "values (?, ?, 'default', ?, ?, ?, ?)",
            [lead_id, datetime(2025, 1, 1), f"leads_{file_hash}.csv", line, file_hash, LOADED_AT],
        )
    for line, record in enumerate(quarantined, start=100):
        connection.execute(
            "insert into raw._quarantine values ('leads', ?, ?, 'created_at', 'invalid', ?, ?, ?)",
            [f"leads_{file_hash}.csv", line, json.dumps(record), file_hash, LOADED_AT],
        )
    connection.execute(
        "insert into raw._load_files values ('leads', ?, ?, ?, ?, ?, ?)",
        [f"leads_{file_hash}.csv", file_hash, len(lead_ids) + len(quarantined), len(lead_ids), len(quarantined), LOADED_AT],
    )


def add_marts(connection: duckdb.DuckDBPyConnection, bookings: list[tuple], lead_ids: list[str]) -> None:
    connection.execute("create schema if not exists marts")
    connection.execute(
        "create or replace table marts.fct_bookings (booking_id varchar, booking_amount decimal(18, 4), "
        "currency_code varchar, reporting_amount decimal(28, 6))"
    )
    connection.executemany("insert into marts.fct_bookings values (?, ?, ?, ?)", bookings)
    connection.execute("create or replace table marts.fct_lead_funnel (lead_id varchar)")
    connection.executemany("insert into marts.fct_lead_funnel values (?)", [[lead_id] for lead_id in lead_ids])
    connection.execute("create or replace table marts.fct_opportunities (opportunity_id varchar, reporting_amount decimal(28, 6))")
    connection.execute("insert into marts.fct_opportunities values ('O1', 300)")


@pytest.fixture
def reconciled_db(tmp_path: Path) -> Path:
    """A build file whose raw tables and marts agree: B1 delivered twice (the later file wins), L1 re-delivered."""
    path = tmp_path / "build.duckdb"
    with raw_database(path) as connection:
        add_bookings(connection, "f1", LOADED_AT, [("B1", 100, "EUR", 2), ("B2", 50, "USD", 3)])
        add_bookings(connection, "f2", LOADED_AT + timedelta(days=1), [("B1", 120, "EUR", 2)])
        add_leads(connection, "l1", ["L1", "L2"], [{"lead_id": "L3"}, {"lead_id": ""}])
        add_leads(connection, "l2", ["L1"], [{"lead_id": "L2"}])
        add_marts(connection, [("B1", 120, "EUR", 130), ("B2", 50, "USD", 50)], ["L1", "L2"])
    return path


def results_by_check(path: Path) -> dict[str, object]:
    gate = reconcile(path)
    return {result.check_name: result for result in gate.results}


def test_reconciliation_passes_when_layers_agree(reconciled_db):
    results = results_by_check(reconciled_db)

    assert {name: result.status for name, result in results.items() if result.suite != "reconciliation.attribution"} == {
        "every raw booking in fct_bookings exactly once": "passed",
        "booking amounts and currencies match raw": "passed",
        "booking totals per currency match raw": "passed",
        "every lead file row loaded or quarantined": "passed",
        "every raw lead id in fct_lead_funnel exactly once": "passed",
        "leads read = leads in marts + re-deliveries + quarantined": "passed",
    }
    assert results["leads read = leads in marts + re-deliveries + quarantined"].observed_value == {
        "rows_read": 6,
        "lead_ids_in_marts": 2,
        "redelivered_rows": 1,
        "quarantined_rows": 3,
        "quarantined_lead_ids_never_loaded": 1,
        "quarantined_rows_without_lead_id": 1,
    }


def test_attribution_skipped_when_not_built(reconciled_db):
    [result] = [result for result in reconcile(reconciled_db).results if result.suite == "reconciliation.attribution"]

    assert result.status == "skipped"
    assert result.message == "skipped: model not built (bdg_attribution is not among the marts)"
    assert reconcile(reconciled_db).passed


def test_booking_loss_and_duplicate_fail(reconciled_db):
    with duckdb.connect(str(reconciled_db)) as connection:
        add_marts(connection, [("B1", 100, "EUR", 130), ("B1", 100, "EUR", 130), ("B9", 5, "USD", 5)], ["L1", "L2"])

    results = results_by_check(reconciled_db)

    assert results["every raw booking in fct_bookings exactly once"].unexpected_values == (
        "B1: in fct_bookings 2 times",
        "B2: missing from fct_bookings",
        "B9: in fct_bookings but not in raw.bookings",
    )
    assert results["booking amounts and currencies match raw"].unexpected_values == (
        "B1: raw 120.0000 EUR, fct_bookings 100.0000 EUR",
        "B1: raw 120.0000 EUR, fct_bookings 100.0000 EUR",
    )
    assert results["booking totals per currency match raw"].unexpected_values == (
        "EUR: raw 1 bookings 120.0, fct_bookings 2 bookings 200.0",
        "USD: raw 1 bookings 50.0, fct_bookings 1 bookings 5.0",
    )


def test_lead_loss_fails(reconciled_db):
    with duckdb.connect(str(reconciled_db)) as connection:
        add_marts(connection, [("B1", 120, "EUR", 130), ("B2", 50, "USD", 50)], ["L1", "L7"])
        connection.execute("delete from raw.leads where _file_hash = 'l2'")

    results = results_by_check(reconciled_db)

    assert results["every raw lead id in fct_lead_funnel exactly once"].unexpected_values == (
        "L2: missing from fct_lead_funnel",
        "L7: in fct_lead_funnel but not in raw.leads",
    )
    assert results["every lead file row loaded or quarantined"].unexpected_values == (
        "leads_l2.csv: read 2, loaded 1 (0 in raw.leads), quarantined 1 (1 in raw._quarantine)",
    )
    assert results["leads read = leads in marts + re-deliveries + quarantined"].status == "failed"


def add_attribution(connection: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    connection.execute(
        "create or replace table marts.bdg_attribution (conversion_key varchar, conversion_type varchar, "
        "opportunity_id varchar, booking_id varchar, attribution_model varchar, attribution_weight decimal(10, 9), "
        "attributed_amount decimal(28, 6))"
    )
    connection.executemany("insert into marts.bdg_attribution values (?, ?, ?, ?, ?, ?, ?)", rows)


def test_attribution_totals_reconcile(reconciled_db):
    with duckdb.connect(str(reconciled_db)) as connection:
        add_attribution(
            connection,
            [
                ("k1", "booking", None, "B1", "linear", 0.5, 65),
                ("k1", "booking", None, "B1", "linear", 0.5, 65),
                ("k2", "booking", None, "B2", "linear", 1, 50),
                ("k3", "opportunity", "O1", None, "linear", 1, 300),
            ],
        )

    results = [result for result in reconcile(reconciled_db).results if result.suite == "reconciliation.attribution"]

    assert [(result.check_name, result.status) for result in results] == [
        ("attribution weights sum to 1 per conversion and model", "passed"),
        ("every booking and opportunity credited under every model", "passed"),
        ("attributed totals match bookings and opportunities", "passed"),
    ]


def test_attribution_gaps_fail(reconciled_db):
    with duckdb.connect(str(reconciled_db)) as connection:
        add_attribution(
            connection,
            [
                ("k1", "booking", None, "B1", "linear", 0.5, 65),
                ("k3", "opportunity", "O1", None, "linear", 1, 300),
            ],
        )

    results = {result.check_name: result for result in reconcile(reconciled_db).results}

    assert results["attribution weights sum to 1 per conversion and model"].unexpected_values == ("k1 linear: 0.5",)
    assert results["every booking and opportunity credited under every model"].unexpected_values == (
        "linear booking B2: not credited",
    )
    assert results["attributed totals match bookings and opportunities"].unexpected_values == (
        "linear booking: attributed 65.0 against 180.0 in the facts",
    )


def baseline_run(row_counts: dict[str, int]) -> RunRecord:
    return RunRecord(
        run_id="cli-previous", job="funnelmart_job", origin="cli", started_at=LOADED_AT, published=True, row_counts=row_counts
    )


def test_volume_bounds_from_config():
    config = load_operations_config()

    expectations = volume_expectations(
        config,
        baseline_run({"raw.leads": 1000, "marts.fct_lead_funnel": 1000, "marts.dim_stage": 8}),
        ["raw.leads", "marts.fct_lead_funnel", "marts.dim_stage", "marts.new_mart"],
    )

    assert {name: items[0]["kwargs"] for name, items in expectations.items()} == {
        "raw.leads": {"min_value": 1000, "max_value": 6000},
        "marts.fct_lead_funnel": {"min_value": 800, "max_value": 4000},
    }
    assert expectations["raw.leads"][0]["severity"] == "warning"
    assert expectations["marts.fct_lead_funnel"][0]["severity"] == "critical"
    assert expectations["marts.fct_lead_funnel"][0]["meta"]["check"] == VOLUME_CHECK


def test_accepted_volume_change_does_not_block():
    config = load_operations_config(environ={"FUNNELMART_ACCEPT_VOLUME_CHANGE": "true"})

    expectations = volume_expectations(config, baseline_run({"marts.fct_lead_funnel": 1000}), ["marts.fct_lead_funnel"])

    assert expectations["marts.fct_lead_funnel"][0]["severity"] == "warning"


def test_freshness_window_from_config():
    config = load_operations_config()
    now = datetime(2026, 3, 5, 12, 0, tzinfo=timezone.utc)

    expectations = freshness_expectations(config, ["leads", "reps"], now)

    assert list(expectations) == ["raw.leads"]
    assert expectations["raw.leads"][0]["kwargs"] == {"column": "_loaded_at", "min_value": "2026-03-02T12:00:00"}


def test_invalid_operations_file_names_key(tmp_path):
    path = tmp_path / "operations.yml"
    path.write_text("volume:\n  marts: {max_decrease_pct: -5}\n", encoding="utf-8")

    with pytest.raises(OperationsConfigError) as raised:
        load_operations_config(path)

    assert str(raised.value) == (
        f"Operations file {path}: volume.marts.max_decrease_pct is -5; expected a number of at least 0."
    )


def write_leads(connection: duckdb.DuckDBPyConnection, file_hash: str, lead_ids: list[str], loaded_at: datetime) -> FileLoadResult:
    for line, lead_id in enumerate(lead_ids, start=2):
        connection.execute(
            "insert into raw.leads (lead_id, created_at, source_system, _source_file, _source_line, _file_hash, _loaded_at) "
            "values (?, ?, 'default', ?, ?, ?, ?)",
            [lead_id, datetime(2025, 1, 1), f"leads_{file_hash}.csv", line, file_hash, loaded_at],
        )
    connection.execute(
        "insert into raw._load_files values ('leads', ?, ?, ?, ?, 0, ?)",
        [f"leads_{file_hash}.csv", file_hash, len(lead_ids), len(lead_ids), loaded_at],
    )
    return FileLoadResult("leads", Path(f"leads_{file_hash}.csv"), file_hash, len(lead_ids), len(lead_ids), 0)


def test_breaking_file_taken_out_again(tmp_path):
    path = tmp_path / "build.duckdb"
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with raw_database(path) as connection:
        write_leads(connection, "old", ["L1", "L2"], now - timedelta(days=1))
        good = write_leads(connection, "good", ["L1", "L3"], now)
        bad = write_leads(connection, "bad", ["L4", "L4"], now)

    outcome = check_raw_tables(path, load_operations_config(), None, ["leads"], [good, bad])

    with duckdb.connect(str(path), read_only=True) as connection:
        hashes = connection.execute("select distinct _file_hash from raw.leads order by 1").fetchall()
        loads = connection.execute("select file_hash from raw._load_files order by 1").fetchall()
    assert outcome.blocked
    assert [(file.path.name, file.checks) for file in outcome.rejected_files] == [
        ("leads_bad.csv", ("lead_id unique within each file",))
    ]
    assert hashes == [("good",), ("old",)]
    assert loads == [("good",), ("old",)]
    assert outcome.row_counts["raw.leads"] == 4


def test_raw_volume_drop_warns(tmp_path):
    path = tmp_path / "build.duckdb"
    with raw_database(path) as connection:
        write_leads(connection, "only", [f"L{index}" for index in range(150)], datetime.now(timezone.utc).replace(tzinfo=None))

    outcome = check_raw_tables(path, load_operations_config(), baseline_run({"raw.leads": 200}), ["leads"], [])

    [volume] = [result for result in outcome.gate.results if result.check_name == VOLUME_CHECK]
    assert volume.status == "failed"
    assert volume.severity == "warning"
    assert volume.observed_value == 150
    assert outcome.gate.passed
    incidents = check_incidents(outcome.gate)["checks:raw.leads"]
    assert [incident.key for incident in incidents] == [f"check_failed:raw.leads:{VOLUME_CHECK}"]
    assert incidents[0].severity == "warning"


def test_history_folds_events(tmp_path):
    history = RunHistory(tmp_path)

    history.start("run-1", "funnelmart_job", "cli", "manual")
    history.step("run-1", "publish", "succeeded", row_counts={"raw.leads": 5})
    history.finish("run-1", "succeeded", published=True)
    history.start("run-2", "funnelmart_job", "cli")
    history.path.write_text(history.path.read_text() + '{"cut short', encoding="utf-8")

    [second, first] = history.runs()
    assert (first.status, first.published, first.row_counts) == ("succeeded", True, {"raw.leads": 5})
    assert second.status == "running"
    assert history.last_published().run_id == "run-1"


def test_unfinished_run_marked_died(tmp_path):
    history = RunHistory(tmp_path)
    history.start("run-old", "funnelmart_job", "cli")
    history.start("run-dagster", "funnelmart_job", "dagster")
    history.start("run-now", "funnelmart_job", "cli")

    died = history.mark_died("cli", except_run_id="run-now")

    assert [run.run_id for run in died] == ["run-old"]
    statuses = {run.run_id: run.status for run in history.runs()}
    assert statuses == {"run-old": "died", "run-dagster": "running", "run-now": "running"}


def test_warehouse_lock_rejects_second_holder(tmp_path):
    with warehouse_lock(tmp_path, "run A"):
        with pytest.raises(WarehouseBusy) as raised:
            with warehouse_lock(tmp_path, "run B"):
                pass

    assert "in use by run A" in str(raised.value)
    with warehouse_lock(tmp_path, "run C"):
        pass


def test_watchdog_fires_once_after_timeout():
    fired = threading.Event()
    calls = []

    def on_timeout() -> None:
        calls.append(datetime.now())
        fired.set()

    watchdog = RunWatchdog(timedelta(seconds=0.05), on_timeout).start()
    assert fired.wait(5)
    watchdog.stop()
    stopped = RunWatchdog(timedelta(seconds=5), on_timeout).start()
    stopped.stop()

    assert len(calls) == 1
    assert stopped.fired.is_set() is False


def test_overdue_run_named_in_incident():
    now = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    runs = [("recent", now - timedelta(minutes=10)), ("stuck", now - timedelta(hours=3)), ("older", now - timedelta(hours=5))]

    [incident] = overdue_runs(runs, timedelta(hours=1), "funnelmart_job", now)

    assert incident.key == "run_timed_out:funnelmart_job"
    assert incident.details["run_id"] == "older"
    assert overdue_runs(runs[:1], timedelta(hours=1), "funnelmart_job", now) == []


def test_data_docs_keep_newest_runs(tmp_path):
    path = tmp_path / "build.duckdb"
    with raw_database(path) as connection:
        write_leads(connection, "only", ["L1"], LOADED_AT)
    docs = tmp_path / "data_docs"

    for run in ("run-a", "run-b", "run-c"):
        run_quality_gate(
            path,
            schema_map=RAW_SCHEMA_MAP,
            suite_names=["raw.leads"],
            data_docs=DataDocsTarget(docs, run_name=run, keep_runs=2),
        )

    index = (docs / "index.html").read_text(encoding="utf-8")
    stored_runs = {folder.name for folder in (docs / "validation_results").rglob("run-*")}
    page_runs = {folder.name for folder in (docs / "validations").rglob("run-*")}
    assert "run-c" in index
    assert "run-b" in index
    assert "run-a" not in index
    assert stored_runs == {"run-b", "run-c"}
    assert page_runs == {"run-b", "run-c"}
