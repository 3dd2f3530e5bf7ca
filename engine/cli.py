"""The `tillsync` command line.

Exit codes: 0 success, 1 a finding (invalid spec, failed run), 2 a usage error. Commands that
plan also use 2 for "there are changes", as Terraform's `-detailed-exitcode` does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from engine import cli_servers, cli_sync
from engine.errors import Diagnostic, SpecError, TillsyncError, UsageError
from engine.validate import Report, validate_files

EXIT_OK, EXIT_FINDING, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tillsync",
        description="Keep a retailer's systems in step, from integration specs kept in git.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check specs and environments without touching any system",
        description="Check spec and environment files: structure (JSON Schema) and meaning "
        "(connectors, field catalogues, JMESPath, references). Exit 0 valid, 1 invalid, 2 usage error.",
    )
    validate.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH",
        help="spec or environment files or folders (default: specs/, environments/)",
    )  # fmt: skip
    validate.add_argument("--env", metavar="ENV", help="also check environments/ENV.yaml with its overlays applied")
    validate.add_argument("--format", choices=("text", "json", "github"), default="text",
                          help="text for people, json for tools, github for annotations")  # fmt: skip
    validate.set_defaults(run=_validate)

    schema = commands.add_parser(
        "schema",
        help="write the JSON Schemas of specs and environments into schemas/",
        description="Regenerate schemas/ from the spec models; with --check, only report stale files.",
    )
    schema.add_argument("--check", action="store_true", help="exit 1 when schemas/ is out of date")
    schema.set_defaults(run=_schema)
    cli_sync.register(commands)
    cli_servers.register(commands)
    return parser


def _root() -> Path:
    return Path.cwd()


def _validate(args: argparse.Namespace) -> int:
    root = _root()
    paths: list[Path] = args.paths or [p for p in (root / "specs", root / "environments") if p.is_dir()]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    if args.env is not None:
        _require_environment(root, args.env)
    report = validate_files(paths, root=root, environment=args.env)
    if not report.files:
        raise UsageError("no spec or environment files found; name a PATH")
    sys.stdout.write(_render_report(report, args.format))
    return EXIT_OK if report.ok else EXIT_FINDING


def _require_environment(root: Path, name: str) -> None:
    if not (root / "environments" / f"{name}.yaml").is_file():
        known = sorted(p.stem for p in (root / "environments").glob("*.yaml"))
        raise UsageError(f"unknown environment '{name}'; known: {', '.join(known) or 'none'}")


def _render_report(report: Report, fmt: str) -> str:
    if fmt == "json":
        body = {
            "valid": report.ok,
            "files": report.files,
            "problems": [
                {"file": d.file, "line": d.line, "column": d.column, "path": d.path, "message": d.message}
                for d in report.diagnostics
            ],
        }
        return json.dumps(body, indent=2) + "\n"
    if fmt == "github":
        return "".join(_github_annotation(d) + "\n" for d in report.diagnostics)
    lines = [str(d) for d in report.diagnostics]
    bad_files = len({d.file for d in report.diagnostics})
    count = len(report.diagnostics)
    if count:
        lines.append(f"{count} problem{'s' * (count != 1)} in {bad_files} of {len(report.files)} files")
    else:
        lines.append(f"{len(report.files)} file{'s' * (len(report.files) != 1)} valid")
    return "\n".join(lines) + "\n"


def _github_annotation(d: Diagnostic) -> str:
    """A workflow command GitHub turns into an annotation on the offending line."""

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return data(text).replace(":", "%3A").replace(",", "%2C")

    message = f"{d.path}: {d.message}" if d.path else d.message
    return f"::error file={prop(d.file)},line={d.line},col={d.column}::{data(message)}"


def _schema(args: argparse.Namespace) -> int:
    from engine.schema import stale_schemas, write_schemas

    directory = _root() / "schemas"
    if args.check:
        stale = stale_schemas(directory)
        for name in stale:
            print(f"schemas/{name} is out of date; run: tillsync schema")
        return EXIT_FINDING if stale else EXIT_OK
    for path in write_schemas(directory):
        print(f"wrote {path.relative_to(_root())}")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
