"""Web sessions, identity stitching and attribution on the hand-computed fixture dbt_web.

The figures come from tests/fixtures/dbt_web/EXPECTED.md. One module-scoped build loads the
fixture and runs `dbt build` with its figure tests. The incremental test then continues a copy
of that warehouse with the files in tests/fixtures/dbt_web/second_run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.pipeline import load_and_build
from orchestration.settings import PROJECT_DIR, Settings
from orchestration.transform import SKIP_UNIT_TESTS

FIXTURE_DIR = PROJECT_DIR / "tests" / "fixtures" / "dbt_web"
SECOND_RUN_DIR = FIXTURE_DIR / "second_run"
# Every run passes the same variables, so dbt's partial parse of the first run is reused.
DBT_VARS = ["--vars", "{expected_fixture: dbt_web}"]
ATTRIBUTION_MODELS = ["first_touch", "last_touch", "linear", "u_shaped", "w_shaped"]
SESSION_COLUMNS = (
    "session_key, visitor_id, first_visit_id, identity_key, lead_id, visitor_session_number, "
    "identity_session_number, is_returning_visitor, is_before_identification, session_start_reason, "
    "session_start_at, session_end_at, duration_seconds, page_view_count, event_count, landing_page_path, "
    "exit_page_path, campaign_id, is_campaign_mapped, channel_code, last_loaded_at"
)


def copy_landing_files(source: Path, target: Path) -> None:
    """Copy the CSV files of a fixture folder (not its subfolders) into a landing folder."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.csv")):
        shutil.copy(path, target / path.name)


def build(settings: Settings, *arguments: str) -> None:
    load_and_build(settings, echo=lambda message: None, dbt_arguments=[*DBT_VARS, *arguments])


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.build_db_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def sessions_by_first_visit(settings: Settings) -> dict[str, dict]:
    """Return every row of fct_web_sessions as a dict of its columns, keyed by first_visit_id."""
    with duckdb.connect(str(settings.build_db_path), read_only=True) as connection:
        cursor = connection.execute(f"select {SESSION_COLUMNS} from marts.fct_web_sessions")
        names = [column[0] for column in cursor.description]
        return {row[2]: dict(zip(names, row)) for row in cursor.fetchall()}


@pytest.fixture(scope="module")
def dbt_paths(tmp_path_factory) -> Iterator[None]:
    """Give dbt its own target and log folders, so the test never touches the project's target/."""
    root = tmp_path_factory.mktemp("dbt")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(root / "target"))
        patch.setenv("DBT_LOG_PATH", str(root / "logs"))
        yield


@pytest.fixture(scope="module")
def web_build(tmp_path_factory, dbt_paths) -> Settings:
    """Load the fixture, run the dbt build with its figure tests, and return the settings.

    dbt's unit tests are left out: `make test` runs them once, on tests/fixtures/dbt_small.
    """
    root = tmp_path_factory.mktemp("dbt_web")
    copy_landing_files(FIXTURE_DIR, root / "landing")
    settings = Settings.from_env(landing_dir=root / "landing", warehouse_dir=root / "warehouse")
    build(settings, *SKIP_UNIT_TESTS)
    return settings


def test_weights_sum_to_one(web_build):
    rows = query(
        web_build,
        "select conversion_type, conversion_id, attribution_model, sum(attribution_weight) "
        "from marts.bdg_attribution group by all",
    )

    assert len(rows) == 8 * len(ATTRIBUTION_MODELS)
    for conversion_type, conversion_id, model, weight_total in rows:
        assert weight_total == Decimal(1), (conversion_type, conversion_id, model)


def test_attributed_bookings_match_total(web_build):
    [(booking_total,)] = query(web_build, "select sum(reporting_amount) from marts.fct_bookings")
    rows = query(
        web_build,
        "select attribution_model, sum(attributed_amount) from marts.bdg_attribution "
        "where conversion_type = 'booking' group by all",
    )

    assert booking_total == Decimal("15540.61")
    assert dict(rows) == {model: Decimal("15540.61") for model in ATTRIBUTION_MODELS}


def test_attributed_amounts_match_each_conversion(web_build):
    rows = query(
        web_build,
        "select conversion_id, attribution_model, max(conversion_amount), sum(attributed_amount) "
        "from marts.bdg_attribution group by all",
    )

    for conversion_id, model, conversion_amount, attributed_total in rows:
        assert attributed_total == conversion_amount, (conversion_id, model)


def test_w_shaped_splits_two_touches(web_build):
    rows = query(
        web_build,
        "select touchpoint_type, attribution_weight, attributed_amount from marts.bdg_attribution "
        "where conversion_id = 'OB' and attribution_model = 'w_shaped' order by touchpoint_position",
    )

    assert rows == [
        ("web_session", Decimal("0.333333333"), Decimal("2145.560000")),
        ("lead_campaign", Decimal("0.666666667"), Decimal("4291.120000")),
    ]


def test_untouched_conversions_get_placeholder(web_build):
    rows = query(
        web_build,
        "select conversion_id, count(*), sum(attribution_weight) from marts.bdg_attribution "
        "where touchpoint_type = '(no touchpoint)' group by all order by 1",
    )

    assert rows == [(conversion_id, 5, Decimal(5)) for conversion_id in ("BC", "BX", "OC", "OX")]


def test_bots_make_no_sessions(web_build):
    excluded = query(
        web_build,
        "select visitor_id, traffic_class, matched_rule_type from intermediate.int_web_visitors_classified "
        "where is_excluded order by 1",
    )
    [(sessions, visitors_with_sessions, returning)] = query(
        web_build,
        "select count(*), count(distinct visitor_id), count(*) filter (where is_returning_visitor) "
        "from marts.fct_web_sessions",
    )
    [(excluded_sessions,)] = query(
        web_build,
        "select count(*) from marts.fct_web_sessions where visitor_id in ('v-dev', 'v-google', 'v-script')",
    )

    assert excluded == [
        ("v-dev", "internal", "internal_url_host"),
        ("v-google", "crawler", "user_agent"),
        ("v-script", "bot", "request_rate"),
    ]
    assert (sessions, visitors_with_sessions, returning) == (13, 8, 6)
    assert excluded_sessions == 0


def test_earlier_sessions_join_lead(web_build):
    rows = query(
        web_build,
        "select first_visit_id, lead_id, is_before_identification, identity_session_number "
        "from marts.fct_web_sessions where visitor_id in ('v-ana', 'v-ana-phone') order by session_start_at",
    )

    assert rows == [
        ("W01", "LA", True, 1),
        ("W03", "LA", True, 2),
        ("W04", "LA", True, 3),
        ("W06", "LA", False, 4),
        ("W07", "LA", True, 5),
    ]


def test_incremental_equals_full_refresh(web_build, tmp_path):
    # Arrange: continue a copy of the first build, and mark the session of a visitor that the
    # second run does not touch, to see that the incremental run leaves it alone.
    shutil.copytree(web_build.landing_dir, tmp_path / "landing")
    shutil.copytree(web_build.build_db_path.parent, tmp_path / "warehouse")
    settings = Settings.from_env(landing_dir=tmp_path / "landing", warehouse_dir=tmp_path / "warehouse")
    with duckdb.connect(str(settings.build_db_path)) as connection:
        connection.execute("update marts.fct_web_sessions set exit_page_path = '(kept)' where visitor_id = 'v-news'")
    copy_landing_files(SECOND_RUN_DIR, settings.landing_dir)
    no_tests = ["--exclude", "resource_type:test", "resource_type:unit_test"]

    # Act: build incrementally, then rebuild the sessions from scratch.
    build(settings, "--select", "+fct_web_sessions", "+bdg_attribution", *no_tests)
    incremental = sessions_by_first_visit(settings)
    oc_credit = query(
        settings,
        "select attribution_model, campaign_id, attribution_weight from marts.bdg_attribution "
        "where conversion_id = 'OC' order by 1",
    )
    build(settings, "--select", "fct_web_sessions", "--full-refresh", *no_tests)
    full = sessions_by_first_visit(settings)

    # Assert: equal except the marked session, which only the full refresh rebuilt.
    assert incremental["W16"]["exit_page_path"] == "(kept)"
    assert full["W16"]["exit_page_path"] == "/blog"
    del incremental["W16"], full["W16"]
    assert incremental == full
    assert len(full) == 11

    assert "W23" not in full  # v-late-bot exceeded the request rate in the second file
    assert full["W06"]["exit_page_path"] == "/pricing"  # W06's session continued in the second file
    assert full["W06"]["event_count"] == 2
    assert "W09" not in full  # the late event W27 now starts Ben's first session
    assert full["W27"]["event_count"] == 3
    assert full["W14"]["lead_id"] == "LC"  # v-anon's earlier sessions joined Cy when she filled a form
    assert full["W12"]["identity_session_number"] == 3  # Cy's own cookie now has her third session
    assert (full["W07"]["campaign_id"], full["W07"]["is_campaign_mapped"]) == ("PROMO-X", True)
    assert oc_credit == [(model, "C1", Decimal(1)) for model in ATTRIBUTION_MODELS]
