"""Time each step of the main job on demo data of several sizes; `make benchmark` runs this.

Prints a Markdown table of wall-clock seconds and peak memory per step. Results are
recorded by hand in docs/benchmarks.md together with the machine they were measured on.
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
from orchestration.loading import load_landing
from orchestration.pipeline import check_and_publish
from orchestration.settings import Settings
from orchestration.transform import run_dbt_build

T = TypeVar("T")

DEFAULT_SIZES = (5_000, 50_000)


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
    """Run every step once on a fresh demo data set of the given size; return seconds per step."""
    landing = work_dir / f"landing-{leads}"
    settings = Settings.from_env(landing_dir=landing, warehouse_dir=work_dir / f"warehouse-{leads}")
    _, generate_seconds = timed(lambda: write_demo_data(landing, leads=leads, seed=42))
    report, load_seconds = timed(lambda: load_landing(settings))
    _, build_seconds = timed(lambda: run_dbt_build(settings))
    _, publish_seconds = timed(lambda: check_and_publish(settings, echo=lambda message: None))
    own_mib, children_mib = peak_rss_mib()
    return {
        "leads": leads,
        "rows_loaded": report.totals()["rows_loaded"],
        "generate_s": generate_seconds,
        "load_s": load_seconds,
        "dbt_build_s": build_seconds,
        "gate_and_publish_s": publish_seconds,
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
    print("| leads | rows loaded | generate s | load s | dbt build s | gate + publish s | peak RSS Python MiB | peak RSS dbt MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="funnelmart-benchmark-") as work_dir:
        for leads in arguments.leads:
            row = benchmark_size(leads, Path(work_dir))
            print(
                f"| {row['leads']:,} | {row['rows_loaded']:,} | {row['generate_s']:.1f} | {row['load_s']:.1f} | "
                f"{row['dbt_build_s']:.1f} | {row['gate_and_publish_s']:.1f} | {row['peak_rss_python_mib']:.0f} | "
                f"{row['peak_rss_dbt_mib']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
