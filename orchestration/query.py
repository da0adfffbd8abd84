"""Read-only SQL on the published datamart, formatted as an aligned table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from numbers import Number
from pathlib import Path
from typing import Any, Literal
from uuid import UUID, uuid4

import duckdb

OutputFormat = Literal["table", "csv", "json"]
OUTPUT_FORMATS: tuple[str, ...] = ("table", "csv", "json")
NULL_TEXT = "NULL"


class QueryError(Exception):
    """A query on the published datamart could not run. The message states the cause and the next step."""


class DatamartNotFoundError(QueryError):
    """No published datamart file exists at the given path."""


class ReadOnlyQueryError(QueryError):
    """The statement would change the published datamart, which is opened read-only."""


def run_sql(published_db: Path, sql: str, output_format: OutputFormat = "table") -> str:
    """Run SQL on the published file, opened read-only, and return the last statement's result as text.

    Tables are queried by their plain names (fct_bookings, dim_date, ...). Several statements
    separated by semicolons run in order, and the result of the last one is returned.
    """
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"Invalid output format {output_format!r}. Use one of: {', '.join(OUTPUT_FORMATS)}.")
    published_db = Path(published_db)
    if not published_db.is_file():
        raise DatamartNotFoundError(
            f"No published datamart at {published_db}. Run `funnelmart run` first, or point --warehouse "
            "(FUNNELMART_WAREHOUSE_DIR) at the folder of a run that published."
        )

    # NOTE: DuckDB shares one database instance per path within a process. While another
    # connection of this process keeps the published file open, this connection reads the
    # version that connection opened, not a file published since.
    try:
        # read_only blocks writes to the datamart; disabling external access also blocks
        # COPY ... TO and reading or writing other files, so a query can only read the marts.
        with duckdb.connect(str(published_db), read_only=True, config={"enable_external_access": False}) as connection:
            cursor = connection.execute(sql)
            if cursor.description is None:
                return _format([], [], output_format)
            columns = [description[0] for description in cursor.description]
            rows = cursor.fetchall()
    except duckdb.InvalidInputException as error:
        if "read-only" in str(error):
            raise ReadOnlyQueryError(
                f"The published datamart {published_db} is read-only, so this statement was rejected: {error}. "
                "Change the data through the landing files or the dbt models, then run `funnelmart run`."
            ) from error
        raise QueryError(f"Query failed: {error}") from error
    except duckdb.Error as error:
        raise QueryError(f"Query failed: {error}") from error
    return _format(columns, rows, output_format)


def _format(columns: Sequence[str], rows: Sequence[Sequence[Any]], output_format: OutputFormat) -> str:
    if output_format == "csv":
        return format_csv(columns, rows)
    if output_format == "json":
        return format_json(columns, rows)
    return format_table(columns, rows)


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Return rows as aligned text columns: numbers right-aligned, text left-aligned, a row count last."""
    if not columns:
        return "(no result)"
    cells = [[_table_cell(value) for value in row] for row in rows]
    widths = [len(name) for name in columns]
    for row in cells:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row)]
    right_aligned = [_is_numeric_column(rows, index) for index in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        padded = [
            value.rjust(width) if is_right else value.ljust(width)
            for value, width, is_right in zip(values, widths, right_aligned)
        ]
        return " | ".join(padded).rstrip()

    lines = [line(list(columns)), "-+-".join("-" * width for width in widths)]
    lines += [line(row) for row in cells]
    lines.append(f"({len(rows)} {'row' if len(rows) == 1 else 'rows'})")
    return "\n".join(lines)


def format_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Return rows as CSV with a header line; NULL becomes an empty field."""
    if not columns:
        return ""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if value is None else _text(value) for value in row] for row in rows])
    return buffer.getvalue().rstrip("\n")


def format_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Return rows as a JSON array of objects keyed by column name.

    Decimals become JSON numbers written with their exact digits and scale (71640.0000), as in
    the csv and table formats, so no amount is rounded through a float. Dates and timestamps
    become ISO 8601 text.
    """
    # json writes Decimal only through float, so each decimal goes in as a unique placeholder
    # string and its exact text replaces the quoted placeholder afterwards.
    marker = f"decimal-{uuid4().hex}-"
    decimals: list[str] = []

    def exact(value: Decimal) -> str:
        decimals.append(str(value))
        return f"{marker}{len(decimals) - 1}"

    records = [dict(zip(columns, (_json_value(value, exact) for value in row))) for row in rows]
    text = json.dumps(records, indent=2, ensure_ascii=False)
    return re.sub(f'"{marker}([0-9]+)"', lambda match: decimals[int(match.group(1))], text)


def _is_numeric_column(rows: Sequence[Sequence[Any]], index: int) -> bool:
    """True when the column contains at least one value and every value is a number or NULL."""
    values = [row[index] for row in rows if row[index] is not None]
    return bool(values) and all(isinstance(value, Number) and not isinstance(value, bool) for value in values)


def _table_cell(value: Any) -> str:
    text = NULL_TEXT if value is None else _text(value)
    # One line per row: newlines and tabs inside a value would break the alignment.
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return str(value)


def _json_value(value: Any, exact: Callable[[Decimal], str]) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return exact(value) if value.is_finite() else str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_value(item, exact) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(item, exact) for key, item in value.items()}
    if isinstance(value, (timedelta, UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return str(value)
