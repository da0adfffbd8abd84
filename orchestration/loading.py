"""Load landing files into the raw schema of the build DuckDB.

Each file is read with Python's csv module, which gives the physical line number of every
row and clear errors for files that cannot be read at all. The rows go into a temporary
table as text, and one SQL statement per file casts them to the contract's types with
DuckDB's `try_cast`. A row with a missing required value or a value that does not parse
goes to `raw._quarantine` with its file, line, column and reason. The other rows go to
`raw.<entity>`. A file whose content hash is already in `raw._load_files` is skipped, so
loading the same file twice adds nothing. Each file loads in one transaction.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.contract import Column, Entity, load_contract, raw_table_ddl
from orchestration.logs import get_logger
from orchestration.settings import Settings

logger = get_logger()

FILE_SUFFIXES = (".csv", ".csv.gz", ".jsonl")
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
STATUS_COLUMN_SUFFIXES = ("_at", "_date")

LOAD_FILES_DDL = """
create table if not exists raw._load_files (
    entity varchar,
    source_file varchar,
    file_hash varchar primary key,
    rows_read bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    loaded_at timestamp
)
"""

QUARANTINE_DDL = """
create table if not exists raw._quarantine (
    entity varchar,
    source_file varchar,
    source_line bigint,
    column_name varchar,
    reason varchar,
    raw_record varchar,
    file_hash varchar,
    quarantined_at timestamp
)
"""


class LandingFileError(Exception):
    """A landing file that cannot be read at all; the message names the file and the fix."""


@dataclass(frozen=True)
class FileLoadResult:
    """Row counts of one landing file; rows_read = rows_loaded + rows_quarantined."""

    entity: str
    path: Path
    file_hash: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    skipped: bool = False


@dataclass
class LoadReport:
    """Per-file results of one load of a landing folder."""

    files: list[FileLoadResult] = field(default_factory=list)
    ignored_files: list[Path] = field(default_factory=list)

    @property
    def loaded_files(self) -> list[FileLoadResult]:
        return [result for result in self.files if not result.skipped]

    def totals(self) -> dict[str, int]:
        """Sum rows read, loaded and quarantined over the files loaded in this run."""
        return {
            "files": len(self.loaded_files),
            "files_skipped": len(self.files) - len(self.loaded_files),
            "rows_read": sum(result.rows_read for result in self.loaded_files),
            "rows_loaded": sum(result.rows_loaded for result in self.loaded_files),
            "rows_quarantined": sum(result.rows_quarantined for result in self.loaded_files),
        }


@dataclass(frozen=True)
class ParsedFile:
    """The text rows of one file, each with the physical line it starts on."""

    header: list[str]
    rows: list[tuple[int, list[str | None]]]
    malformed: list[tuple[int, str, str]]  # line, reason, raw text
    delimiter: str | None = None  # None for JSON lines


def load_landing(
    settings: Settings,
    entities: list[str] | None = None,
    progress: Callable[[FileLoadResult], None] | None = None,
) -> LoadReport:
    """Load every new landing file into the build DuckDB and return per-file counts.

    Raises LandingFileError before anything is loaded when a file cannot be read at all.
    """
    contract = load_contract()
    selected = [contract[name] for name in (entities or contract)]
    found, ignored = discover_files(settings.landing_dir, selected)
    for path in ignored:
        logger.info("Ignoring %s: its name matches no entity of the raw contract", path.name)

    # Read every file first, so an unreadable file stops the load before any file is loaded.
    parsed = []
    for entity, path in found:
        content = path.read_bytes()
        parsed.append((entity, path, hashlib.sha256(content).hexdigest(), parse_file(entity, path, content)))

    settings.build_db_path.parent.mkdir(parents=True, exist_ok=True)
    currencies = read_currency_codes(settings.project_dir)
    report = LoadReport(ignored_files=ignored)
    with duckdb.connect(str(settings.build_db_path)) as connection:
        create_raw_tables(connection)
        connection.execute(f"set TimeZone = '{settings.source_time_zone}'")
        for entity, path, file_hash, parsed_file in parsed:
            result = load_file(connection, entity, path, file_hash, parsed_file, currencies)
            report.files.append(result)
            if progress:
                progress(result)
    return report


def create_raw_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema with one table per contract entity and the load bookkeeping tables."""
    connection.execute("create schema if not exists raw")
    for entity in load_contract().values():
        connection.execute(raw_table_ddl(entity))
    connection.execute(LOAD_FILES_DDL)
    connection.execute(QUARANTINE_DDL)


def discover_files(landing_dir: Path, entities: list[Entity]) -> tuple[list[tuple[Entity, Path]], list[Path]]:
    """Match landing files to entities by name: `<entity>.csv` or `<entity>_<anything>.csv` (also .csv.gz, .jsonl)."""
    if not landing_dir.is_dir():
        raise LandingFileError(f"Landing folder {landing_dir} does not exist. Create it or pass --landing DIR.")
    found = []
    ignored = []
    for path in sorted(landing_dir.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        if not path.name.endswith(FILE_SUFFIXES):
            continue
        entity = match_entity(path.name, entities)
        if entity is None:
            ignored.append(path)
        else:
            found.append((entity, path))
    return found, ignored


def match_entity(file_name: str, entities: list[Entity]) -> Entity | None:
    stem = file_name
    for suffix in FILE_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    for entity in entities:
        if re.fullmatch(rf"{entity.name}(_.+)?", stem):
            return entity
    return None


def parse_file(entity: Entity, path: Path, content: bytes) -> ParsedFile:
    """Decode and split a landing file into text rows, or raise LandingFileError."""
    if path.name.endswith(".gz"):
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError) as error:
            raise LandingFileError(f"{path}: not a valid gzip file ({error}). Re-export or re-compress the file.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise LandingFileError(
            f"{path}, line {line}: the file is not UTF-8 (byte 0x{content[error.start]:02x} at offset {error.start}). "
            "Save or export it as UTF-8, or convert it with an import profile that sets its encoding."
        ) from None
    if not text.strip():
        raise LandingFileError(f"{path}: the file is empty. Export it again with a header row and data.")
    if path.name.endswith(".jsonl"):
        parsed = parse_jsonl(path, text)
    else:
        parsed = parse_csv(path, text)
    check_header(entity, path, parsed.header)
    return parsed


def parse_csv(path: Path, text: str) -> ParsedFile:
    header_line = text.split("\n", 1)[0]
    delimiter = max(CANDIDATE_DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [normalize_column_name(name) for name in next(reader)]
    rows: list[tuple[int, list[str | None]]] = []
    malformed: list[tuple[int, str, str]] = []
    start_line = reader.line_num + 1
    try:
        for values in reader:
            if not values or all(not value.strip() for value in values):
                start_line = reader.line_num + 1
                continue
            if len(values) != len(header):
                reason = f"expected {len(header)} fields separated by {delimiter!r}, found {len(values)}"
                malformed.append((start_line, reason, delimiter.join(values)))
            else:
                rows.append((start_line, [clean_value(value) for value in values]))
            start_line = reader.line_num + 1
    except csv.Error as error:
        raise LandingFileError(
            f"{path}, line {reader.line_num}: the CSV cannot be parsed ({error}). "
            "Check for an unclosed quote in that line and export the file again."
        ) from None
    return ParsedFile(header=header, rows=rows, malformed=malformed, delimiter=delimiter)


def parse_jsonl(path: Path, text: str) -> ParsedFile:
    records: list[tuple[int, dict]] = []
    malformed: list[tuple[int, str, str]] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            malformed.append((line_number, f"invalid JSON: {error.msg}", line))
            continue
        if not isinstance(record, dict):
            malformed.append((line_number, "expected a JSON object", line))
            continue
        records.append((line_number, {normalize_column_name(key): value for key, value in record.items()}))
    header: list[str] = []
    for _, record in records:
        header.extend(key for key in record if key not in header)
    rows = [
        (line_number, [clean_value(None if record.get(name) is None else str(record.get(name))) for name in header])
        for line_number, record in records
    ]
    return ParsedFile(header=header, rows=rows, malformed=malformed)


def normalize_column_name(name: str) -> str:
    return name.strip().strip('"').strip().lower().replace(" ", "_")


def clean_value(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def check_header(entity: Entity, path: Path, header: list[str]) -> None:
    """Raise LandingFileError naming the missing required columns of a file."""
    missing = [name for name in entity.required_columns if name not in header]
    if not missing:
        return
    if len(header) == 1:
        hint = (
            f"The header was read as one column ({header[0][:80]!r}): the file may use a delimiter "
            "other than comma, semicolon, tab or pipe. Export it with one of those."
        )
    else:
        hint = f"Found columns: {', '.join(header)}. Rename the columns or convert the file with an import profile."
    raise LandingFileError(
        f"{path}: missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
        f"for entity {entity.name}. {hint}"
    )


def read_currency_codes(project_dir: Path) -> list[str]:
    """Return the ISO 4217 codes in seeds/currencies.csv, the currencies a row may use."""
    seed_path = project_dir / "seeds" / "currencies.csv"
    with seed_path.open(encoding="utf-8", newline="") as seed_file:
        return sorted({row["currency_code"].strip().upper() for row in csv.DictReader(seed_file)})


def load_file(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    file_hash: str,
    parsed: ParsedFile,
    currencies: list[str],
) -> FileLoadResult:
    """Load one parsed file in a transaction, unless a file with the same content was loaded before."""
    already = connection.execute(
        "select source_file, loaded_at from raw._load_files where file_hash = ?", [file_hash]
    ).fetchone()
    if already:
        logger.info("Skipping %s: the same content was loaded from %s at %s", path.name, already[0], already[1])
        return FileLoadResult(entity.name, path, file_hash, 0, 0, 0, skipped=True)

    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    rows_read = len(parsed.rows) + len(parsed.malformed)
    connection.execute("begin transaction")
    try:
        stage_text_rows(connection, entity, parsed)
        # Excel writes a decimal comma where the list separator is a semicolon. Elsewhere
        # "1,234" may be a thousands separator, so it stays invalid rather than becoming 1.234.
        decimal_comma = parsed.delimiter == ";"
        connection.execute(typed_rows_sql(entity, currencies, decimal_comma))
        rows_loaded = insert_loaded_rows(connection, entity, path, file_hash, loaded_at)
        rows_quarantined = insert_quarantined_rows(connection, entity, path, file_hash, loaded_at, parsed)
        if rows_loaded + rows_quarantined != rows_read:
            raise RuntimeError(
                f"{path}: read {rows_read} rows but loaded {rows_loaded} and quarantined {rows_quarantined}; "
                "nothing from this file was kept. Please report this as a bug."
            )
        connection.execute(
            "insert into raw._load_files values (?, ?, ?, ?, ?, ?, ?)",
            [entity.name, str(path), file_hash, rows_read, rows_loaded, rows_quarantined, loaded_at],
        )
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
    finally:
        connection.execute("drop table if exists landing_text")
        connection.execute("drop table if exists landing_typed")

    result = FileLoadResult(entity.name, path, file_hash, rows_read, rows_loaded, rows_quarantined)
    # Each quarantined row was logged as a warning above; the file's totals are progress.
    logger.info(
        "Loaded %s into raw.%s: %d rows read, %d loaded, %d quarantined",
        path.name, entity.name, rows_read, rows_loaded, rows_quarantined,
    )
    return result


def stage_text_rows(connection: duckdb.DuckDBPyConnection, entity: Entity, parsed: ParsedFile) -> None:
    """Put the file's rows into the temporary table landing_text as text, one row per loadable record.

    Wide stage-date files are turned long here: one record per non-empty status cell.
    """
    frame = pd.DataFrame(list(text_records(entity, parsed)), columns=text_columns(entity), dtype=object)
    connection.register("landing_frame", frame)
    column_list = ", ".join(f"cast({name} as varchar) as {name}" for name in text_columns(entity))
    connection.execute(f"create temporary table landing_text as select {column_list} from landing_frame")
    connection.unregister("landing_frame")


def text_columns(entity: Entity) -> list[str]:
    columns = ["_source_line", "_row_has_status"] if entity.wide else ["_source_line"]
    columns += list(entity.column_names)
    if entity.wide:
        columns += ["_status_column", "source_status", "changed_at"]
    return columns


def text_records(entity: Entity, parsed: ParsedFile) -> Iterator[list[str | None]]:
    positions = {name: index for index, name in enumerate(parsed.header)}
    if not entity.wide:
        for line, values in parsed.rows:
            yield [str(line)] + [values[positions[name]] if name in positions else None for name in entity.column_names]
        return

    status_columns = [name for name in parsed.header if name not in entity.column_names]
    for line, values in parsed.rows:
        base = [values[positions[name]] if name in positions else None for name in entity.column_names]
        statuses = [(name, values[positions[name]]) for name in status_columns if values[positions[name]] is not None]
        if not statuses:
            # A record with no status dates still counts as read and loaded; it adds no event.
            yield [str(line), "false"] + base + [None, None, None]
        for name, value in statuses:
            yield [str(line), "true"] + base + [name, status_name(name), value]


def status_name(column_name: str) -> str:
    """Turn a wide-form column name such as mql_date into its source status (mql)."""
    for suffix in STATUS_COLUMN_SUFFIXES:
        if column_name.endswith(suffix) and len(column_name) > len(suffix):
            return column_name[: -len(suffix)]
    return column_name


def typed_rows_sql(entity: Entity, currencies: list[str], decimal_comma: bool = False) -> str:
    """Return SQL creating landing_typed: typed values plus the reasons a row breaks the contract."""
    columns = list(entity.columns)
    if entity.wide:
        # Status cells are never empty here; a record without any has no event to check.
        columns += [Column(name="source_status", type="string"), Column(name="changed_at", type="timestamp")]
    typed = []
    checks = []
    for column in columns:
        value = column.name if column.default is None else f"coalesce({column.name}, '{column.default}')"
        typed.append(f"{cast_expression(column.type, value, decimal_comma)} as {column.name}")
        # In a wide file the status column's own name is what the user sees in the header.
        label = "_status_column" if entity.wide and column.name == "changed_at" else f"'{column.name}'"
        checks.extend(column_checks(column, value, label, currencies, decimal_comma))
    reasons = "list_value(" + ", ".join(checks) + ")" if checks else "list_value()"
    return f"""
        create temporary table landing_typed as
        with checked as (
            select
                cast(_source_line as bigint) as _source_line,
                {", ".join(typed)},
                list_filter({reasons}, lambda reason: reason is not null) as _reasons
            from landing_text
        )
        select * from checked
    """


def cast_expression(column_type: str, value: str, decimal_comma: bool = False) -> str:
    if column_type == "timestamp":
        # Values with an offset or Z keep their instant; others are read in the session time zone.
        return f"try_cast(try_cast({value} as timestamptz) at time zone 'UTC' as timestamp)"
    if column_type == "decimal":
        text = decimal_text(value) if decimal_comma else value
        return f"try_cast({text} as decimal(18, 4))"
    if column_type == "integer":
        return f"try_cast(try_cast({value} as double) as bigint)"
    if column_type == "date":
        return f"try_cast({value} as date)"
    if column_type == "currency":
        return f"upper({value})"
    return value


def decimal_text(value: str) -> str:
    """Read a decimal comma (1234,50) as a decimal point when the value has no point of its own."""
    return f"case when {value} like '%,%' and {value} not like '%.%' then replace({value}, ',', '.') else {value} end"


def column_checks(column: Column, value: str, label: str, currencies: list[str], decimal_comma: bool) -> list[str]:
    """Return SQL expressions, one per rule, that give a reason text when the value breaks the rule.

    `label` is an SQL expression for the column name shown in the reason.
    """
    checks = []
    if column.required:
        checks.append(f"case when {value} is null then {label} || ': missing required value' end")
    type_examples = {
        "timestamp": "an ISO 8601 timestamp such as 2024-03-31 14:05:00 or 2024-03-31T14:05:00+02:00",
        "date": "an ISO 8601 date such as 2024-03-31",
        "decimal": "a number such as 1234.50",
        "integer": "a whole number such as 250",
    }
    if column.type in type_examples:
        checks.append(
            f"case when {value} is not null and {cast_expression(column.type, value, decimal_comma)} is null "
            f"then {label} || ': invalid {column.type} ''' || {value} || '''; expected {type_examples[column.type]}' end"
        )
    if column.type == "currency":
        accepted = ", ".join(f"'{code}'" for code in currencies)
        checks.append(
            f"case when {value} is not null and upper({value}) not in ({accepted}) "
            f"then {label} || ': unknown currency ''' || {value} || '''; expected an ISO 4217 code "
            f"listed in seeds/currencies.csv' end"
        )
    if column.accepted:
        accepted = ", ".join(f"'{option}'" for option in column.accepted)
        checks.append(
            f"case when {value} is not null and lower({value}) not in ({accepted}) "
            f"then {label} || ': invalid value ''' || {value} || '''; expected one of {', '.join(column.accepted)}' end"
        )
    return checks


def insert_loaded_rows(
    connection: duckdb.DuckDBPyConnection, entity: Entity, path: Path, file_hash: str, loaded_at: datetime
) -> int:
    """Insert the rows without a reason into raw.<entity>; return the number of source rows loaded."""
    data_columns = [name for name in entity.table_columns if not name.startswith("_")]
    select_values = ", ".join(
        f"lower({name})" if name in lowered_columns(entity) else name for name in data_columns
    )
    # A source row loads whole or not at all: in a wide file one bad status cell quarantines the row.
    condition = "_source_line not in (select _source_line from landing_typed where len(_reasons) > 0)"
    if entity.wide:
        # Only status cells become events; a record without status dates loads no event.
        condition += " and source_status is not null"
    connection.execute(
        f"""
        insert into raw.{entity.name} ({", ".join(data_columns)}, _source_file, _source_line, _file_hash, _loaded_at)
        select {select_values}, ?, _source_line, ?, ?
        from landing_typed
        where {condition}
        """,
        [str(path), file_hash, loaded_at],
    )
    return connection.execute(
        """
        select count(*) from (
            select _source_line from landing_typed
            group by _source_line
            having max(len(_reasons)) = 0
        )
        """
    ).fetchone()[0]


def lowered_columns(entity: Entity) -> set[str]:
    return {column.name for column in entity.columns if column.accepted}


def insert_quarantined_rows(
    connection: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    file_hash: str,
    quarantined_at: datetime,
    parsed: ParsedFile,
) -> int:
    """Insert one quarantine row per source row that breaks the contract; return how many."""
    raw_by_line = {line: values for line, values in parsed.rows}
    bad_rows = connection.execute(
        """
        select _source_line, flatten(list(_reasons)) as reasons
        from landing_typed
        group by _source_line
        having max(len(_reasons)) > 0
        order by _source_line
        """
    ).fetchall()
    records = []
    for line, reasons in bad_rows:
        unique_reasons = list(dict.fromkeys(reasons))
        column_name = unique_reasons[0].split(":", 1)[0]
        raw_record = json.dumps(dict(zip(parsed.header, raw_by_line[line])), ensure_ascii=False)
        records.append((entity.name, str(path), line, column_name, "; ".join(unique_reasons), raw_record))
    for line, reason, text in parsed.malformed:
        records.append((entity.name, str(path), line, None, reason, json.dumps({"line": text}, ensure_ascii=False)))
    if records:
        connection.executemany(
            "insert into raw._quarantine values (?, ?, ?, ?, ?, ?, ?, ?)",
            [record + (file_hash, quarantined_at) for record in records],
        )
        for entity_name, _, line, column_name, reason, _ in records[:20]:
            logger.warning("Quarantined %s line %d (%s): %s", path.name, line, column_name or "row", reason)
        if len(records) > 20:
            logger.warning("Quarantined %d more rows of %s; see raw._quarantine", len(records) - 20, path.name)
    return len(records)
