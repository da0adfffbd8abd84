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
