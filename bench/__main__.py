"""`python -m bench`: run the scenarios, print a table, write bench/results.json."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import NAMES, ON_REQUEST, scenario
from bench.report import table, verdicts

RESULTS = Path(__file__).with_name("results.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=NAMES, metavar="NAME",
                        help=f"run only this scenario (repeatable): {', '.join(NAMES)}")  # fmt: skip
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes, for a quick look")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the figures (JSON)")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    for name in args.only or [n for n in NAMES if n not in ON_REQUEST]:
        print(f"running {name} …", file=sys.stderr, flush=True)
        results.update(scenario(name)(args.scale))
    # A run of some scenarios (`--only`) keeps the others' figures from the file, and a full run those
    # of the scenarios run only on request (`make bench-scale`); `sizes` says at which fraction of the
    # full sizes each result was measured.
    earlier = kept(json.loads(args.out.read_text()) if args.out.exists() else {}, everything=bool(args.only))
    sizes = {**earlier.get("sizes", {}), **dict.fromkeys(results, args.scale)}
    document = {
        **earlier,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": platform.python_version(),
        "sizes": sizes,
        **results,
    }
    print(table(results))
    failed = verdicts(results)
    for line in failed:
        print(f"target missed: {line}")
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"figures written to {args.out}")
    return 1 if failed else 0


def kept(earlier: dict[str, Any], everything: bool) -> dict[str, Any]:
    """What a run keeps of the figures written before: all of them, or those of the scenarios run on
    request only (`ON_REQUEST`), which a full run leaves out."""
    if everything:
        return earlier
    sizes = {name: size for name, size in earlier.get("sizes", {}).items() if name in ON_REQUEST}
    return {name: earlier[name] for name in ON_REQUEST if name in earlier} | {"sizes": sizes}


if __name__ == "__main__":
    sys.exit(main())
