"""Tillsync's engine: specs, validation, mapping, plan, apply, state. It never imports Dagster."""
