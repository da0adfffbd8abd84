"""Dagster assets, resources and schedules of funnelmart, one module per concern."""
