"""Loading landing files into raw tables: quirks of real exports, quarantine, idempotence, errors."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.loading import LandingFileError, load_landing
from orchestration.settings import Settings


def make_settings(tmp_path: Path, time_zone: str = "UTC") -> Settings:
    landing = tmp_path / "landing"
    landing.mkdir(exist_ok=True)
    return Settings(
        landing_dir=landing,
        warehouse_dir=tmp_path / "warehouse",
        source_time_zone=time_zone,
        reporting_currency="USD",
    )


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.build_db_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_excel_csv_quirks_load(tmp_path):
    settings = make_settings(tmp_path)
    # Byte order mark, CRLF, semicolons, quoted ids with leading zeros, a decimal comma.
    content = (
        "\ufeffbooking_id;booked_at;booking_amount;currency_code\r\n"
        '"00123";2024-03-31 14:05:00;1234,50;eur\r\n'
        '"00124";2024-04-01;99.90;USD\r\n'
    )
    (settings.landing_dir / "bookings.csv").write_bytes(content.encode("utf-8"))

    load_landing(settings)

    rows = query(settings, "select booking_id, booking_amount, currency_code, _source_line from raw.bookings order by 1")
    assert rows[0][0] == "00123"
    assert float(rows[0][1]) == 1234.50
    assert rows[0][2] == "EUR"
    assert rows[0][3] == 2
    assert rows[1][0] == "00124"
    assert len(rows) == 2


def test_comma_file_rejects_decimal_comma(tmp_path):
    settings = make_settings(tmp_path)
    # In a comma-delimited file "1,234" may mean one thousand two hundred thirty-four: never guess.
    (settings.landing_dir / "bookings.csv").write_text(
        'booking_id,booked_at,booking_amount,currency_code\nB1,2024-01-01,"1,234",USD\n', encoding="utf-8"
    )

    load_landing(settings)

    assert query(settings, "select count(*) from raw.bookings") == [(0,)]
    [(reason,)] = query(settings, "select reason from raw._quarantine")
    assert "invalid decimal '1,234'" in reason


def test_bad_rows_quarantined_with_line(tmp_path):
    settings = make_settings(tmp_path)
    (settings.landing_dir / "leads.csv").write_text(
        "lead_id,created_at,employee_count\n"
        "L1,2024-01-01,10\n"
        ",2024-01-02,5\n"
        "L3,31/12/2024,7\n"
        "L4,2024-01-04,many\n"
        "L5,2024-01-05\n",
        encoding="utf-8",
    )

    report = load_landing(settings)

    [result] = report.files
    assert result.rows_read == 5
    assert result.rows_loaded == 1
    assert result.rows_quarantined == 4
    quarantine = query(settings, "select source_line, column_name, reason from raw._quarantine order by source_line")
    assert quarantine[0][:2] == (3, "lead_id")
    assert "missing required value" in quarantine[0][2]
    assert quarantine[1][:2] == (4, "created_at")
    assert "invalid timestamp '31/12/2024'" in quarantine[1][2]
    assert quarantine[2][:2] == (5, "employee_count")
    assert quarantine[3][0] == 6
    assert "expected 3 fields" in quarantine[3][2]


def test_unknown_currency_quarantined(tmp_path):
    settings = make_settings(tmp_path)
    (settings.landing_dir / "bookings.csv").write_text(
        "booking_id,booked_at,booking_amount,currency_code\nB1,2024-01-01,10,USD\nB2,2024-01-01,10,XXX\n",
        encoding="utf-8",
    )

    load_landing(settings)

    assert query(settings, "select count(*) from raw.bookings") == [(1,)]
    [(column, reason)] = query(settings, "select column_name, reason from raw._quarantine")
    assert column == "currency_code"
    assert "unknown currency 'XXX'" in reason


def test_rows_read_equal_loaded_plus_quarantined(tmp_path):
    settings = make_settings(tmp_path)
    (settings.landing_dir / "campaign_spend.csv").write_text(
        "campaign_id,spend_date,spend_amount,currency_code\n"
        "C1,2024-01-01,100,USD\nC1,2024-01-02,abc,USD\nC1,2024-13-01,5,USD\nC2,2024-01-01,7,GBP\n",
        encoding="utf-8",
    )

    load_landing(settings)

    [(read, loaded, quarantined)] = query(settings, "select rows_read, rows_loaded, rows_quarantined from raw._load_files")
    assert (read, loaded, quarantined) == (4, 2, 2)
    assert query(settings, "select count(*) from raw.campaign_spend") == [(loaded,)]
    assert query(settings, "select count(*) from raw._quarantine") == [(quarantined,)]


def test_same_file_twice_adds_nothing(tmp_path):
    settings = make_settings(tmp_path)
    (settings.landing_dir / "leads.csv").write_text("lead_id,created_at\nL1,2024-01-01\n", encoding="utf-8")

    first = load_landing(settings)
    second = load_landing(settings)

    assert first.totals()["rows_loaded"] == 1
    assert second.totals()["files_skipped"] == 1
    assert second.totals()["rows_loaded"] == 0
    assert query(settings, "select count(*) from raw.leads") == [(1,)]


def test_time_zones_stored_in_utc(tmp_path):
    settings = make_settings(tmp_path, time_zone="America/New_York")
    (settings.landing_dir / "leads.csv").write_text(
        "lead_id,created_at\n"
        "Z,2024-03-31T14:05:00Z\n"
        "OFFSET,2024-03-31T16:05:00+02:00\n"
        "LOCAL,2024-03-31 10:05:00\n",
        encoding="utf-8",
    )

    load_landing(settings)

    rows = dict(query(settings, "select lead_id, created_at from raw.leads"))
    expected = datetime(2024, 3, 31, 14, 5)
    assert rows["Z"] == expected
    assert rows["OFFSET"] == expected
    # 10:05 in New York during daylight saving time (UTC-4) is 14:05 UTC.
    assert rows["LOCAL"] == expected


def test_machine_time_zone_changes_nothing(tmp_path):
    (tmp_path / "landing").mkdir()
    (tmp_path / "landing" / "leads.csv").write_text("lead_id,created_at\nL1,2024-06-01 08:00:00\n", encoding="utf-8")
    script = (
        "from pathlib import Path; from orchestration.settings import Settings; "
        "from orchestration.loading import load_landing; import duckdb, sys; "
        "s = Settings(Path(sys.argv[1]), Path(sys.argv[2]), 'UTC', 'USD'); load_landing(s); "
        "print(duckdb.connect(str(s.build_db_path)).execute('select created_at from raw.leads').fetchone()[0])"
    )
    outputs = []
    for machine_zone in ("UTC", "Asia/Tokyo", "America/Los_Angeles"):
        warehouse = tmp_path / f"warehouse-{machine_zone.replace('/', '-')}"
        completed = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / "landing"), str(warehouse)],
            env={**os.environ, "TZ": machine_zone},
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(completed.stdout.strip())
    assert outputs == ["2024-06-01 08:00:00"] * 3


def test_wide_stage_dates_become_events(tmp_path):
    settings = make_settings(tmp_path)
    (settings.landing_dir / "stage_dates.csv").write_text(
        "record_id,mql_date,sql_date,won_at\n"
        "L1,2024-01-01,2024-01-05,2024-02-01\n"
        "L2,2024-01-02,,\n"
        "L3,,,\n"
        "L4,2024-01-03,2024-02-30,\n",
        encoding="utf-8",
    )

    report = load_landing(settings)

    [result] = report.files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    events = query(settings, "select record_id, source_status, record_type from raw.stage_dates order by 1, 2")
    assert events == [
        ("L1", "mql", "lead"),
        ("L1", "sql", "lead"),
        ("L1", "won", "lead"),
        ("L2", "mql", "lead"),
    ]
    [(line, column)] = query(settings, "select source_line, column_name from raw._quarantine")
    assert (line, column) == (5, "sql_date")


def test_gzip_and_jsonl_files_load(tmp_path):
    settings = make_settings(tmp_path)
    (settings.landing_dir / "leads_part1.csv.gz").write_bytes(gzip.compress(b"lead_id,created_at\nG1,2024-01-01\n"))
    (settings.landing_dir / "leads_part2.jsonl").write_text(
        '{"lead_id": "J1", "created_at": "2024-01-02", "employee_count": 12}\n{not json}\n', encoding="utf-8"
    )

    report = load_landing(settings)

    assert query(settings, "select lead_id, employee_count from raw.leads order by 1") == [("G1", None), ("J1", 12)]
    assert report.totals() == {"files": 2, "files_skipped": 0, "rows_read": 3, "rows_loaded": 2, "rows_quarantined": 1}


def test_invalid_accepted_value_quarantined(tmp_path):
    settings = make_settings(tmp_path)
    (settings.landing_dir / "reps.csv").write_text(
        "rep_id,rep_name,team\nR1,Ana,Inside\nR2,Bo,astronaut\n", encoding="utf-8"
    )

    load_landing(settings)

    assert query(settings, "select rep_id, team, valid_from from raw.reps") == [("R1", "inside", datetime(1900, 1, 1).date())]
    [(reason,)] = query(settings, "select reason from raw._quarantine")
    assert "invalid value 'astronaut'" in reason


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"lead_id|created_at\nL1|2024-01-01\n".replace(b"|", b"#"), "may use a delimiter"),
        (b"lead,created_at\nL1,2024-01-01\n", "missing required column lead_id for entity leads"),
        ("lead_id,created_at\nL1,2024-01-01\nM\xfcller,2024-01-02\n".encode("latin-1"), "line 3: the file is not UTF-8"),
    ],
    ids=["empty", "wrong delimiter", "missing column", "not utf-8"],
)
def test_unreadable_file_stops_load(tmp_path, content, expected):
    settings = make_settings(tmp_path)
    (settings.landing_dir / "campaigns.csv").write_text("campaign_id,campaign_name\nC1,Spring\n", encoding="utf-8")
    (settings.landing_dir / "leads.csv").write_bytes(content)

    with pytest.raises(LandingFileError) as raised:
        load_landing(settings)

    assert "leads.csv" in str(raised.value)
    assert expected in str(raised.value)
    # Nothing was loaded, not even the readable campaigns file.
    assert not settings.build_db_path.exists()


def test_unknown_file_names_ignored(tmp_path):
    settings = make_settings(tmp_path)
    (settings.landing_dir / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (settings.landing_dir / "leads.csv").write_text("lead_id,created_at\nL1,2024-01-01\n", encoding="utf-8")

    report = load_landing(settings)

    assert [path.name for path in report.ignored_files] == ["notes.csv"]
    assert report.totals()["rows_loaded"] == 1
