"""Convert a CRM or marketing export into raw contract files, driven by a declarative import profile.

A profile is a YAML file. `read:` describes the export's files (delimiter, encoding, decimal
separator, date formats, null markers), `outputs:` maps them to contract entities, and
`status_mappings:` maps the source's status values to canonical stages.
docs/import-profiles.md documents the vocabulary.

The `from` file of an output is streamed row by row. Files used by `join:` are held in memory,
keyed by the join column, and so are the keys of a `distinct: true` output. All outputs are
written to temporary files in the landing folder and renamed only when every output succeeded,
so a failed import leaves the landing folder as it was.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import os
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from orchestration.contract import Entity, load_contract
from orchestration.logs import counted, get_logger

PROFILES_DIR = Path(__file__).with_name("profiles")
PROFILE_SUFFIXES = (".yml", ".yaml")

STATUS_MAPPINGS_ENTITY = "status_mappings"
STATUS_MAPPINGS_HEADER = ("source_system", "source_status", "stage_code")
DEFAULT_SOURCE_SYSTEM = "default"

PROFILE_KEYS = ("name", "description", "source_system", "read", "outputs", "status_mappings")
READ_KEYS = (
    "path",
    "delimiter",
    "quotechar",
    "encoding",
    "decimal",
    "thousands",
    "date_format",
    "timestamp_format",
    "null_values",
)
OUTPUT_KEYS = ("from", "join", "where", "columns", "distinct", "union")
PART_KEYS = ("from", "join", "where", "columns")
JOIN_KEYS = ("from", "key", "left_key", "right_key", "required")
COLUMN_SOURCE_KEYS = ("column", "value", "template")
COLUMN_KEYS = (*COLUMN_SOURCE_KEYS, "format", "map", "default")
CONDITION_OPERATORS = ("in", "not_in")

# Start of the reason recorded for rows a `where` condition leaves out.
FILTERED_REASON = "filtered out by where"

# Prefix of the temporary files an import writes before renaming them into place.
PARTIAL_PREFIX = ".importing-"


class ImporterError(Exception):
    """An import that cannot run. The message names the file, the profile key and the fix."""


class ProfileError(ImporterError):
    """A profile that is invalid, or that names a column its source file does not have."""


class SourceFileError(ImporterError):
    """A source file that is missing or cannot be read the way the profile describes it."""


class InvalidValueError(ValueError):
    """A value that does not parse as its contract type or is not an accepted value."""

    def __init__(self, value: str, problem: str) -> None:
        super().__init__(f"{value!r} {problem}")
        self.value = value
        self.problem = problem


# ---------------------------------------------------------------------------
# Profile model


@dataclass(frozen=True)
class SourceFile:
    """One file of the export, as `read.<name>` describes it."""

    name: str
    path: str
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    decimal: str = "."
    thousands: str = ""
    date_formats: tuple[str, ...] = ()
    timestamp_formats: tuple[str, ...] = ()
    null_values: frozenset[str] = frozenset({""})


# Reading conventions for constants in a profile: ISO dates and "." as decimal separator.
CONSTANT_SOURCE = SourceFile(name="(constant)", path="")


@dataclass(frozen=True)
class ColumnRef:
    """A source column: `column` of the `from` file, or `join.column` of a joined file."""

    column: str
    join: str | None = None
    label: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.join}.{self.column}" if self.join else self.column)


@dataclass(frozen=True)
class ColumnMapping:
    """Source and conversion of one output column (`outputs.<entity>.columns.<name>`)."""

    name: str
    type: str
    required: bool = False
    accepted: tuple[str, ...] = ()
    column: ColumnRef | None = None
    value: str | None = None
    template: str | None = None
    template_refs: tuple[ColumnRef, ...] = ()
    # The template split once into (literal text, placeholder label or None, format spec).
    template_parts: tuple[tuple[str, str | None, str], ...] = ()
    formats: tuple[str, ...] = ()
    value_map: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None

    @property
    def refs(self) -> tuple[ColumnRef, ...]:
        """Source columns this mapping reads."""
        return (self.column,) if self.column else self.template_refs


@dataclass(frozen=True)
class Join:
    """A left join of the `from` file with another file, one matching row per key (`join.<name>`)."""

    name: str
    source: str
    left_key: str
    right_key: str
    required: bool = False


@dataclass(frozen=True)
class Condition:
    """One `where` condition. `in` and `not_in` compare trimmed values case-insensitively."""

    column: ColumnRef
    operator: str
    values: tuple[str, ...] = ()
    folded_values: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folded_values", frozenset(value.casefold() for value in self.values))

    def matches(self, value: str) -> bool:
        if self.operator == "blank":
            return value == ""
        if self.operator == "not_blank":
            return value != ""
        is_listed = value.casefold() in self.folded_values
        return is_listed if self.operator == "in" else not is_listed

    def describe(self) -> str:
        if self.operator in ("blank", "not_blank"):
            return f"{self.column.label} {self.operator}"
        return f"{self.column.label} {self.operator} [{', '.join(self.values)}]"


@dataclass(frozen=True)
class OutputPart:
    """One mapping from a source file to an output. An output with `union` has several."""

    key: str
    source: str
    joins: tuple[Join, ...]
    where: tuple[Condition, ...]
    columns: tuple[ColumnMapping, ...]


@dataclass(frozen=True)
class Output:
    """One output file, `<entity>.csv`, built from one or more parts."""

    entity: Entity
    parts: tuple[OutputPart, ...]
    header: tuple[str, ...]
    distinct: bool = False

    @property
    def file_name(self) -> str:
        return f"{self.entity.name}.csv"


@dataclass(frozen=True)
class Profile:
    """A parsed and validated import profile."""

    name: str
    path: Path
    description: str
    source_system: str
    sources: Mapping[str, SourceFile]
    outputs: tuple[Output, ...]
    status_mappings: tuple[tuple[str, str], ...] = ()


# ---------------------------------------------------------------------------
# Import report


@dataclass
class SkippedRows:
    """Rows of one source file that one output did not write, for one reason.

    `filtered` marks rows that a `where` condition or `distinct: true` left out on purpose.
    The other skipped rows are problems in the export.
    """

    reason: str
    count: int
    first_line: int
    first_value: str | None = None
    filtered: bool = False


@dataclass
class SourceReport:
    """Rows read from one source file and the rows each output skipped, by reason."""

    name: str
    path: Path
    rows_read: int = 0
    skipped: dict[str, SkippedRows] = field(default_factory=dict)

    def skip(self, reason: str, line: int, value: str | None = None, filtered: bool = False) -> None:
        entry = self.skipped.get(reason)
        if entry is None:
            self.skipped[reason] = SkippedRows(reason, count=1, first_line=line, first_value=value, filtered=filtered)
        else:
            entry.count += 1


@dataclass
class OutputReport:
    """Rows written to one output file in the landing folder."""

    entity: str
    path: Path
    rows_written: int


@dataclass
class ImportReport:
    """Result of one import: per output file the rows written, per source file the rows read and skipped.

    `outputs` is keyed by file name (`leads.csv`), `sources` by the file's name under `read:`.
    """

    profile_name: str
    profile_path: Path
    source_dir: Path
    landing_dir: Path
    outputs: dict[str, OutputReport] = field(default_factory=dict)
    sources: dict[str, SourceReport] = field(default_factory=dict)

    @property
    def has_skipped_problems(self) -> bool:
        """Whether any output skipped a row for a problem, not for a `where` or `distinct` filter."""
        return any(
            not skipped.filtered for source in self.sources.values() for skipped in source.skipped.values()
        )

    def summary_lines(self) -> list[str]:
        """Return the report as lines of text for a terminal."""
        lines = [f"Imported {self.source_dir} into {self.landing_dir} with profile {self.profile_name}."]
        for file_name, output in self.outputs.items():
            lines.append(f"wrote {file_name}: {_rows(output.rows_written)}")
        for source in self.sources.values():
            lines.append(f"read {source.path.name}: {_rows(source.rows_read)}")
            for skipped in source.skipped.values():
                verb = "left out" if skipped.filtered else "skipped"
                example = f", value {skipped.first_value!r}" if skipped.first_value is not None else ""
                lines.append(
                    f"  {verb} {_rows(skipped.count)} for {skipped.reason}"
                    f" (first at line {skipped.first_line}{example})"
                )
        return lines

    def summary_text(self) -> str:
        """Return the report as one text block for a terminal, one line per file and reason."""
        return "\n".join(self.summary_lines())


def _rows(count: int) -> str:
    return counted(count, "row")


# ---------------------------------------------------------------------------
# Loading and validating a profile


def available_profiles() -> list[str]:
    """Return the names of the profiles shipped in orchestration/profiles."""
    return sorted(path.stem for path in PROFILES_DIR.glob("*.yml"))


def resolve_profile_path(profile: str | Path) -> Path:
    """Return the profile file for a shipped profile name or a path to a .yml file."""
    text = str(profile)
    candidate = Path(text)
    if candidate.suffix in PROFILE_SUFFIXES or os.sep in text or "/" in text:
        if not candidate.is_file():
            raise ProfileError(f"Profile file {candidate} not found. Pass the path of an existing .yml file.")
        return candidate.resolve()
    shipped = PROFILES_DIR / f"{text}.yml"
    if not shipped.is_file():
        names = ", ".join(available_profiles())
        raise ProfileError(
            f"Unknown profile {text!r}. Pass a shipped profile name ({names}) or the path of a .yml profile file."
        )
    return shipped


def load_profile(profile: str | Path) -> Profile:
    """Read a profile by name or path and validate it against the raw contract.

    Raises ProfileError naming the profile file, the key and the fix. Source columns are
    checked later, against the headers of the files, by `import_export`.
    """
    path = resolve_profile_path(profile)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ProfileError(f"{path}: invalid YAML: {error}") from error
    return _ProfileParser(path).parse(document)


class _ProfileParser:
    """Parser from the YAML document of one profile to a Profile. Raises ProfileError on the first problem."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.contract = load_contract()

    def error(self, key: str, problem: str, fix: str) -> ProfileError:
        return ProfileError(f"{self.path}: {key}: {problem}. {fix}")

    def parse(self, document: Any) -> Profile:
        if document is None:
            fix = "Add read: and outputs: as docs/import-profiles.md shows."
            raise self.error("(top level)", "the profile is empty", fix)
        document = self.mapping(document, "(top level)")
        self.check_keys(document, PROFILE_KEYS, "(top level)")
        if "read" not in document:
            raise self.error(
                "read", "missing", "List the export's files under read:, e.g. read: {leads: {path: leads.csv}}."
            )
        if "outputs" not in document and "status_mappings" not in document:
            raise self.error("outputs", "missing", "Map at least one contract entity under outputs:.")

        source_system = self.text(document.get("source_system", DEFAULT_SOURCE_SYSTEM), "source_system")
        sources = {
            name: self.parse_source(name, spec)
            for name, spec in self.mapping(document["read"], "read").items()
        }
        outputs = [
            self.parse_output(entity_name, spec, sources, source_system)
            for entity_name, spec in self.mapping(document.get("outputs") or {}, "outputs").items()
        ]
        status_mappings = self.parse_status_mappings(document.get("status_mappings"))
        if status_mappings and any(output.entity.name == STATUS_MAPPINGS_ENTITY for output in outputs):
            raise self.error(
                "outputs.status_mappings",
                "status mappings are given both here and under the top-level status_mappings key",
                "Keep one of them.",
            )

        used = {part.source for output in outputs for part in output.parts}
        used |= {join.source for output in outputs for part in output.parts for join in part.joins}
        for name in sources.keys() - used:
            get_logger().warning("Profile %s: read.%s is not used by any output.", self.path, name)

        return Profile(
            name=self.text(document.get("name", self.path.stem), "name"),
            path=self.path,
            description=" ".join(self.text(document.get("description", ""), "description").split()),
            source_system=source_system,
            sources=sources,
            outputs=tuple(outputs),
            status_mappings=status_mappings,
        )

    # -- read: ----------------------------------------------------------------

    def parse_source(self, name: str, spec: Any) -> SourceFile:
        key = f"read.{name}"
        if isinstance(spec, str):
            spec = {"path": spec}
        spec = self.mapping(spec, key)
        self.check_keys(spec, READ_KEYS, key)
        if "path" not in spec:
            raise self.error(f"{key}.path", "missing", "Give the file name, relative to the --from folder.")

        delimiter = self.single_character(spec.get("delimiter", ","), f"{key}.delimiter")
        quotechar = self.single_character(spec.get("quotechar", '"'), f"{key}.quotechar")
        encoding = self.text(spec.get("encoding", "utf-8"), f"{key}.encoding")
        try:
            codecs.lookup(encoding)
        except LookupError as error:
            raise self.error(
                f"{key}.encoding",
                f"unknown encoding {encoding!r}",
                "Use a Python codec name such as utf-8, utf-8-sig or cp1252.",
            ) from error

        decimal = self.text(spec.get("decimal", "."), f"{key}.decimal")
        if decimal not in (".", ","):
            raise self.error(f"{key}.decimal", f"decimal separator {decimal!r} is not supported", 'Use "." or ",".')
        thousands = self.text(spec.get("thousands", ""), f"{key}.thousands")
        if thousands == decimal:
            raise self.error(
                f"{key}.thousands", "equals the decimal separator", "Use a different thousands separator or none."
            )

        null_values = spec.get("null_values", [""])
        if not isinstance(null_values, list):
            null_values = [null_values]

        return SourceFile(
            name=name,
            path=self.text(spec["path"], f"{key}.path"),
            delimiter=delimiter,
            quotechar=quotechar,
            encoding=encoding,
            decimal=decimal,
            thousands=thousands,
            date_formats=self.formats(spec.get("date_format"), f"{key}.date_format"),
            timestamp_formats=self.formats(spec.get("timestamp_format"), f"{key}.timestamp_format"),
            null_values=frozenset({""} | {self.text(value, f"{key}.null_values").strip() for value in null_values}),
        )

    # -- outputs: -------------------------------------------------------------

    def parse_output(self, entity_name: str, spec: Any, sources: dict[str, SourceFile], source_system: str) -> Output:
        key = f"outputs.{entity_name}"
        entity = self.contract.get(entity_name)
        if entity is None:
            raise self.error(key, f"{entity_name!r} is not a contract entity", self.suggest(entity_name, self.contract))
        spec = self.mapping(spec, key)
        self.check_keys(spec, OUTPUT_KEYS, key)
        distinct = spec.get("distinct", False)
        if not isinstance(distinct, bool):
            raise self.error(
                f"{key}.distinct", f"{distinct!r} is not true or false", "Write distinct: true or leave it out."
            )

        if "union" in spec:
            extra = [name for name in PART_KEYS if name in spec]
            if extra:
                raise self.error(
                    key,
                    f"{', '.join(extra)} given next to union",
                    "Put from, join, where and columns inside each union item.",
                )
            items = spec["union"]
            if not isinstance(items, list) or not items:
                raise self.error(
                    f"{key}.union", "not a non-empty list", "Give a list of mappings, each with from and columns."
                )
            parts = []
            for index, item in enumerate(items):
                part_key = f"{key}.union[{index}]"
                item = self.mapping(item, part_key)
                self.check_keys(item, PART_KEYS, part_key)
                parts.append(self.parse_part(part_key, item, entity, sources, source_system))
        else:
            part_spec = {name: spec[name] for name in PART_KEYS if name in spec}
            parts = [self.parse_part(key, part_spec, entity, sources, source_system)]

        header = list(entity.column_names)
        for part in parts:
            header.extend(column.name for column in part.columns if column.name not in header)
        return Output(entity=entity, parts=tuple(parts), header=tuple(header), distinct=distinct)

    def parse_part(
        self, key: str, spec: dict, entity: Entity, sources: dict[str, SourceFile], source_system: str
    ) -> OutputPart:
        if "from" not in spec:
            raise self.error(f"{key}.from", "missing", f"Name the source file, one of: {', '.join(sources)}.")
        source = self.text(spec["from"], f"{key}.from")
        if source not in sources:
            raise self.error(f"{key}.from", f"{source!r} is not listed under read", self.suggest(source, sources))

        joins = tuple(
            self.parse_join(f"{key}.join.{name}", name, join_spec, sources)
            for name, join_spec in self.mapping(spec.get("join") or {}, f"{key}.join").items()
        )
        join_names = {join.name for join in joins}
        where = tuple(
            self.parse_condition(f"{key}.where.{column}", column, condition, join_names)
            for column, condition in self.mapping(spec.get("where") or {}, f"{key}.where").items()
        )
        if "columns" not in spec:
            raise self.error(f"{key}.columns", "missing", "Map the contract columns, e.g. columns: {lead_id: id}.")
        columns = [
            self.parse_column(f"{key}.columns.{name}", name, column_spec, entity, join_names)
            for name, column_spec in self.mapping(spec["columns"], f"{key}.columns").items()
        ]

        # Entities with a source_system column get the profile's source_system unless the part maps it.
        if "source_system" in entity.column_names and all(column.name != "source_system" for column in columns):
            contract_column = entity.column("source_system")
            columns.append(ColumnMapping(name=contract_column.name, type=contract_column.type, value=source_system))

        mapped = {column.name for column in columns}
        missing = [name for name in entity.required_columns if name not in mapped]
        if missing:
            raise self.error(
                f"{key}.columns",
                f"required contract column{'s' if len(missing) > 1 else ''} {', '.join(missing)} not mapped",
                f"Add {missing[0]}: <source column> or {missing[0]}: {{value: <constant>}}.",
            )
        return OutputPart(key=key, source=source, joins=joins, where=where, columns=tuple(columns))

    def parse_join(self, key: str, name: str, spec: Any, sources: dict[str, SourceFile]) -> Join:
        spec = self.mapping(spec, key)
        self.check_keys(spec, JOIN_KEYS, key)
        source = self.text(spec.get("from", name), f"{key}.from")
        if source not in sources:
            raise self.error(f"{key}.from", f"{source!r} is not listed under read", self.suggest(source, sources))
        if "key" in spec:
            if "left_key" in spec or "right_key" in spec:
                raise self.error(
                    key, "key given together with left_key or right_key", "Use key alone, or left_key and right_key."
                )
            left_key = right_key = self.text(spec["key"], f"{key}.key")
        elif "left_key" in spec and "right_key" in spec:
            left_key = self.text(spec["left_key"], f"{key}.left_key")
            right_key = self.text(spec["right_key"], f"{key}.right_key")
        else:
            raise self.error(
                key, "join column missing", "Give key: <column> (same name in both files) or left_key and right_key."
            )
        required = spec.get("required", False)
        if not isinstance(required, bool):
            raise self.error(
                f"{key}.required", f"{required!r} is not true or false", "Write required: true or leave it out."
            )
        return Join(name=name, source=source, left_key=left_key, right_key=right_key, required=required)

    def parse_condition(self, key: str, column: str, spec: Any, join_names: set[str]) -> Condition:
        ref = self.column_ref(column, join_names)
        if spec in ("blank", "not_blank"):
            return Condition(column=ref, operator=spec)
        if isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in ("blank", "not_blank"):
            raise self.error(key, "blank and not_blank take no values", f"Write {next(iter(spec))} alone.")
        spec = self.mapping(spec, key)
        if len(spec) != 1 or next(iter(spec)) not in CONDITION_OPERATORS:
            raise self.error(
                key, "not a valid condition", "Write {in: [A, B]}, {not_in: [A, B]}, blank or not_blank."
            )
        operator, values = next(iter(spec.items()))
        if not isinstance(values, list):
            values = [values]
        return Condition(
            column=ref, operator=operator, values=tuple(self.text(value, f"{key}.{operator}") for value in values)
        )

    def parse_column(self, key: str, name: str, spec: Any, entity: Entity, join_names: set[str]) -> ColumnMapping:
        if name in entity.column_names:
            contract_column = entity.column(name)
            column_type = contract_column.type
            required = contract_column.required
            accepted = contract_column.accepted
        elif entity.wide and name not in entity.table_columns:
            # Every extra column of a wide entity is a status column holding the time the record reached it.
            column_type, required, accepted = "timestamp", False, ()
        else:
            raise self.error(
                key,
                f"{name!r} is not a column of contract entity {entity.name}",
                self.suggest(name, entity.column_names),
            )

        if isinstance(spec, str):
            spec = {"column": spec}
        spec = self.mapping(spec, key)
        self.check_keys(spec, COLUMN_KEYS, key)
        source_keys = [source_key for source_key in COLUMN_SOURCE_KEYS if source_key in spec]
        if len(source_keys) != 1:
            raise self.error(
                key,
                "needs exactly one of column, value or template",
                f"Write {name}: <source column>, {name}: {{value: <constant>}} or {name}: {{template: \"...\"}}.",
            )

        column_mapping = ColumnMapping(
            name=name,
            type=column_type,
            required=required,
            accepted=accepted,
            formats=self.formats(spec.get("format"), f"{key}.format"),
            value_map={
                self.text(source_value, f"{key}.map"): self.text(target, f"{key}.map.{source_value}")
                for source_value, target in self.mapping(spec.get("map") or {}, f"{key}.map").items()
            },
            default=None if spec.get("default") is None else self.text(spec["default"], f"{key}.default"),
        )
        if column_mapping.formats and column_type not in ("date", "timestamp"):
            raise self.error(
                f"{key}.format",
                f"format applies to date and timestamp columns, {name} is {column_type}",
                "Remove format.",
            )

        if "column" in spec:
            ref = self.column_ref(self.text(spec["column"], f"{key}.column"), join_names)
            column_mapping = replace(column_mapping, column=ref)
        elif "value" in spec:
            column_mapping = replace(column_mapping, value=self.text(spec["value"], f"{key}.value"))
        else:
            template = self.text(spec["template"], f"{key}.template")
            parts = self.template_parts(template, f"{key}.template")
            refs = tuple(
                dict.fromkeys(self.column_ref(label, join_names) for _text, label, _spec in parts if label is not None)
            )
            column_mapping = replace(column_mapping, template=template, template_refs=refs, template_parts=parts)

        self.check_constants(key, column_mapping)
        return column_mapping

    def template_parts(self, template: str, key: str) -> tuple[tuple[str, str | None, str], ...]:
        """Split a template into literal text and placeholders, the way str.format reads it."""
        syntax = "Write {column} or {column:.8}, and {{ or }} for a literal brace."
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as error:
            raise self.error(key, f"invalid template: {error}", syntax) from error
        parts = []
        for text, label, spec, conversion in parsed:
            if label is not None:
                if label == "" or label.isdigit():
                    fix = "Name a column inside each {}."
                    raise self.error(key, "template has an empty or numbered placeholder", fix)
                if conversion is not None or "{" in (spec or ""):
                    raise self.error(key, f"placeholder {{{label}}} uses ! or a nested {{}}", syntax)
                try:
                    format("", spec or "")
                except ValueError as error:
                    raise self.error(key, f"invalid format spec {spec!r} in {{{label}}}: {error}", syntax) from error
            parts.append((text, label, spec or ""))
        if all(label is None for _text, label, _spec in parts):
            fix = "Use value: for a constant, or add a {column} placeholder."
            raise self.error(key, "template names no column", fix)
        return tuple(parts)

    def check_constants(self, key: str, column_mapping: ColumnMapping) -> None:
        """Raise ProfileError when a constant, default or map target is not a valid value of the column."""
        constants = [(f"{key}.map", target) for target in column_mapping.value_map.values()]
        if column_mapping.value is not None:
            constants.append((f"{key}.value", column_mapping.value))
        if column_mapping.default is not None:
            constants.append((f"{key}.default", column_mapping.default))
        for constant_key, constant in constants:
            try:
                convert_value(constant, column_mapping, CONSTANT_SOURCE)
            except InvalidValueError as error:
                raise self.error(constant_key, str(error), "Write a valid value for this column.") from error

    def parse_status_mappings(self, spec: Any) -> tuple[tuple[str, str], ...]:
        if spec is None:
            return ()
        accepted = self.contract[STATUS_MAPPINGS_ENTITY].column("stage_code").accepted
        mappings = []
        for source_status, stage_code in self.mapping(spec, "status_mappings").items():
            status = self.text(source_status, "status_mappings")
            stage = self.text(stage_code, f"status_mappings.{status}")
            if stage not in accepted:
                raise self.error(
                    f"status_mappings.{status}",
                    f"{stage!r} is not a canonical stage",
                    f"Use one of: {', '.join(accepted)}.",
                )
            mappings.append((status, stage))
        return tuple(mappings)

    # -- small checks ---------------------------------------------------------

    def column_ref(self, text: str, join_names: set[str]) -> ColumnRef:
        prefix, dot, column = text.partition(".")
        if dot and prefix in join_names:
            return ColumnRef(column=column, join=prefix)
        return ColumnRef(column=text)

    def mapping(self, value: Any, key: str) -> dict:
        if not isinstance(value, dict):
            raise self.error(key, f"expected a mapping, found {type(value).__name__}", "Write key: value pairs here.")
        return value

    def text(self, value: Any, key: str) -> str:
        """Return a YAML scalar as text, rejecting values that YAML read as booleans or null."""
        if isinstance(value, bool) or value is None:
            raise self.error(
                key,
                f"YAML read this value as {value!r}",
                "Quote it, e.g. \"no\", \"yes\", \"NULL\" or \"\", so it stays text.",
            )
        if isinstance(value, (dict, list)):
            raise self.error(key, f"expected a single value, found {type(value).__name__}", "Write one value here.")
        return str(value)

    def single_character(self, value: Any, key: str) -> str:
        text = self.text(value, key)
        if len(text) != 1:
            fix = 'Write one character, e.g. ";" or "\\t" for a tab.'
            raise self.error(key, f"{text!r} is not a single character", fix)
        return text

    def formats(self, value: Any, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        values = value if isinstance(value, list) else [value]
        formats = tuple(self.text(item, key) for item in values)
        for fmt in formats:
            if "%" not in fmt:
                raise self.error(key, f"{fmt!r} has no % directive", "Write a strptime format such as %d.%m.%Y %H:%M.")
        return formats

    def check_keys(self, spec: dict, allowed: tuple[str, ...], key: str) -> None:
        for name in spec:
            if isinstance(name, bool) or name is None:
                raise self.error(
                    key,
                    f"YAML read a key as {name!r}",
                    "Quote keys such as yes, no, on, off and null so they stay text.",
                )
            if name not in allowed:
                name_key = str(name) if key == "(top level)" else f"{key}.{name}"
                raise self.error(name_key, "unknown key", self.suggest(str(name), allowed))

    @staticmethod
    def suggest(name: str, choices: Any) -> str:
        choices = list(choices)
        close = difflib.get_close_matches(name, choices, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        return f"{hint}Use one of: {', '.join(choices)}."


# ---------------------------------------------------------------------------
# Converting values to the contract's text forms


def convert_value(value: str, column: ColumnMapping, source: SourceFile) -> str:
    """Return a non-blank source value in the contract's text form for the column's type.

    Raises InvalidValueError when the value does not parse as the type or is not an accepted value.
    """
    if value == "":
        return ""
    if column.type == "string" and not column.accepted:
        return value
    if column.type in ("decimal", "integer"):
        text = _convert_number(value, source, integer=column.type == "integer")
    elif column.type == "date":
        formats = column.formats or source.date_formats + source.timestamp_formats
        text = _parse_datetime(value, formats).date().isoformat()
    elif column.type == "timestamp":
        formats = column.formats or source.timestamp_formats + source.date_formats
        text = _format_timestamp(_parse_datetime(value, formats))
    elif column.type == "currency":
        text = value.upper()
    else:
        text = value

    if column.accepted:
        for accepted in column.accepted:
            if text.casefold() == accepted.casefold():
                return accepted
        raise InvalidValueError(text, f"is not one of {', '.join(column.accepted)}")
    return text


def _convert_number(value: str, source: SourceFile, integer: bool) -> str:
    text = value.replace(source.thousands, "") if source.thousands else value
    if source.decimal == ",":
        if "." in text:
            problem = "contains '.' but the decimal separator is ','; set thousands: '.' if it groups digits"
            raise InvalidValueError(value, problem)
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidValueError(value, "is not a number") from None
    if not number.is_finite():
        raise InvalidValueError(value, "is not a finite number")
    if integer:
        if number != number.to_integral_value():
            raise InvalidValueError(value, "is not a whole number")
        return str(int(number))
    return format(number, "f")


# strptime formats whose values datetime.fromisoformat reads as well. fromisoformat is written in C,
# strptime in Python, so trying it first speeds up large exports.
ISO_FORMATS = frozenset({"%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"})


@lru_cache(maxsize=65_536)
def _parse_datetime(value: str, formats: tuple[str, ...]) -> datetime:
    """Parse with the first matching strptime format, then as ISO 8601.

    Cached because exports repeat dates in many rows. When every format is an ISO one, ISO
    8601 is tried first: it gives the same result for those formats and also takes offsets.
    """
    if formats and not ISO_FORMATS.issuperset(formats):
        for fmt in formats:
            try:
                return datetime.strptime(value, fmt)
            except ValueError:
                continue
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    tried = ", ".join([*formats, "ISO 8601"])
    raise InvalidValueError(value, f"does not match the formats {tried}")


def _format_timestamp(parsed: datetime) -> str:
    """Format a timestamp as ISO 8601 with a space. An offset is kept only when the source value had one."""
    timespec = "seconds" if parsed.microsecond == 0 else "microseconds"
    return parsed.isoformat(sep=" ", timespec=timespec)


# ---------------------------------------------------------------------------
# Reading source files


class _SourceReader:
    """Reader of one source file as the profile describes it, with trimmed values and null markers as blank."""

    def __init__(self, spec: SourceFile, source_dir: Path, profile_path: Path) -> None:
        self.spec = spec
        self.path = source_dir / spec.path
        self.profile_path = profile_path
        if not self.path.is_file():
            raise SourceFileError(
                f"Source file {spec.path} not found in {source_dir} (read.{spec.name}.path in profile {profile_path}). "
                f"Pass the folder that contains it with --from, or fix read.{spec.name}.path."
            )
        self.header = self._read_header()

    def _open(self):
        return self.path.open("r", encoding=self.spec.encoding, newline="")

    def _csv_reader(self, handle) -> Any:
        return csv.reader(handle, delimiter=self.spec.delimiter, quotechar=self.spec.quotechar)

    def _read_header(self) -> tuple[str, ...]:
        with self._open() as handle:
            reader = self._csv_reader(handle)
            try:
                row = next(reader, None)
            except (UnicodeDecodeError, csv.Error) as error:
                raise self._read_error(error, 1) from error
        if not row:
            raise SourceFileError(
                f"Source file {self.path} is empty; profile {self.profile_path} expects a header row in it."
            )
        header = [name.strip() for name in row]
        # Decoding as utf-8 (unlike utf-8-sig) keeps a byte order mark, which is never part of a column name.
        header[0] = header[0].lstrip("\ufeff").strip()
        named = [name for name in header if name]
        duplicates = sorted({name for name in named if named.count(name) > 1})
        if duplicates:
            raise SourceFileError(
                f"Source file {self.path} has the column {duplicates[0]!r} more than once in its header, so "
                f"profile {self.profile_path} cannot tell them apart. Rename one of them in the export."
            )
        return tuple(header)

    def rows(self) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
        """Yield (line, values, problem) per data row, with values None when the row is malformed.

        Blank lines are left out. The line is the physical line on which the row ends.
        """
        width = len(self.header)
        with self._open() as handle:
            reader = self._csv_reader(handle)
            try:
                next(reader, None)
                for fields in reader:
                    if not fields:
                        continue
                    if len(fields) != width:
                        yield reader.line_num, None, f"row has {len(fields)} fields but the header has {width}"
                        continue
                    values = {}
                    for name, raw in zip(self.header, fields):
                        text = raw.strip()
                        values[name] = "" if text in self.spec.null_values else text
                    yield reader.line_num, values, None
            except (UnicodeDecodeError, csv.Error) as error:
                raise self._read_error(error, reader.line_num + 1) from error

    def _read_error(self, error: Exception, line: int) -> SourceFileError:
        if isinstance(error, UnicodeDecodeError):
            fix = f"Set read.{self.spec.name}.encoding in {self.profile_path} to the file's encoding, e.g. cp1252."
            problem = f"cannot be decoded as {self.spec.encoding}"
        else:
            fix = f"Check read.{self.spec.name}.delimiter and quotechar in {self.profile_path}."
            problem = "is not valid CSV"
        return SourceFileError(f"Source file {self.path} {problem} near line {line} ({error}). {fix}")


# ---------------------------------------------------------------------------
# Import


def import_export(profile: str, source_dir: Path, landing_dir: Path) -> ImportReport:
    """Convert the export in source_dir into contract files in landing_dir, as the profile maps it.

    `profile` is a shipped profile name or the path of a profile file. Writes `<entity>.csv`
    per output plus `status_mappings.csv` when the profile maps statuses, replacing files of
    the same name. Raises ProfileError or SourceFileError before anything is written when the
    profile does not fit the files' headers. A SourceFileError while reading rows (a line that
    does not decode, say) removes the partial outputs, so landing_dir keeps its previous files.
    """
    parsed = load_profile(profile)
    source_dir = Path(source_dir)
    landing_dir = Path(landing_dir)
    logger = get_logger()
    logger.info("Importing %s with profile %s (%s).", source_dir, parsed.name, parsed.path)

    readers = {name: _SourceReader(spec, source_dir, parsed.path) for name, spec in parsed.sources.items()}
    _check_source_columns(parsed, readers)

    report = ImportReport(
        profile_name=parsed.name,
        profile_path=parsed.path,
        source_dir=source_dir,
        landing_dir=landing_dir,
        sources={name: SourceReport(name=name, path=reader.path) for name, reader in readers.items()},
    )
    landing_dir.mkdir(parents=True, exist_ok=True)
    lookups = _JoinLookups(readers)
    partial_paths: dict[Path, Path] = {}
    try:
        for output in parsed.outputs:
            final_path = landing_dir / output.file_name
            partial_path = landing_dir / f"{PARTIAL_PREFIX}{output.file_name}"
            partial_paths[partial_path] = final_path
            rows_written = _write_output(output, readers, lookups, report, partial_path)
            report.outputs[output.file_name] = OutputReport(output.entity.name, final_path, rows_written)
        if parsed.status_mappings:
            file_name = f"{STATUS_MAPPINGS_ENTITY}.csv"
            partial_path = landing_dir / f"{PARTIAL_PREFIX}{file_name}"
            partial_paths[partial_path] = landing_dir / file_name
            rows_written = _write_status_mappings(parsed, partial_path)
            report.outputs[file_name] = OutputReport(STATUS_MAPPINGS_ENTITY, landing_dir / file_name, rows_written)
    except BaseException:
        for partial_path in partial_paths:
            partial_path.unlink(missing_ok=True)
        raise
    for partial_path, final_path in partial_paths.items():
        os.replace(partial_path, final_path)

    _log_report(report)
    _warn_about_other_landing_files(landing_dir, set(report.outputs))
    return report


def _check_source_columns(profile: Profile, readers: dict[str, _SourceReader]) -> None:
    """Raise ProfileError when a profile key names a column its source file does not have."""
    for output in profile.outputs:
        for part in output.parts:
            checks = []
            for join in part.joins:
                checks.append((ColumnRef(join.left_key), f"{part.key}.join.{join.name}.left_key"))
                checks.append((ColumnRef(join.right_key, join.name), f"{part.key}.join.{join.name}.right_key"))
            for condition in part.where:
                checks.append((condition.column, f"{part.key}.where.{condition.column.label}"))
            for column in part.columns:
                checks.extend((ref, f"{part.key}.columns.{column.name}") for ref in column.refs)

            joined_sources = {join.name: join.source for join in part.joins}
            for ref, key in checks:
                source = joined_sources[ref.join] if ref.join else part.source
                _require_column(profile, readers[source], ref.column, key)


def _require_column(profile: Profile, reader: _SourceReader, column: str, key: str) -> None:
    if column in reader.header:
        return
    close = difflib.get_close_matches(column, [name for name in reader.header if name], n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    raise ProfileError(
        f"{profile.path}: {key}: source file {reader.spec.path} (read.{reader.spec.name}) has no column "
        f"{column!r}. {hint}Its columns are: {', '.join(reader.header)}."
    )


class _JoinLookups:
    """Rows of joined files keyed by the join column, read once per file and column."""

    def __init__(self, readers: dict[str, _SourceReader]) -> None:
        self.readers = readers
        self.tables: dict[tuple[str, str], dict[str, dict[str, str]]] = {}

    def table(self, join: Join, report: ImportReport) -> dict[str, dict[str, str]]:
        key = (join.source, join.right_key)
        if key not in self.tables:
            reader = self.readers[join.source]
            table: dict[str, dict[str, str]] = {}
            duplicates = 0
            rows_read = 0
            for _line, values, _problem in reader.rows():
                rows_read += 1
                if values is None or values[join.right_key] == "":
                    continue
                if values[join.right_key] in table:
                    duplicates += 1
                    continue
                table[values[join.right_key]] = values
            source_report = report.sources[join.source]
            source_report.rows_read = max(source_report.rows_read, rows_read)
            if duplicates:
                get_logger().warning(
                    "%s has %d rows with a %s already seen; joins use the first row per %s.",
                    reader.path.name,
                    duplicates,
                    join.right_key,
                    join.right_key,
                )
            self.tables[key] = table
        return self.tables[key]


def _write_output(
    output: Output,
    readers: dict[str, _SourceReader],
    lookups: _JoinLookups,
    report: ImportReport,
    path: Path,
) -> int:
    """Write one output file and return its number of data rows."""
    entity_name = output.entity.name
    seen_keys: set[tuple[str, ...]] = set()
    key_defaults = {column.name: column.default or "" for column in output.entity.columns}
    rows_written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(output.header)
        for part in output.parts:
            reader = readers[part.source]
            source_report = report.sources[part.source]
            tables = {join.name: lookups.table(join, report) for join in part.joins}
            rows_read = 0
            for line, values, problem in reader.rows():
                rows_read += 1
                if values is None:
                    source_report.skip(f"{entity_name}: {problem}", line)
                    continue
                row, skip_reason, skip_value = _map_row(part, values, tables, reader.spec)
                if skip_reason is not None:
                    filtered = skip_reason.startswith(FILTERED_REASON)
                    source_report.skip(f"{entity_name}: {skip_reason}", line, skip_value, filtered)
                    continue
                if output.distinct:
                    key = tuple(row.get(name) or key_defaults[name] for name in output.entity.key)
                    if key in seen_keys:
                        source_report.skip(
                            f"{entity_name}: repeats a {' + '.join(output.entity.key)} already written (distinct: true)",
                            line,
                            filtered=True,
                        )
                        continue
                    seen_keys.add(key)
                writer.writerow([row.get(name, "") for name in output.header])
                rows_written += 1
            source_report.rows_read = max(source_report.rows_read, rows_read)
    return rows_written


def _map_row(
    part: OutputPart,
    values: dict[str, str],
    tables: dict[str, dict[str, dict[str, str]]],
    source: SourceFile,
) -> tuple[dict[str, str], str | None, str | None]:
    """Map one source row to output columns.

    Returns (row, skip reason, offending value). The reason is None when the row is written.
    """
    namespace = dict(values) if part.joins else values
    for join in part.joins:
        match = tables[join.name].get(values[join.left_key])
        if match is None and join.required:
            return {}, f"no row in {join.source} with {join.right_key} = {join.left_key}", values[join.left_key]
        for name, value in (match or {}).items():
            namespace[f"{join.name}.{name}"] = value

    for condition in part.where:
        if not condition.matches(namespace.get(condition.column.label, "")):
            return {}, f"{FILTERED_REASON} {condition.describe()}", None

    row = {}
    for column in part.columns:
        value, is_constant = _column_value(column, namespace)
        if value in column.value_map:
            value, is_constant = column.value_map[value], True
        if value == "" and column.default is not None:
            value, is_constant = column.default, True
        # Constants, map targets and defaults are read the way the profile writes them: ISO dates, "." decimals.
        try:
            value = convert_value(value, column, CONSTANT_SOURCE if is_constant else source)
        except InvalidValueError as error:
            return {}, f"{column.name} value {error.problem}", error.value
        if value == "" and column.required:
            return {}, f"required column {column.name} is blank", None
        row[column.name] = value
    return row, None, None


def _column_value(column: ColumnMapping, namespace: dict[str, str]) -> tuple[str, bool]:
    """Return the unconverted value of one output column and whether it is a constant of the profile."""
    if column.value is not None:
        return column.value, True
    if column.column is not None:
        return namespace.get(column.column.label, ""), False
    # A template whose placeholders are all blank gives a blank value, not just its literal text.
    if all(namespace.get(ref.label, "") == "" for ref in column.template_refs):
        return "", False
    pieces = []
    for text, label, spec in column.template_parts:
        pieces.append(text)
        if label is not None:
            pieces.append(format(namespace.get(label, ""), spec))
    return "".join(pieces).strip(), False


def _write_status_mappings(profile: Profile, path: Path) -> int:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(STATUS_MAPPINGS_HEADER)
        for source_status, stage_code in profile.status_mappings:
            writer.writerow([profile.source_system, source_status, stage_code])
    return len(profile.status_mappings)


def _log_report(report: ImportReport) -> None:
    logger = get_logger()
    for file_name, output in report.outputs.items():
        logger.info("Wrote %s: %s.", file_name, _rows(output.rows_written))
    for source in report.sources.values():
        for skipped in source.skipped.values():
            log = logger.info if skipped.filtered else logger.warning
            log(
                "%s: %s %s for %s (first at line %d).",
                source.path.name,
                "left out" if skipped.filtered else "skipped",
                _rows(skipped.count),
                skipped.reason,
                skipped.first_line,
            )


def _warn_about_other_landing_files(landing_dir: Path, written: set[str]) -> None:
    """Warn about contract files in the landing folder that this import did not write; the loader reads them too."""
    entities = load_contract()
    for path in sorted(landing_dir.iterdir()):
        if path.name in written or not path.is_file():
            continue
        if not path.name.endswith((".csv", ".csv.gz", ".jsonl")):
            continue
        stem = path.name.split(".", 1)[0]
        if any(stem == name or stem.startswith(f"{name}_") for name in entities):
            get_logger().warning(
                "Landing folder %s also contains %s, which this import did not write; the loader reads it too.",
                landing_dir,
                path.name,
            )
