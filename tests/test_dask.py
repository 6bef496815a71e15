"""Scale-out: the ingest flow's extraction runs on a Dask cluster, one writer loads the results."""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest

from tests.conftest import SAMPLES
from tests.expected import expected_cells

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield cluster, set(client.run(os.getpid).values())


def test_extraction_runs_on_the_dask_workers_and_lands_exactly(cluster, prefect_harness, tmp_path):
    from flows.ingest import run_ingest
    from tools.bench import accuracy
    from tools.synth import generate_corpus

    local_cluster, worker_pids = cluster
    corpus = tmp_path / "corpus"
    generate_corpus(corpus, 60, seed=11, layouts=("text_tab", "text_pipe", "html"))
    inbox = tmp_path / "in"
    shutil.copytree(SAMPLES, inbox / "samples")
    db = tmp_path / "xxgk.duckdb"

    summary = run_ingest([str(inbox), str(corpus)], dask_address=local_cluster.scheduler_address, db=str(db),
                         batch_size=10, workers=2)

    assert summary["files"] == summary["read"] == 65 and (summary["loaded"], summary["partial"]) == (64, 1)
    used = {int(w.rsplit(":", 1)[1]) for w in summary["extraction_workers"]}
    assert used <= worker_pids and os.getpid() not in used
    assert len(used) == 2  # seven batches of ten files spread over both workers

    # the synthetic reports against their ground truth, the seeds against their hand-read values
    score = accuracy(db, corpus)
    assert score["expected"] == score["exact"] > 10_000 and score["ingest_errors"] == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = {(row, col): (value, status) for row, col, value, status in con.execute(
            "select outcome_code, applicant_code, value, value_status from fct_applications"
            " join dim_reports using (report_id) where source_uri like '%/000_4742d3cb85c1027b.txt'").fetchall()}
    finally:
        con.close()
    want = {(r, c): (w["value"], w["status"]) for (t, r, c), w in expected_cells("seed_000.yaml").items()
            if t == "applications"}
    assert got == want and len(want) > 100

