"""The spec language: models, YAML with line numbers, environments, and the one overlay function."""
