"""`tillsync undo RUN`: the plan that undoes an applied run, shown or saved; `apply --plan` applies it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from connectors import CONNECTORS
from engine.errors import TillsyncError
from engine.plan import planfile, render
from engine.run import runner
from engine.run.undo import find_run, undo_plan
from engine.run.workspace import load_workspace

EXIT_OK, EXIT_CHANGES = 0, 2


def undo(args: argparse.Namespace) -> int:
    workspace = load_workspace(Path.cwd(), args.env, connectors=CONNECTORS)
    with runner.state_store(workspace) as store:
        run, deployment = find_run(store, workspace, args.run_id)
        runner.require_credentials(workspace, [runner.Selected(deployment, run["flow"])])
        made = undo_plan(workspace, store, run, deployment)
        key = store.plan_key()
    output = planfile.dumps(made, key) if args.format == "json" else render.render(made, args.format)
    if args.out is None:
        sys.stdout.write(output)
        if args.format == "text" and made.has_changes:
            print(f"To undo it, save this plan and apply it: tillsync undo {args.run_id} --env {args.env} "
                  f"--out undo.json && tillsync apply --env {args.env} --plan undo.json")  # fmt: skip
        return EXIT_CHANGES if made.has_changes else EXIT_OK
    saved = planfile.dumps(made, key)  # saved to apply: always the signed plan file, whatever is shown
    try:
        args.out.write_text(saved, encoding="utf-8")
    except OSError as exc:
        raise TillsyncError(f"{args.out}: cannot write it ({exc.strerror or exc.__class__.__name__})") from None
    sys.stdout.write(render.render(made, "text" if args.format == "json" else args.format))
    print(f"wrote the plan to {args.out}; apply it with: tillsync apply --env {args.env} --plan {args.out}")
    return EXIT_CHANGES if made.has_changes else EXIT_OK
