"""What connectors share for testing: serving a sandbox, injecting faults, the contract suite."""
