"""Dagster's own storage on PostgreSQL, as `deploy/dagster.yaml` sets it up for production."""

import shutil
from pathlib import Path

import dagster as dg
import pytest

REPO = Path(__file__).parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.postgres]
CATEGORIES = dg.AssetKey(["mpluskassa-shopify-pos", "shop", "categories"])


def test_runs_and_materializations_are_kept_in_postgres(
    location: dict[str, object], postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster-home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home)
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", postgres_url.replace("postgresql+psycopg://", "postgresql+psycopg2://"))
    defs = location["defs"]
    assert isinstance(defs, dg.Definitions)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(asset_selection=[CATEGORIES], instance=instance)
        assert result.success
        [run] = instance.get_runs()
        assert run.run_id == result.run_id
        latest = instance.get_latest_materialization_event(CATEGORIES)
        assert latest is not None and latest.asset_materialization is not None
        assert latest.asset_materialization.metadata["created"].value == 2
