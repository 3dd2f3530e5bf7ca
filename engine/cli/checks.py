"""`tillsync validate` and `tillsync schema`: the commands that only read files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from connectors import CONNECTORS
from engine.errors import Diagnostic, TillsyncError, UsageError
from engine.spec.environment import environment_file
from engine.validate.files import Report, validate_files

EXIT_OK, EXIT_FINDING = 0, 1


def _root() -> Path:
    return Path.cwd()


def validate(args: argparse.Namespace) -> int:
    root = _root()
    paths: list[Path] = args.paths or [p for p in (root / "specs", root / "environments") if p.is_dir()]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    if args.env is not None:
        _require_environment(root, args.env)
    report = validate_files(paths, root=root, connectors=CONNECTORS, environment=args.env)
    if not report.files:
        raise UsageError("no spec or environment files found; name a PATH")
    sys.stdout.write(_render_report(report, args.format))
    return EXIT_OK if report.ok else EXIT_FINDING


def _require_environment(root: Path, name: str) -> None:
    try:
        environment_file(root, name)
    except TillsyncError as exc:
        raise UsageError(str(exc)) from None


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


def schema(args: argparse.Namespace) -> int:
    """The generated files: the JSON Schemas in schemas/ and the connector reference in docs/connectors/."""
    from engine.cli.reference import FOLDER, stale_reference, write_reference
    from engine.spec.schema import stale_schemas, write_schemas

    root = _root()
    directory = root / "schemas"
    settings = {name: connector.settings for name, connector in CONNECTORS.items()}
    if args.check:
        stale = [f"schemas/{name}" for name in stale_schemas(directory, settings)]
        stale += [f"{FOLDER.as_posix()}/{name}" for name in stale_reference(root)]
        for name in stale:
            print(f"{name} is out of date; run: tillsync schema")
        return EXIT_FINDING if stale else EXIT_OK
    for path in [*write_schemas(directory, settings), *write_reference(root)]:
        print(f"wrote {path.relative_to(root)}")
    return EXIT_OK
