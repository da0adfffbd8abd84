"""The `funnelmart` command line: run the job, make demo data, import exports, query the datamart."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import click

from orchestration.logs import configure_logging
from orchestration.settings import PROJECT_DIR, Settings

DEFAULT_DEMO_LANDING = PROJECT_DIR / "landing" / "demo"
DEFAULT_DEMO_LEADS = 5000
DEFAULT_DEMO_SEED = 42

directory = click.Path(file_okay=False, path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", "-v", is_flag=True, help="Log every step in detail (default: warnings and errors only).")
def main(verbose: bool) -> None:
    """funnelmart: a Demand-to-Close datamart on DuckDB, built with dbt and Dagster."""
    configure_logging(verbose)


@main.command()
@click.option(
    "--landing",
    type=directory,
    default=None,
    help=f"Folder of raw files in the raw contract. Default: the demo data in {DEFAULT_DEMO_LANDING.relative_to(PROJECT_DIR)}/, "
    "generated on first use.",
)
@click.option(
    "--warehouse",
    type=directory,
    default=None,
    help="Folder for build.duckdb and the published funnelmart.duckdb. Default: warehouse/ in the project folder, or FUNNELMART_WAREHOUSE_DIR.",
)
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Rebuild the web sessions from every raw visit instead of adding the new ones, e.g. after changing "
    "the session or bot rules. The pipeline snapshot keeps its history.",
)
@click.option(
    "--dbt-vars",
    default=None,
    help="YAML of dbt variables for the build, e.g. '{stage_owner_teams: {contact: marketing}}' "
    "(docs/web-and-attribution.md and docs/funnel-rules.md list them).",
)
def run(landing: Path | None, warehouse: Path | None, full_refresh: bool, dbt_vars: str | None) -> None:
    """Load raw files, build the models, check quality and publish the datamart."""
    from orchestration.pipeline import JobFailed, run_job

    if landing is None:
        landing = DEFAULT_DEMO_LANDING
        if not landing.is_dir() or not any(landing.iterdir()):
            ensure_demo_data(landing)
    settings = Settings.from_env(landing_dir=landing, warehouse_dir=warehouse)
    try:
        result = run_job(
            settings, echo=lambda message: click.echo(message, err=True), full_refresh=full_refresh, dbt_vars=dbt_vars
        )
    except JobFailed as error:
        click.echo(f"\nfunnelmart run failed: {error}", err=True)
        sys.exit(1)
    click.echo(result.summary_text())


@main.command()
@click.option("--landing", type=directory, required=True, help="Folder of raw files in the raw contract.")
@click.option("--warehouse", type=directory, default=None, help="Folder for build.duckdb. Default: warehouse/ in the project folder, or FUNNELMART_WAREHOUSE_DIR.")
@click.option(
    "--dbt-vars",
    default=None,
    help="YAML of dbt variables, e.g. '{expected_fixture: dbt_small}' to run the fixture's figure tests.",
)
def build(landing: Path, warehouse: Path | None, dbt_vars: str | None) -> None:
    """Load raw files and run dbt build (models and tests), without the quality gate or publishing."""
    from orchestration.pipeline import JobFailed, load_and_build

    settings = Settings.from_env(landing_dir=landing, warehouse_dir=warehouse)
    try:
        load, result = load_and_build(
            settings,
            echo=lambda message: click.echo(message, err=True),
            dbt_arguments=["--vars", dbt_vars] if dbt_vars else None,
        )
    except JobFailed as error:
        click.echo(f"\nfunnelmart build failed: {error}", err=True)
        sys.exit(1)
    totals = load.totals()
    click.echo(
        f"Loaded {totals['rows_loaded']:,} rows ({totals['rows_quarantined']:,} quarantined); "
        f"built {result.count('model')} models; {result.count('test', 'pass')} tests passed, "
        f"{len(result.warnings())} warned. Build database: {settings.build_db_path}"
    )


def ensure_demo_data(landing: Path) -> None:
    from orchestration.demo_data import write_demo_data

    click.echo(f"No raw files in {landing}: writing demo data ({DEFAULT_DEMO_LEADS} leads, seed {DEFAULT_DEMO_SEED}).", err=True)
    write_demo_data(landing, leads=DEFAULT_DEMO_LEADS, seed=DEFAULT_DEMO_SEED)


@main.command(name="demo-data")
@click.option("--landing", type=directory, required=True, help="Folder to write the demo raw files into (created if missing).")
@click.option("--leads", type=click.IntRange(min=1), default=DEFAULT_DEMO_LEADS, show_default=True, help="Number of leads to generate.")
@click.option("--seed", type=int, default=DEFAULT_DEMO_SEED, show_default=True, help="Random seed; the same seed and size give identical files.")
def demo_data(landing: Path, leads: int, seed: int) -> None:
    """Write a deterministic demo data set in the raw contract, with its planted truth."""
    from orchestration.demo_data import write_demo_data

    truth = write_demo_data(landing, leads=leads, seed=seed)
    click.echo(f"Wrote demo data for {leads} leads (seed {seed}) to {landing}")
    click.echo(f"Planted truth: {landing / 'demo_truth.json'}")
    del truth


@main.command(name="import")
@click.option("--profile", required=True, help="A shipped profile name (olist, maven) or the path of a profile YAML file.")
@click.option("--from", "source_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True, help="Folder holding the export's files.")
@click.option("--landing", type=directory, required=True, help="Folder to write the raw contract files into (created if missing).")
def import_command(profile: str, source_dir: Path, landing: Path) -> None:
    """Convert a CRM or marketing export into raw contract files with an import profile."""
    from orchestration.importer import ImporterError, import_export

    try:
        report = import_export(profile, source_dir, landing)
    except ImporterError as error:
        click.echo(f"funnelmart import failed: {error}", err=True)
        sys.exit(1)
    click.echo(report.summary_text())


@main.command()
@click.argument("query")
@click.option("--warehouse", type=directory, default=None, help="Folder holding the published funnelmart.duckdb. Default: warehouse/ in the project folder, or FUNNELMART_WAREHOUSE_DIR.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--build",
    "use_build_db",
    is_flag=True,
    help="Query build.duckdb instead, with schema names: raw (and raw._quarantine), staging, intermediate, "
    "reference, marts.",
)
def sql(query: str, warehouse: Path | None, output_format: str, use_build_db: bool) -> None:
    """Run a read-only SQL query against the published datamart (tables by plain name, e.g. fct_bookings)."""
    from orchestration.query import QueryError, run_sql

    settings = Settings.from_env(warehouse_dir=warehouse)
    database = settings.build_db_path if use_build_db else settings.published_db_path
    try:
        click.echo(run_sql(database, query, output_format))
    except QueryError as error:
        click.echo(f"funnelmart sql failed: {error}", err=True)
        sys.exit(1)


@main.command()
@click.option(
    "--to",
    "target",
    type=click.Choice(["postgres"]),
    required=True,
    help="Where to publish: postgres (FUNNELMART_PG_URL, or the local server of `funnelmart serve`).",
)
@click.option("--warehouse", type=directory, default=None, help="Folder holding the published funnelmart.duckdb. Default: warehouse/ in the project folder, or FUNNELMART_WAREHOUSE_DIR.")
def publish(target: str, warehouse: Path | None) -> None:
    """Copy the validated datamart into PostgreSQL in one transaction, for BI tools over ODBC."""
    from orchestration.serving import publish_to_configured_postgres
    from orchestration.serving.roles import PASSWORD_ENVS

    settings = Settings.from_env(warehouse_dir=warehouse)
    if not settings.published_db_path.exists():
        click.echo(f"No published datamart at {settings.published_db_path}. Run `funnelmart run` first.", err=True)
        sys.exit(1)
    try:
        report = publish_to_configured_postgres(settings.published_db_path, manifest_path=manifest_path())
    except RuntimeError as error:
        # No server configured, a missing password variable, or a swap that timed out waiting for readers.
        click.echo(f"funnelmart publish failed: {error}", err=True)
        sys.exit(1)
    click.echo(
        f"Published {len(report.tables)} tables and {len(report.views)} views to PostgreSQL schema {report.schema} "
        f"in {report.seconds:.1f} s"
    )
    click.echo(f"Role passwords set from {' and '.join(PASSWORD_ENVS.values())}.")


@main.command()
@click.option("--port", type=click.IntRange(1024, 65535), default=None, help="TCP port on 127.0.0.1. Default: 5433.")
@click.option("--data-dir", type=directory, default=None, help="PostgreSQL data directory. Default: .pgdata/ in the project folder.")
@click.option("--warehouse", type=directory, default=None, help="Folder holding the published funnelmart.duckdb. Default: warehouse/ in the project folder, or FUNNELMART_WAREHOUSE_DIR.")
@click.option("--stop", "stop_server", is_flag=True, help="Stop the server that runs from the data directory, then exit.")
def serve(port: int | None, data_dir: Path | None, warehouse: Path | None, stop_server: bool) -> None:
    """Start a local PostgreSQL on 127.0.0.1 with the datamart, for BI tools over ODBC.

    Ctrl-C or SIGTERM stops it; `funnelmart serve --stop` stops a server left running.
    """
    from orchestration.serving import DEFAULT_DATA_DIR, DEFAULT_PORT, WRITER_ROLE, publish_to_postgres, start_local_server
    from orchestration.serving.local_server import find_running_local_server

    data_dir = Path(data_dir or DEFAULT_DATA_DIR).resolve()
    try:
        if stop_server:
            running = find_running_local_server(data_dir)
            if running is not None:
                running.stop()
            click.echo(f"No PostgreSQL server runs from {data_dir} now.")
            return
        server = start_local_server(data_dir, port or DEFAULT_PORT)
    except RuntimeError as error:
        click.echo(f"funnelmart serve failed: {error}", err=True)
        sys.exit(1)
    # A service manager or `kill` sends SIGTERM: stop the server as on Ctrl-C instead of leaving it running.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    settings = Settings.from_env(warehouse_dir=warehouse)
    try:
        if settings.published_db_path.exists():
            publish_to_postgres(settings.published_db_path, server.conninfo(WRITER_ROLE), manifest_path=manifest_path())
        else:
            click.echo(f"No published datamart at {settings.published_db_path} yet; run `funnelmart run`, then "
                       "`funnelmart publish --to postgres`.", err=True)
        for line in server.summary_lines():
            click.echo(line)
        click.echo("Press Ctrl-C to stop the server.")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("Stopping the server.")
    finally:
        server.stop()


@main.command()
@click.option("--landing", type=directory, default=None, help="Landing folder whose files count for freshness. Default: ./landing.")
@click.option("--warehouse", type=directory, default=None, help="Folder that contains the run history and alert state. Default: warehouse/ in the project folder, or FUNNELMART_WAREHOUSE_DIR.")
@click.option("--runs", "run_count", type=click.IntRange(min=1), default=10, show_default=True, help="Number of runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON instead of text.")
def status(landing: Path | None, warehouse: Path | None, run_count: int, as_json: bool) -> None:
    """Show the last runs, their check results, freshness per source and open alerts."""
    import json

    from orchestration.operations.config import OperationsConfigError, load_operations_config
    from orchestration.operations.status import collect_status

    settings = Settings.from_env(landing_dir=landing, warehouse_dir=warehouse)
    try:
        config = load_operations_config()
    except OperationsConfigError as error:
        click.echo(f"funnelmart status failed: {error}", err=True)
        sys.exit(1)
    report = collect_status(settings, config, limit=run_count)
    click.echo(json.dumps(report.to_dict(), indent=2, default=str) if as_json else report.text())


def _raise_keyboard_interrupt(signal_number: int, frame: object) -> None:
    raise KeyboardInterrupt


def manifest_path() -> Path | None:
    """Return dbt's manifest.json when present; its column descriptions become PostgreSQL comments."""
    path = PROJECT_DIR / "target" / "manifest.json"
    return path if path.exists() else None


if __name__ == "__main__":
    main()
