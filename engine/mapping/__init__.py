"""Mapping: JMESPath with Tillsync's transforms, stock formulas, entity rules, and the mapper. Pure."""
