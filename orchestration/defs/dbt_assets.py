"""Every dbt model, seed and test as Dagster assets and checks (dagster-dbt).

dagster-dbt turns each dbt test into an asset check of the model it tests. A failed build
is retried with backoff when its error is transient (a locked database file), and fails at
once otherwise, for example when a dbt test fails.
"""

# No `from __future__ import annotations` here: Dagster reads the context annotation at definition time.

import os
from typing import Any

from dagster import AssetExecutionContext, Failure
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.defs.operations import retry_policy, session_for, warehouse_step
from orchestration.defs.resources import FunnelmartSettings
from orchestration.operations.retries import is_transient_error
from orchestration.operations.session import summarize_dbt
from orchestration.settings import PROJECT_DIR
from orchestration.transform import DbtNodeResult, dbt_environment, failing_rows_message

# dbt's own DBT_TARGET_PATH moves its target folder; the manifest is read from the same place.
DBT_PROJECT = DbtProject(
    project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target_path=os.environ.get("DBT_TARGET_PATH", "target")
)
FAILED_STATUSES = ("error", "fail", "runtime error")


class TransientDbtError(Exception):
    """dbt failed for a reason a retry can fix, such as a database file locked by another process."""


def manifest_path():
    """Return target/manifest.json, which `dbt parse` writes; fail with the fix if it is missing."""
    path = DBT_PROJECT.manifest_path
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing. Run `make manifest` (or `dbt parse`) in {PROJECT_DIR} before loading the Dagster definitions."
        )
    return path


def build_dbt_assets():
    # As in the CLI job, dbt unit tests are left out because they test model logic, not the data.
    @dbt_assets(
        manifest=manifest_path(),
        project=DBT_PROJECT,
        name="funnelmart_dbt",
        exclude="resource_type:unit_test",
        retry_policy=retry_policy(),
    )
    def funnelmart_dbt(context: AssetExecutionContext, dbt: DbtCliResource, funnelmart: FunnelmartSettings):
        settings = funnelmart.settings()
        session = session_for(context, settings)
        with warehouse_step(settings, context, "dbt build"), dbt_environment(settings):
            invocation = dbt.cli(["build"], context=context, raise_on_error=False)
            yield from invocation.stream()
            nodes = nodes_from_run_results(_run_results(invocation))
        successful = invocation.is_successful()
        failed = [node for node in nodes if node.status in FAILED_STATUSES]
        session.record_step(
            "build",
            "succeeded" if successful else "failed",
            checks=summarize_dbt(nodes),
            model_errors=sum(1 for node in failed if node.resource_type not in ("test", "unit_test")),
        )
        session.report_dbt(nodes)
        if successful:
            return
        text = "\n".join(f"  {node.unique_id}: {node.status} {node.message}".rstrip() for node in failed)
        text = text or "  dbt exited with an error before any node ran; see the step's logs."
        if any(is_transient_error(node.message) for node in failed) or (not failed and is_transient_error(text)):
            raise TransientDbtError(f"dbt build failed with a transient error, so it is retried:\n{text}")
        raise Failure(description=f"dbt build failed:\n{text}", allow_retries=False)

    return funnelmart_dbt


def _run_results(invocation: Any) -> dict[str, Any] | None:
    """Return run_results.json of the invocation, or None when dbt stopped before writing it."""
    try:
        return invocation.get_artifact("run_results.json")
    except (OSError, ValueError):
        return None


def nodes_from_run_results(run_results: dict[str, Any] | None) -> list[DbtNodeResult]:
    """Convert dbt's run_results.json into DbtNodeResults, the shape the CLI's dbt runner returns."""
    nodes = []
    for result in (run_results or {}).get("results", []):
        unique_id = str(result.get("unique_id", ""))
        status = str(result.get("status") or "").lower()
        nodes.append(
            DbtNodeResult(
                unique_id=unique_id,
                resource_type=unique_id.split(".", 1)[0],
                status=status,
                message=(
                    failing_rows_message(result["failures"])
                    if status in ("fail", "warn") and result.get("failures") is not None
                    else str(result.get("message") or "")
                ),
            )
        )
    return nodes
