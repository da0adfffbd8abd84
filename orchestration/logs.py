"""The project's one logger, configured once by the CLI or Dagster, and a helper for message counts."""

import logging

LOGGER_NAME = "funnelmart"


def get_logger() -> logging.Logger:
    """Return the funnelmart logger; handlers are set by configure_logging."""
    return logging.getLogger(LOGGER_NAME)


def configure_logging(verbose: bool = False) -> None:
    """Send funnelmart log records to standard error, one line each: warnings and errors, or all when verbose."""
    logger = get_logger()
    if logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """Return "1 file", "2 files" or "1,024 rows": the count with the noun in singular or plural."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
