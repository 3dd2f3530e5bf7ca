"""`python -m engine.cli`: the `tillsync` command."""

from engine.cli import main

raise SystemExit(main())
