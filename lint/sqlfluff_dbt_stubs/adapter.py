"""dbt's `adapter.dispatch`: picks the duckdb__ implementation of a project macro, else default__."""

from jinja2 import pass_context


@pass_context
def dispatch(context, macro_name: str, macro_namespace: str | None = None):
    for prefix in ("duckdb__", "default__"):
        macro = context.get(prefix + macro_name)
        if macro is not None:
            return macro
    raise KeyError(f"No duckdb__ or default__ implementation of macro {macro_name}")
