"""The raw contract (contract.yml): entities, their columns, types and keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

CONTRACT_PATH = Path(__file__).with_name("contract.yml")

# DuckDB type each contract type loads as. Timestamps are stored in UTC without an offset.
SQL_TYPES = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": "decimal(18, 4)",
    "date": "date",
    "timestamp": "timestamp",
    "currency": "varchar",
}

# Columns the loader adds to every raw table.
LOAD_METADATA_COLUMNS = {
    "_source_file": "varchar",
    "_source_line": "bigint",
    "_file_hash": "varchar",
    "_loaded_at": "timestamp",
}


@dataclass(frozen=True)
class Column:
    """One column of a raw entity."""

    name: str
    type: str
    required: bool = False
    default: str | None = None
    accepted: tuple[str, ...] = ()
    description: str = ""

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Entity:
    """One kind of raw file, such as leads or bookings."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    wide: bool = False
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(column.name for column in self.columns))

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    @property
    def table_columns(self) -> dict[str, str]:
        """Return the columns of the raw table with their SQL types, load metadata last."""
        if self.wide:
            columns = {column.name: column.sql_type for column in self.columns}
            columns["source_status"] = "varchar"
            columns["changed_at"] = "timestamp"
        else:
            columns = {column.name: column.sql_type for column in self.columns}
        return {**columns, **LOAD_METADATA_COLUMNS}

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"Entity {self.name} has no column {name}")


@cache
def load_contract(path: Path = CONTRACT_PATH) -> dict[str, Entity]:
    """Read contract.yml into entities keyed by name, in file order."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entities = {}
    for name, spec in document["entities"].items():
        columns = tuple(
            Column(
                name=column_name,
                type=column_spec["type"],
                required=bool(column_spec.get("required", False)),
                default=None if column_spec.get("default") is None else str(column_spec["default"]),
                accepted=tuple(column_spec.get("accepted", ())),
                description=column_spec.get("description", ""),
            )
            for column_name, column_spec in spec["columns"].items()
        )
        entities[name] = Entity(
            name=name,
            description=" ".join(spec["description"].split()),
            key=tuple(spec["key"]),
            columns=columns,
            wide=bool(spec.get("wide", False)),
        )
    return entities


def raw_table_ddl(entity: Entity, schema: str = "raw") -> str:
    """Return `create table if not exists` for the entity's raw table."""
    columns = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in entity.table_columns.items())
    return f"create table if not exists {schema}.{entity.name} (\n    {columns}\n)"


CONTRACT_DOC_INTRO = """\
# The raw contract

<!-- Generated from orchestration/contract.yml by `python -m orchestration.contract`; edit the YAML, not this page. -->

funnelmart reads raw exports from a landing folder. This page lists the files it reads, their
columns and the rules every row must follow. `funnelmart import` writes these files from a
real CRM or marketing export (see [import-profiles.md](import-profiles.md)).

## Files

- One entity per file, named `<entity>.csv` or `<entity>_<anything>.csv` (for example
  `leads_2024-06.csv`). Gzipped CSV (`.csv.gz`) and JSON lines (`.jsonl`, one object per line)
  work too. Files whose names match no entity are ignored, with a log line.
- UTF-8, with or without a byte order mark; LF or CRLF line ends; comma, semicolon, tab or
  pipe as delimiter (read from the header line); values may be quoted, so ids such as
  `"00123"` keep their leading zeros. In a semicolon-delimited file a decimal comma
  (`1234,50`) is accepted.
- The first line is the header. Column names are matched case-insensitively; extra columns are
  ignored; optional columns may be left out.

## Types, time zone and keys

| type | format | stored as |
|---|---|---|
| string | any text; surrounding whitespace is trimmed and an empty value is null | varchar |
| integer | whole number, e.g. `250` | bigint |
| decimal | number with `.` as decimal separator, e.g. `1234.50` | decimal(18, 4) |
| date | ISO 8601 date, e.g. `2024-03-31` | date |
| timestamp | ISO 8601, e.g. `2024-03-31 14:05:00`, `2024-03-31T14:05:00Z`, `2024-03-31T16:05:00+02:00` | timestamp in UTC |
| currency | ISO 4217 code listed in `seeds/currencies.csv`, e.g. `USD` | varchar |

A timestamp with an offset or `Z` keeps its instant. A timestamp without one is read in the
source time zone, `FUNNELMART_SOURCE_TZ` (an IANA name such as `Europe/Berlin`; default `UTC`).
Every timestamp is stored in UTC, so results do not depend on the machine's time zone.

The key of each entity identifies a row. When a later file delivers the same key again, the
staging models keep the row loaded last.

## What happens to bad input

- A row with a missing required value, a value that does not parse as its type, an unknown
  currency or a value outside the accepted list goes to `raw._quarantine` with the file, the
  line, the first failing column and every reason. The other rows of the file load.
- A file that cannot be read at all (empty, not UTF-8, not valid gzip, an unclosed quote, or
  a header without a required column, which is also what a wrong delimiter looks like) stops
  the load before any file is loaded; the message names the file, the line or column, and the fix.
- `raw._load_files` records each file's content hash with rows read, loaded and quarantined;
  rows read = rows loaded + rows quarantined. A file whose content was loaded before is skipped,
  so loading the same file twice adds nothing.
- Each raw table carries load metadata: `_source_file`, `_source_line` (the line the row starts
  on), `_file_hash` and `_loaded_at` (UTC).

## Entities
"""


def contract_markdown(contract: dict[str, Entity] | None = None) -> str:
    """Render the raw contract as the Markdown page docs/raw-contract.md."""
    contract = contract or load_contract()
    parts = [CONTRACT_DOC_INTRO]
    for entity in contract.values():
        parts.append(f"\n### {entity.name}\n\n{entity.description}\n\nKey: `{', '.join(entity.key)}`.\n")
        parts.append("| column | type | required | default | accepted values | description |")
        parts.append("|---|---|---|---|---|---|")
        for column in entity.columns:
            parts.append(
                f"| `{column.name}` | {column.type} | {'yes' if column.required else 'no'} | "
                f"{column.default or ''} | {', '.join(column.accepted)} | {column.description} |"
            )
        if entity.wide:
            parts.append(
                "| *status columns* | timestamp | no | | | One column per source status, e.g. `mql_date` or "
                "`closed_won_at`; each non-empty cell becomes one stage event. |"
            )
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    Path(__file__).resolve().parent.parent.joinpath("docs", "raw-contract.md").write_text(contract_markdown(), encoding="utf-8")
