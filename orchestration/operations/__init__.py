"""Operations: the checks of a run, reconciliation, run history, alert wiring, freshness and business metrics.

The CLI job (orchestration/pipeline.py) and the Dagster assets (orchestration/defs) both go
through these modules, so a run behaves and reports the same way whichever starts it.
Settings are in operations.yml next to this file; docs/operations.md is the on-call runbook.
"""
