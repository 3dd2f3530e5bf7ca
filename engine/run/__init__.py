"""Running flows: the only layer that talks to systems. Workspace, read, plan, apply, the runner."""
