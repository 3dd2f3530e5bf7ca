"""The `tillsync` command line.

Exit codes: 0 success, 1 a finding (invalid spec, failed run), 2 a usage error. Commands that
plan also use 2 for "there are changes", as Terraform's `-detailed-exitcode` does.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from engine.cli.parser import build_parser
from engine.errors import SpecError, TillsyncError, UsageError

EXIT_FINDING, EXIT_USAGE = 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"tillsync: error: {exc}\n")
    except SpecError as exc:
        sys.stderr.write("".join(f"{d}\n" for d in exc.diagnostics))
        sys.stderr.write("tillsync: the specs are invalid; run tillsync validate\n")
        return EXIT_FINDING
    except TillsyncError as exc:
        sys.stderr.write(f"tillsync: {exc}\n")
        return EXIT_FINDING
    return code


if __name__ == "__main__":
    raise SystemExit(main())
