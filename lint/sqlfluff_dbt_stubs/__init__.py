"""Stand-ins for dbt's Jinja globals, so sqlfluff's jinja templater can render dbt models.

sqlfluff loads each module here as a Jinja global of the same name (library_path in
.sqlfluff). They render DuckDB SQL of the same shape dbt would produce; they exist for
linting only and never run in dbt.
"""

# Values var() returns while linting, for variables whose models need a real value to render:
# the date spine needs ISO dates, and an unset as_of_date must stay None.
LINT_VARS = {
    "date_spine_start": "2010-01-01",
    "date_spine_end": "2030-12-31",
    "reporting_currency": "USD",
    "as_of_date": None,
    "person_match_rule": "email_normalized",
    "theater_overrides": {},
}


def var(name: str, default: object = None) -> object:
    """Return the lint value of a project variable, else the given default."""
    if name in LINT_VARS:
        return LINT_VARS[name]
    return default if default is not None else name
