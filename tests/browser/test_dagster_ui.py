"""`tillsync ui` in a real browser: Debian's Chromium, headless, finds the assets in the asset graph.

The screenshot is kept as a test artifact under `tests/artifacts/`.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.slow


def _require_chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("TILLSYNC_REQUIRE_SERVICES"):
            pytest.fail("Chromium is required here (Debian package chromium) but is not installed")
        pytest.skip("Chromium is not installed (Debian package chromium); .ci/run installs it")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_ui_shows_the_integrations_assets(tmp_path: Path) -> None:
    chromium = _require_chromium()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    for folder in ("specs", "environments", "demo"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "engine.cli", "ui", "--env", "sandbox", "--port", str(port)]
    with subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, start_new_session=True) as ui:  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx.get(f"{url}/server_info", timeout=2).raise_for_status()
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and ui.poll() is None, "the Dagster UI did not come up"
                    time.sleep(0.5)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1800, "height": 3200})  # the whole graph on screen
                page.goto(f"{url}/asset-groups")  # the global asset lineage
                group = page.get_by_text("mpluskassa_shopify_pos").last
                group.wait_for(timeout=60_000)
                page.wait_for_load_state("networkidle")
                skip = page.get_by_role("button", name="Skip")  # Dagster's first-visit community dialog
                with contextlib.suppress(PlaywrightTimeout):
                    skip.first.click(timeout=5_000)
                for _ in range(3):  # the group's expand toggle, at the right of its title
                    box = group.bounding_box()
                    assert box is not None
                    page.mouse.click(box["x"] + 290, box["y"] + 10)
                    with contextlib.suppress(PlaywrightTimeout):
                        page.get_by_text("categories", exact=True).first.wait_for(timeout=10_000)
                        break
                for name in ("categories", "products", "stock", "customers", "orders"):
                    page.get_by_text(name, exact=True).first.wait_for(timeout=30_000)
                assert "expanded=" in page.url and "mpluskassa_shopify_pos" in page.url
                page.wait_for_timeout(1000)
                if skip.count():  # the dialog may only come up once the page has settled
                    skip.first.click()
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "dagster-asset-graph.png"))
                browser.close()
        finally:
            os.killpg(ui.pid, signal.SIGINT)
            try:
                ui.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(ui.pid, signal.SIGKILL)
    assert (ARTIFACTS / "dagster-asset-graph.png").stat().st_size > 10_000
