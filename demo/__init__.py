"""`make demo`: the bundled integration run end to end on the sandbox environment."""
