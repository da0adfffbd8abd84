"""The cross-database macros of dbt's `dbt` namespace that the models call."""


def type_string() -> str:
    return "varchar"


def type_int() -> str:
    return "integer"


def type_bigint() -> str:
    return "bigint"


def type_numeric() -> str:
    return "numeric(28, 6)"


def type_float() -> str:
    return "double"


def type_timestamp() -> str:
    return "timestamp"


def type_boolean() -> str:
    return "boolean"


def current_timestamp() -> str:
    return "current_timestamp"


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def dateadd(datepart: str, interval: object, from_date_or_timestamp: str) -> str:
    return f"({from_date_or_timestamp} + cast({interval} as bigint) * interval 1 {datepart})"


def concat(fields: list[str]) -> str:
    return " || ".join(str(field) for field in fields)


def safe_cast(field: str, type: str) -> str:  # noqa: A002 - dbt's argument name
    return f"try_cast({field} as {type})"


def cast(field: str, type: str) -> str:  # noqa: A002 - dbt's argument name
    return f"cast({field} as {type})"


def split_part(string_text: str, delimiter_text: str, part_number: object) -> str:
    return f"split_part({string_text}, {delimiter_text}, {part_number})"


def position(substring_text: str, string_text: str) -> str:
    return f"position({substring_text} in {string_text})"


def length(expression: str) -> str:
    return f"length({expression})"


def right(string_text: str, length_expression: str) -> str:
    return f"right({string_text}, {length_expression})"
