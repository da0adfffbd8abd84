"""Operations end to end: alerts over a real webhook and SMTP server, killed runs, the sensor, Dagster checks.

Every server here is started by the tests on 127.0.0.1. The job runs on a small demo data
set (150 leads). The alert scenario runs the job three times on one warehouse:

1. the landing folder has a leads file with a duplicate key: the raw checks block the run;
2. the file is fixed and `funnelmart run` starts in a subprocess, which is killed with
   SIGKILL once its raw checks passed, while dbt builds;
3. the job runs again and publishes.

A clean run on the same files is the reference the third run's marts must equal.
"""

from __future__ import annotations

import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from dagster import AssetKey, DagsterInstance, build_sensor_context, materialize

from orchestration.alerting import read_alert_log
from orchestration.demo_data import write_demo_data
from orchestration.operations.run_history import RunHistory, RunRecord
from orchestration.operations.session import RunSession
from orchestration.pipeline import ChecksFailed, JobFailed, run_job
from orchestration.settings import Settings

DEMO_LEADS = 150
DEMO_SEED = 11
DUPLICATE_LEADS = "lead_id,created_at,country\nDUP-1,2025-03-01 10:00:00,DE\nDUP-1,2025-03-02 10:00:00,DE\n"
FIXED_LEADS = "lead_id,created_at,country\nDUP-1,2025-03-01 10:00:00,DE\n"
DUPLICATE_KEY = "check_failed:raw.leads:lead_id unique within each file"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
WAIT_SECONDS = 180


def quiet(message: str) -> None:
    """Echo function that drops the job's progress lines."""


# ---------------------------------------------------------------------------------------------
# Alert receivers on 127.0.0.1
# ---------------------------------------------------------------------------------------------


class SmtpRecorder:
    """aiosmtpd handler that keeps the subject of every accepted message."""

    def __init__(self) -> None:
        self.subjects: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - name fixed by aiosmtpd
        message = message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.subjects.append(str(message["Subject"]))
        return "250 Message accepted for delivery"


@dataclass
class Receivers:
    """A webhook receiver and an SMTP server on 127.0.0.1 that record what they get."""

    webhook_texts: list[str] = field(default_factory=list)
    smtp: SmtpRecorder = field(default_factory=SmtpRecorder)

    def mark(self) -> tuple[int, int]:
        return len(self.webhook_texts), len(self.smtp.subjects)

    def since(self, mark: tuple[int, int]) -> tuple[list[str], list[str]]:
        """Return the webhook texts and e-mail subjects received after `mark`."""
        return self.webhook_texts[mark[0]:], self.smtp.subjects[mark[1]:]


def free_local_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def receivers() -> Iterator[Receivers]:
    recorded = Receivers()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                recorded.webhook_texts.append(json.loads(body)["text"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature fixed by the base
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    smtp_port = free_local_port()
    controller = Controller(recorded.smtp, hostname="127.0.0.1", port=smtp_port, ready_timeout=5)
    controller.start()
    with pytest.MonkeyPatch.context() as patch:
        for name in PROXY_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("FUNNELMART_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_address[1]}/services/T1/B2/token")
        patch.setenv("FUNNELMART_SMTP_HOST", "127.0.0.1")
        patch.setenv("FUNNELMART_SMTP_PORT", str(smtp_port))
        patch.setenv("FUNNELMART_SMTP_FROM", "funnelmart@example.test")
        patch.setenv("FUNNELMART_ALERT_EMAIL_TO", "oncall@example.test")
        yield recorded
    controller.stop()
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------------------------------------
# The alert scenario: duplicate key, fix, killed run, re-run
# ---------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    settings: Settings
    blocked_error: ChecksFailed
    blocked_messages: tuple[list[str], list[str]]
    blocked_log_lines: list[dict]
    killed_run_id: str
    killed_messages: tuple[list[str], list[str]]
    after_kill_published: bool
    rerun_messages: tuple[list[str], list[str]]
    rerun_log_lines: list[dict]


def kill_run_when(settings: Settings, ready: Callable[[RunRecord], bool], log_folder: Path) -> str:
    """Start `funnelmart run` in a subprocess, SIGKILL its process group once `ready(run)` holds; return its run id."""
    history = RunHistory(settings.warehouse_dir)
    known = {run.run_id for run in history.runs()}
    with (log_folder / "killed_run.log").open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "run",
             "--landing", str(settings.landing_dir), "--warehouse", str(settings.warehouse_dir)],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + WAIT_SECONDS
        try:
            while time.monotonic() < deadline:
                runs = [run for run in history.runs() if run.run_id not in known]
                if runs and ready(runs[0]):
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=30)
                    return runs[0].run_id
                if process.poll() is not None:
                    break
                time.sleep(0.2)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
    raise AssertionError(f"the run ended or timed out too early: {(log_folder / 'killed_run.log').read_text()}")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, receivers) -> Scenario:
    root = tmp_path_factory.mktemp("alert_scenario")
    landing = root / "landing"
    write_demo_data(landing, leads=DEMO_LEADS, seed=DEMO_SEED)
    (landing / "leads_extra.csv").write_text(DUPLICATE_LEADS, encoding="utf-8")
    settings = Settings.from_env(landing_dir=landing, warehouse_dir=root / "warehouse")
    alert_log = settings.warehouse_dir / "alerts.jsonl"

    mark = receivers.mark()
    with pytest.raises(ChecksFailed) as blocked:
        run_job(settings, echo=quiet)
    blocked_messages = receivers.since(mark)
    blocked_log_lines = read_alert_log(alert_log)

    (landing / "leads_extra.csv").write_text(FIXED_LEADS, encoding="utf-8")
    mark = receivers.mark()

    def recovered(run: RunRecord) -> bool:
        # The raw checks passed and the recovery went out, so the run is building models now.
        checked = any(step.get("step") == "raw_checks" for step in run.steps)
        return checked and any(line["key"] == DUPLICATE_KEY and line["status"] == "resolved" for line in read_alert_log(alert_log))

    killed_run_id = kill_run_when(settings, recovered, root)
    killed_messages = receivers.since(mark)
    published_after_kill = settings.published_db_path.exists()

    mark = receivers.mark()
    lines_before = len(read_alert_log(alert_log))
    run_job(settings, echo=quiet)
    return Scenario(
        settings=settings,
        blocked_error=blocked.value,
        blocked_messages=blocked_messages,
        blocked_log_lines=blocked_log_lines,
        killed_run_id=killed_run_id,
        killed_messages=killed_messages,
        after_kill_published=published_after_kill,
        rerun_messages=receivers.since(mark),
        rerun_log_lines=read_alert_log(alert_log)[lines_before:],
    )


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> Settings:
    """Run the job once on the scenario's final files, in a warehouse of its own, without alert channels."""
    root = tmp_path_factory.mktemp("clean_run")
    write_demo_data(root / "landing", leads=DEMO_LEADS, seed=DEMO_SEED)
    (root / "landing" / "leads_extra.csv").write_text(FIXED_LEADS, encoding="utf-8")
    settings = Settings.from_env(landing_dir=root / "landing", warehouse_dir=root / "warehouse")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("FUNNELMART_ALERT_WEBHOOK_URL", raising=False)
        patch.delenv("FUNNELMART_SMTP_HOST", raising=False)
        run_job(settings, echo=quiet)
    return settings


def mart_rows(published_db: Path) -> dict[str, list[tuple]]:
    """Return every published mart's rows in a fixed order.

    Columns named `*loaded_at` are left out: they record when a file was loaded, which differs
    between any two runs, not a fact of the data.
    """
    with duckdb.connect(str(published_db), read_only=True) as connection:
        columns = connection.execute(
            "select table_name, list(column_name order by ordinal_position) from information_schema.columns "
            "where table_catalog = current_database() and table_schema = 'main' "
            "and not starts_with(table_name, '_') group by 1 order by 1"
        ).fetchall()
        rows = {}
        for table, names in columns:
            kept = ", ".join(f'"{name}"' for name in names if not name.endswith("loaded_at"))
            rows[table] = connection.execute(f'select {kept} from "{table}" order by all').fetchall()
        return rows


def test_duplicate_key_blocks_publishing(scenario):
    assert "DUP-1" in str(scenario.blocked_error)
    assert "leads_extra.csv (raw.leads) was taken out of the raw tables" in str(scenario.blocked_error)


def test_duplicate_key_alerts_once(scenario):
    webhook_texts, email_subjects = scenario.blocked_messages

    assert len(webhook_texts) == 1
    assert webhook_texts[0].startswith("[funnelmart] ERROR: Check 'lead_id unique within each file' failed on raw.leads")
    assert "Values: lead_id=DUP-1 (2 failing rows)" in webhook_texts[0]
    assert "file leads_extra.csv" in webhook_texts[0]
    assert email_subjects == ["[funnelmart] ERROR: Check 'lead_id unique within each file' failed on raw.leads"]
    assert [(line["key"], line["status"]) for line in scenario.blocked_log_lines] == [(DUPLICATE_KEY, "open")]
    assert scenario.blocked_log_lines[0]["deliveries"]["webhook"]["delivered"] is True
    assert scenario.blocked_log_lines[0]["deliveries"]["email"]["delivered"] is True


def test_fixed_file_sends_recovery(scenario):
    webhook_texts, email_subjects = scenario.killed_messages
    log = read_alert_log(scenario.settings.warehouse_dir / "alerts.jsonl")

    recoveries = [text for text in webhook_texts if text.startswith("[funnelmart] RESOLVED: Check 'lead_id unique")]
    assert len(recoveries) == 1
    assert "[funnelmart] RESOLVED: Check 'lead_id unique within each file' failed on raw.leads" in email_subjects
    assert [line["status"] for line in log if line["key"] == DUPLICATE_KEY] == ["open", "resolved"]


def test_killed_run_leaves_datamart_unpublished(scenario):
    runs = {run.run_id: run for run in RunHistory(scenario.settings.warehouse_dir).runs()}

    assert scenario.after_kill_published is False
    assert runs[scenario.killed_run_id].status == "died"
    assert not list(scenario.settings.warehouse_dir.glob("funnelmart.duckdb.tmp-*"))


def test_killed_run_alerts_then_recovers(scenario):
    webhook_texts, email_subjects = scenario.rerun_messages
    run_lines = [line for line in scenario.rerun_log_lines if line["kind"] == "run_failed"]

    assert [line["status"] for line in run_lines] == ["open", "resolved"]
    assert scenario.killed_run_id in run_lines[0]["details"]["run_id"]
    assert "ended without recording its outcome" in run_lines[0]["details"]["error"]
    assert sum(text.startswith("[funnelmart] CRITICAL: Run of funnelmart_job failed") for text in webhook_texts) == 1
    assert "[funnelmart] RESOLVED: Run of funnelmart_job failed" in email_subjects


def test_rerun_matches_clean_run(scenario, clean_run):
    rerun = mart_rows(scenario.settings.published_db_path)
    clean = mart_rows(clean_run.published_db_path)

    assert sorted(rerun) == sorted(clean)
    for table in clean:
        assert rerun[table] == clean[table], table


def test_rerun_loads_each_file_once(scenario, clean_run):
    sql = "select entity, count(*), count(distinct file_hash), sum(rows_loaded) from raw._load_files group by 1 order by 1"
    with duckdb.connect(str(scenario.settings.build_db_path), read_only=True) as connection:
        rerun_files = connection.execute(sql).fetchall()
        [(rerun_leads,)] = connection.execute("select count(*) from raw.leads").fetchall()
    with duckdb.connect(str(clean_run.build_db_path), read_only=True) as connection:
        clean_files = connection.execute(sql).fetchall()

    assert rerun_files == clean_files
    assert all(files == hashes for _, files, hashes, _ in rerun_files)
    assert rerun_leads == DEMO_LEADS + 1


def test_status_shows_operations(scenario):
    from orchestration.cli import main

    result = CliRunner().invoke(
        main,
        ["status", "--landing", str(scenario.settings.landing_dir), "--warehouse", str(scenario.settings.warehouse_dir)],
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    run_lines = [line for line in lines if "  cli  " in line]
    assert [line.split()[4] for line in run_lines] == ["succeeded", "DIED", "BLOCKED"]
    assert any(line.startswith("Checks of run cli-") for line in lines)
    assert any(line.strip().startswith("raw_checks") and "0 failed" in line for line in lines)
    assert any(line.strip().startswith("leads ") and "fresh, window 3d" in line for line in lines)
    assert not any(DUPLICATE_KEY.split(":", 2)[2] in line for line in lines if "WARNING" in line or "ERROR" in line)
    assert f"Published datamart: {scenario.settings.published_db_path}" in lines


def test_status_json_lists_open_alerts(scenario):
    from orchestration.cli import main

    result = CliRunner().invoke(main, ["status", "--json", "--warehouse", str(scenario.settings.warehouse_dir)])

    status = json.loads(result.output)
    assert [run["status"] for run in status["runs"]] == ["succeeded", "died", "blocked"]
    assert DUPLICATE_KEY not in [alert["key"] for alert in status["open_alerts"]]
    assert status["data_docs"].endswith("data_docs/index.html")


def test_data_docs_written_per_run(scenario):
    index = scenario.settings.warehouse_dir / "data_docs" / "index.html"
    runs = RunHistory(scenario.settings.warehouse_dir).runs()

    text = index.read_text(encoding="utf-8")
    assert "raw/leads" in text
    assert "marts/fct_bookings" in text
    for run in runs:
        assert run.run_id in text, run.status


# ---------------------------------------------------------------------------------------------
# Failed and timed-out runs, stale sources, business metrics
# ---------------------------------------------------------------------------------------------


def test_failed_run_alerts(receivers, tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "leads.csv").write_text("", encoding="utf-8")
    settings = Settings.from_env(landing_dir=landing, warehouse_dir=tmp_path / "warehouse")
    mark = receivers.mark()

    with pytest.raises(JobFailed) as raised:
        run_job(settings, echo=quiet)

    webhook_texts, email_subjects = receivers.since(mark)
    assert not isinstance(raised.value, ChecksFailed)
    assert [text.splitlines()[0] for text in webhook_texts if "Run of" in text] == [
        "[funnelmart] CRITICAL: Run of funnelmart_job failed"
    ]
    assert "[funnelmart] CRITICAL: Run of funnelmart_job failed" in email_subjects
    assert "the file is empty" in next(text for text in webhook_texts if "Run of" in text)


def test_timed_out_run_alerts(receivers, tmp_path, monkeypatch):
    monkeypatch.setenv("FUNNELMART_RUN_TIMEOUT_MINUTES", "0.002")
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "leads.csv").write_text(DUPLICATE_LEADS, encoding="utf-8")
    settings = Settings.from_env(landing_dir=landing, warehouse_dir=tmp_path / "warehouse")
    mark = receivers.mark()

    with pytest.raises(ChecksFailed):
        run_job(settings, echo=quiet)

    webhook_texts, _ = receivers.since(mark)
    timeout_texts = [text.splitlines()[0] for text in webhook_texts if "timed out" in text]
    assert timeout_texts == [
        "[funnelmart] CRITICAL: Run of funnelmart_job timed out after 0m",
        "[funnelmart] RESOLVED: Run of funnelmart_job timed out after 0m",
    ]
    [run] = RunHistory(settings.warehouse_dir).runs()
    assert run.timed_out_at is not None


def test_stale_source_alerts_and_recovers(receivers, tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    for name in ("leads.csv", "opportunities.csv", "bookings.csv"):
        (landing / name).write_text("header\n", encoding="utf-8")
    old = time.time() - 5 * 24 * 3600
    os.utime(landing / "leads.csv", (old, old))
    session = RunSession(Settings.from_env(landing_dir=landing, warehouse_dir=tmp_path / "warehouse"), origin="cli")
    mark = receivers.mark()

    stale = session.report_freshness()
    os.utime(landing / "leads.csv")
    session.report_freshness()

    webhook_texts, email_subjects = receivers.since(mark)
    assert [incident.key for incident in stale] == ["stale_source:leads"]
    assert [text.splitlines()[0] for text in webhook_texts] == [
        "[funnelmart] ERROR: No new file from leads within 3d",
        "[funnelmart] RESOLVED: No new file from leads within 3d",
    ]
    assert email_subjects == [text.splitlines()[0] for text in webhook_texts]


def write_business_marts(build_db: Path, last_week_converted: int) -> None:
    """Write five weeks of 40 leads from Monday 2025-03-03: 20 convert to inquiry within a day, except in the last week."""
    first_monday = date(2025, 3, 3)
    rows = []
    for week in range(5):
        converted = last_week_converted if week == 4 else 20
        for lead in range(40):
            created = datetime.combine(first_monday + timedelta(weeks=week, days=lead % 5), datetime.min.time())
            inquiry = created + timedelta(hours=5) if lead < converted else None
            rows.append((f"L{week}-{lead}", created, created, inquiry))
    # The newest lead makes 2025-03-31 the last week whose 14-day conversion window has passed.
    newest = datetime(2025, 4, 25, 9, 0)
    rows.append(("L-late", newest, newest, None))
    with duckdb.connect(str(build_db)) as connection:
        for schema in ("marts", "staging", "reference"):
            connection.execute(f"create schema if not exists {schema}")
        connection.execute(
            "create or replace table marts.fct_lead_funnel "
            "(lead_id varchar, created_at timestamp, raw_lead_at timestamp, inquiry_at timestamp)"
        )
        connection.executemany("insert into marts.fct_lead_funnel values (?, ?, ?, ?)", rows)
        connection.execute(
            "create or replace table staging.stg_landing__campaign_spend "
            "(campaign_id varchar, spend_date date, spend_amount decimal(18, 4), currency_code varchar)"
        )
        connection.execute(
            "create or replace table reference.fx_rates (rate_month date, currency_code varchar, usd_per_unit double)"
        )


def test_business_shift_alerts_and_recovers(receivers, tmp_path):
    settings = Settings.from_env(landing_dir=tmp_path / "landing", warehouse_dir=tmp_path / "warehouse")
    settings.warehouse_dir.mkdir()
    session = RunSession(settings, origin="cli")
    mark = receivers.mark()

    write_business_marts(settings.build_db_path, last_week_converted=4)
    dropped = session.report_business()
    write_business_marts(settings.build_db_path, last_week_converted=20)
    session.report_business()

    webhook_texts, email_subjects = receivers.since(mark)
    conversion = next(item for item in dropped if item.metric.type == "conversion_rate")
    assert conversion.latest_week == date(2025, 3, 31)
    assert conversion.latest_value == pytest.approx(0.1)
    assert [text.splitlines()[0] for text in webhook_texts] == [
        "[funnelmart] WARNING: lead to inquiry conversion fell 80.0% against its 4-week mean",
        "[funnelmart] RESOLVED: lead to inquiry conversion fell 80.0% against its 4-week mean",
    ]
    assert email_subjects == [text.splitlines()[0] for text in webhook_texts]


# ---------------------------------------------------------------------------------------------
# The landing sensor and Dagster asset checks
# ---------------------------------------------------------------------------------------------


def write_settled(path: Path, text: str) -> None:
    """Write a file and date it a minute back, past the sensor's settle time."""
    path.write_text(text, encoding="utf-8")
    past = time.time() - 60
    os.utime(path, (past, past))


def evaluate_sensor(landing: Path, cursor: str | None):
    from orchestration.defs.resources import FunnelmartSettings
    from orchestration.defs.sensors import landing_files_sensor

    context = build_sensor_context(
        cursor=cursor, resources={"funnelmart": FunnelmartSettings(landing_dir=str(landing), warehouse_dir="")}
    )
    return landing_files_sensor(context)


def test_sensor_starts_each_file_once(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    write_settled(landing / "leads.csv", "lead_id,created_at\nL1,2025-01-01 00:00:00\n")

    first = evaluate_sensor(landing, None)
    # A restart: a new evaluation with only the cursor Dagster stored.
    after_restart = evaluate_sensor(landing, first.cursor)
    write_settled(landing / "leads_2.csv", "lead_id,created_at\nL2,2025-01-02 00:00:00\n")
    second = evaluate_sensor(landing, after_restart.cursor)
    os.utime(landing / "leads.csv")  # touched, same content
    write_settled(landing / "bookings.csv", "booking_id\n")
    os.utime(landing / "bookings.csv")  # still being written
    third = evaluate_sensor(landing, second.cursor)

    assert [request.tags["funnelmart/new_files"] for request in first.run_requests] == ["leads.csv"]
    assert after_restart.run_requests == []
    assert [request.tags["funnelmart/new_files"] for request in second.run_requests] == ["leads_2.csv"]
    assert third.run_requests == []
    assert "bookings.csv" not in json.loads(third.cursor)["files"]


def test_sensor_run_key_survives_lost_cursor(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    write_settled(landing / "leads.csv", "lead_id,created_at\nL1,2025-01-01 00:00:00\n")

    first = evaluate_sensor(landing, None)
    # The cursor update of the first evaluation was lost: Dagster gets the same request again.
    repeated = evaluate_sensor(landing, None)

    assert [request.run_key for request in repeated.run_requests] == [request.run_key for request in first.run_requests]


def test_dagster_checks_cover_dbt_and_suites(dbt_manifest):
    from orchestration.definitions import build_definitions

    repository = build_definitions().get_repository_def()
    check_keys = repository.asset_graph.asset_check_keys
    names_by_asset: dict[tuple[str, ...], set[str]] = {}
    for key in check_keys:
        names_by_asset.setdefault(tuple(key.asset_key.path), set()).add(key.name)

    assert {"raw_suite"} <= names_by_asset[("landing", "leads")]
    assert {"ge_suite", "reconciliation"} <= names_by_asset[("marts", "fct_bookings")]
    assert "unique_fct_bookings_booking_id" in names_by_asset[("marts", "fct_bookings")]
    assert {sensor.name for sensor in repository.sensor_defs} >= {
        "landing_files_sensor", "run_failure_alerts", "run_success_recorder", "operations_monitor_sensor",
    }


def dagster_resources(settings: Settings) -> dict:
    from orchestration.defs.resources import FunnelmartSettings, dbt_resource

    return {
        "dbt": dbt_resource(),
        "funnelmart": FunnelmartSettings(landing_dir=str(settings.landing_dir), warehouse_dir=str(settings.warehouse_dir)),
    }


def test_failing_raw_check_blocks_downstream(dbt_manifest, tmp_path):
    from orchestration.defs.checks import build_mart_checks
    from orchestration.defs.dbt_assets import build_dbt_assets
    from orchestration.defs.publish_assets import build_publish_asset
    from orchestration.defs.raw_assets import load_landing_files

    write_demo_data(tmp_path / "landing", leads=DEMO_LEADS, seed=DEMO_SEED)
    (tmp_path / "landing" / "leads_extra.csv").write_text(DUPLICATE_LEADS, encoding="utf-8")
    settings = Settings.from_env(landing_dir=tmp_path / "landing", warehouse_dir=tmp_path / "warehouse")
    dbt_assets = build_dbt_assets()

    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [load_landing_files, dbt_assets, build_mart_checks(dbt_assets), build_publish_asset(dbt_assets)],
            resources=dagster_resources(settings),
            instance=instance,
            raise_on_error=False,
        )

    evaluations = {
        (tuple(evaluation.asset_key.path), evaluation.check_name): evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }
    materialized = {tuple(event.asset_key.path) for event in result.get_asset_materialization_events()}
    assert result.success is False
    assert evaluations[(("landing", "leads"), "raw_suite")] is False
    assert evaluations[(("landing", "bookings"), "raw_suite")] is True
    assert ("landing", "leads") in materialized
    assert not any(key[0] == "marts" for key in materialized)
    assert ("published_datamart",) not in materialized
    assert not settings.published_db_path.exists()
    [run] = RunHistory(settings.warehouse_dir).runs()
    assert run.origin == "dagster"
    assert [step["step"] for step in run.steps] == ["load", "raw_checks"]


def test_failing_mart_check_blocks_publish(dbt_manifest, clean_run, tmp_path):
    import shutil

    from dagster import AssetSelection

    from orchestration.defs.checks import build_mart_checks
    from orchestration.defs.dbt_assets import build_dbt_assets
    from orchestration.defs.publish_assets import build_publish_asset

    shutil.copytree(clean_run.warehouse_dir, tmp_path / "warehouse")
    settings = Settings.from_env(landing_dir=clean_run.landing_dir, warehouse_dir=tmp_path / "warehouse")
    published_before = settings.published_db_path.read_bytes()
    with duckdb.connect(str(settings.build_db_path)) as connection:
        # A booking counted twice: breaks the booking_id key and the reconciliation with raw.bookings.
        connection.execute("insert into marts.fct_bookings select * from marts.fct_bookings limit 1")
    dbt_assets = build_dbt_assets()
    mart_checks = build_mart_checks(dbt_assets)
    publish = build_publish_asset(dbt_assets)

    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [dbt_assets, mart_checks, publish],
            resources=dagster_resources(settings),
            instance=instance,
            raise_on_error=False,
            selection=AssetSelection.checks(mart_checks) | AssetSelection.assets(publish),
        )

    evaluations = {
        (tuple(evaluation.asset_key.path), evaluation.check_name): evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }
    assert evaluations[(("marts", "fct_bookings"), "ge_suite")] is False
    assert evaluations[(("marts", "fct_bookings"), "reconciliation")] is False
    assert evaluations[(("marts", "fct_lead_funnel"), "reconciliation")] is True
    assert not [event for event in result.get_asset_materialization_events() if event.asset_key == AssetKey(["published_datamart"])]
    assert settings.published_db_path.read_bytes() == published_before
