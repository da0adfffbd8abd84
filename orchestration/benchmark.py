"""Time the main job and each of its steps on demo data of several sizes; `make benchmark` runs this.

The job runs exactly as `funnelmart run` does, and a step lasts from its progress line to the
next one. Prints a Markdown table of wall-clock seconds and peak memory. Results are recorded
by hand in docs/benchmarks.md together with the machine they were measured on.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from orchestration.demo_data import write_demo_data
from orchestration.pipeline import run_job
from orchestration.settings import Settings

T = TypeVar("T")

DEFAULT_SIZES = (5_000, 50_000)
# The first words of the job's progress lines, and the step each one starts.
STEP_LINES = {
    "Loading raw files": "load_s",
    "Checking the raw tables": "raw_checks_s",
    "Building models with dbt": "dbt_build_s",
    "Writing the candidate datamart": "gate_and_publish_s",
    "Published": "summary_s",
}


def peak_rss_mib() -> tuple[float, float]:
    """Return the peak resident memory of this process and of its finished children (dbt), in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def timed(step: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    value = step()
    return value, time.perf_counter() - started


def benchmark_size(leads: int, work_dir: Path) -> dict[str, float]:
    """Generate a demo data set of the given size and run the main job on it; return seconds per step."""
    landing = work_dir / f"landing-{leads}"
    settings = Settings.from_env(landing_dir=landing, warehouse_dir=work_dir / f"warehouse-{leads}")
    _, generate_seconds = timed(lambda: write_demo_data(landing, leads=leads, seed=42))
    marks: list[tuple[float, str]] = []

    def record(message: str) -> None:
        step = next((name for start, name in STEP_LINES.items() if message.startswith(start)), None)
        if step is not None:
            marks.append((time.perf_counter(), step))

    result, job_seconds = timed(lambda: run_job(settings, echo=record))
    end = time.perf_counter()
    steps = {name: 0.0 for name in STEP_LINES.values()}
    for (started, name), (next_started, _) in zip(marks, [*marks[1:], (end, "")]):
        steps[name] += next_started - started
    own_mib, children_mib = peak_rss_mib()
    return {
        "leads": leads,
        "rows_loaded": result.load.totals()["rows_loaded"],
        "generate_s": generate_seconds,
        "job_s": job_seconds,
        **steps,
        "peak_rss_python_mib": own_mib,
        "peak_rss_dbt_mib": children_mib,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the main job's steps on demo data.")
    parser.add_argument(
        "--leads", type=int, nargs="+", default=list(DEFAULT_SIZES), help="Demo sizes in leads (default: 5000 50000)."
    )
    arguments = parser.parse_args()
    print(f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(
        "| leads | rows loaded | generate s | job s | load s | raw checks s | dbt build s | gate + publish s "
        "| peak RSS Python MiB | peak RSS dbt MiB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="funnelmart-benchmark-") as work_dir:
        for leads in arguments.leads:
            row = benchmark_size(leads, Path(work_dir))
            print(
                f"| {row['leads']:,} | {row['rows_loaded']:,} | {row['generate_s']:.1f} | {row['job_s']:.1f} | "
                f"{row['load_s']:.1f} | {row['raw_checks_s']:.1f} | {row['dbt_build_s']:.1f} | "
                f"{row['gate_and_publish_s']:.1f} | {row['peak_rss_python_mib']:.0f} | {row['peak_rss_dbt_mib']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
