"""The project's one logger, configured once by the CLI or Dagster."""

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
