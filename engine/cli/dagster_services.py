"""The commands of Dagster's three services for `tillsync ui`: what `dagster dev` runs, in the order
a user waits for them.

The code server loads the code location (`engine.dagster_definitions`) in a gRPC server it starts,
and again whenever the UI asks to reload it. The webserver is the UI. The daemon runs schedules,
sensors and the run queue, and nothing on the way to the first page: `tillsync ui` starts it once the
UI answers. `dagster dev` instead starts webserver and daemon together once the code server is up,
from a Python process of its own; on two cores that costs a few seconds before the UI answers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CODE_LOCATION = "engine.dagster_definitions"
LOCATION_NAME = "tillsync"  # as [tool.dagster] names it, for plain `dagster dev`


def code_server(socket: Path) -> list[str]:
    return [sys.executable, "-m", "dagster", "code-server", "start", "-m", CODE_LOCATION,
            "--location-name", LOCATION_NAME, "--socket", str(socket)]  # fmt: skip


def workspace(socket: Path) -> Path:
    """A workspace file beside `socket` naming the code server's location `tillsync`, as every start
    must: schedules' and sensors' state and the runs' history are kept by location name."""
    path = socket.with_name("workspace.yaml")
    entry = {"grpc_server": {"socket": str(socket), "host": "localhost", "location_name": LOCATION_NAME}}
    path.write_text(json.dumps({"load_from": [entry]}))  # JSON is YAML
    return path


def webserver(workspace: Path, host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "dagster_webserver", "--host", host, "--port", str(port),
            "--workspace", str(workspace)]  # fmt: skip


def daemon(workspace: Path) -> list[str]:
    return [sys.executable, "-m", "dagster._daemon", "run", "--workspace", str(workspace)]
