"""dbt's `exceptions` global."""


def raise_compiler_error(message: str) -> None:
    raise RuntimeError(message)
