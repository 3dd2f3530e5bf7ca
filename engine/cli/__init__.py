"""The `tillsync` command line.

Exit codes: 0 success, 1 a finding (invalid spec, failed run), 2 a usage error. Commands that
plan also use 2 for "there are changes", as Terraform's `-detailed-exitcode` does.

Every error reaches the user as one located sentence, never a traceback. An exception Tillsync
did not raise on purpose is a bug: it is reported as an internal error with the command to run
for its traceback (`TILLSYNC_DEBUG=1`), and the tests treat that message as a failure.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from engine.cli import style
from engine.cli.parser import build_parser
from engine.errors import SpecError, TillsyncError, UsageError

EXIT_FINDING, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    style.configure(args.color)
    try:
        code: int = args.run(args)
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"tillsync: {_error('error')}: {exc}\n")
    except SpecError as exc:
        sys.stderr.write("".join(f"{d}\n" for d in exc.diagnostics))
        sys.stderr.write(f"tillsync: {_error('the specs are invalid')}; run tillsync validate\n")
        return EXIT_FINDING
    except TillsyncError as exc:
        sys.stderr.write(f"tillsync: {_error(str(exc))}\n")
        return EXIT_FINDING
    except KeyboardInterrupt:
        sys.stderr.write(f"tillsync: {_error('interrupted')}\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`tillsync logs | head`): nothing more to say to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDING
    except Exception as exc:
        if os.environ.get("TILLSYNC_DEBUG"):
            raise
        internal = _error(f"internal error ({type(exc).__name__} at {_where(exc)})")
        sys.stderr.write(f"tillsync: {internal}; this is a bug in Tillsync: run again with TILLSYNC_DEBUG=1 for its "
                         "traceback and report it\n")  # fmt: skip
        return EXIT_FINDING
    return code


def _error(text: str) -> str:
    return style.paint(text, "error", sys.stderr)


def _where(exc: BaseException) -> str:
    """Where an unexpected exception was raised, as `module.py:line`: enough for a report, and
    unlike its message it cannot carry a secret or a URL."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if {"engine", "connectors"} & set(Path(f.filename).parts)] or frames
    if not ours:
        return "?"
    return f"{'/'.join(Path(ours[-1].filename).parts[-2:])}:{ours[-1].lineno}"


if __name__ == "__main__":
    raise SystemExit(main())
