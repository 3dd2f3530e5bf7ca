"""Validation of specs and environments: structure (JSON Schema, models) and meaning. No I/O but files."""
