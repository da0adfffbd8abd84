"""Tables of the published DuckDB file and the PostgreSQL type of each column."""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

# PostgreSQL type for each DuckDB type that has the same values. Unsigned integers move to the next
# larger signed type, and HUGEINT to numeric, because PostgreSQL has no unsigned or 128-bit integers.
POSTGRES_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(39, 0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20, 0)",
    "UHUGEINT": "numeric(39, 0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIME WITH TIME ZONE": "time with time zone",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "BLOB": "bytea",
}

DECIMAL_PATTERN = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")

# Columns that hold a person's contact data or name. The marts should contain none of them, and
# any that appear are left out of PostgreSQL, where the BI role could read them.
PERSONAL_DATA_COLUMNS = frozenset(
    {"email", "email_address", "first_name", "last_name", "full_name", "phone", "phone_number"}
)


@dataclass(frozen=True)
class SourceColumn:
    """A column of a published DuckDB table with the PostgreSQL type it is created as."""

    name: str
    duckdb_type: str
    postgres_type: str


@dataclass(frozen=True)
class SourceTable:
    """A published DuckDB table: the columns to copy and the personal-data columns left out."""

    schema: str
    name: str
    columns: tuple[SourceColumn, ...]
    personal_columns: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def quoted_name(self) -> str:
        """Schema-qualified name, quoted for DuckDB."""
        return f"{quote_duckdb_identifier(self.schema)}.{quote_duckdb_identifier(self.name)}"


def postgres_type(duckdb_type: str) -> str:
    """Return the PostgreSQL type for a DuckDB type name as `duckdb_columns()` reports it.

    ENUM columns become text. Raises ValueError for types without a PostgreSQL column type,
    such as LIST, STRUCT and MAP.
    """
    decimal = DECIMAL_PATTERN.fullmatch(duckdb_type)
    if decimal:
        return f"numeric({decimal.group(1)}, {decimal.group(2)})"
    if duckdb_type.startswith("ENUM("):
        return "text"
    if duckdb_type in POSTGRES_TYPES:
        return POSTGRES_TYPES[duckdb_type]
    raise ValueError(f"DuckDB type {duckdb_type} has no PostgreSQL column type")


def read_source_tables(connection: duckdb.DuckDBPyConnection, schema: str = "main") -> list[SourceTable]:
    """Return the base tables of a DuckDB schema, in name order, leaving out tables whose name starts with `_`.

    Raises ValueError naming the table and column when a column type cannot be published.
    """
    table_names = [
        row[0]
        for row in connection.execute(
            """
            select table_name
            from duckdb_tables()
            where database_name = current_database()
                and schema_name = ?
                and not internal
                and not temporary
                and not starts_with(table_name, '_')
            order by table_name
            """,
            [schema],
        ).fetchall()
    ]
    return [_read_table(connection, schema, name) for name in table_names]


def quote_duckdb_identifier(name: str) -> str:
    """Return name as a double-quoted DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def _read_table(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> SourceTable:
    rows = connection.execute(
        """
        select column_name, data_type
        from duckdb_columns()
        where database_name = current_database()
            and schema_name = ?
            and table_name = ?
        order by column_index
        """,
        [schema, table],
    ).fetchall()
    columns = []
    personal_columns = []
    for column_name, duckdb_type in rows:
        if column_name.lower() in PERSONAL_DATA_COLUMNS:
            personal_columns.append(column_name)
            continue
        try:
            pg_type = postgres_type(duckdb_type)
        except ValueError as error:
            raise ValueError(f"Column {table}.{column_name} cannot be published to PostgreSQL: {error}. "
                             "Cast it to a scalar type in the dbt model.") from error
        columns.append(SourceColumn(name=column_name, duckdb_type=duckdb_type, postgres_type=pg_type))
    return SourceTable(schema=schema, name=table, columns=tuple(columns), personal_columns=tuple(personal_columns))
