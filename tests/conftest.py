"""Shared fixtures. Prefect's temporary API server starts once per session, and only for tests that run flows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def load_module(path: Path):
    """A fixture builder script (tests/fixtures/**/build_*.py, render_seeds.py) loaded as a module."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module

os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session (about 8 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory, prefect_harness) -> Path:
    """The bundled samples ingested by the real Prefect flow into a fresh warehouse (built once)."""
    from flows.ingest import ingest_flow

    db = tmp_path_factory.mktemp("wh") / "xxgk.duckdb"
    ingest_flow(paths=[str(SAMPLES)], db=str(db), export_dir=str(db.parent / "parquet"))
    return db
