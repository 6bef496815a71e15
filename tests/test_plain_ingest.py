"""``xxgk ingest`` without a Prefect API runs the same ingest without Prefect (xxgk/ingest.py): no temporary
API server, the same summary and warehouse as the flow, CPU per stage in the summary."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cli import cli_env, query, xxgk_json
from tests.conftest import ROOT

SAMPLES = ROOT / "samples"


def _plain(*args: str) -> tuple[dict, bool]:
    """``xxgk ingest ARGS --json`` in a process with no Prefect API configured: (summary, whether Prefect was
    imported)."""
    code = ("import json, sys\nfrom xxgk.cli import main\nrc = main(sys.argv[1:])\n"
            "print(json.dumps({'rc': rc, 'prefect': 'prefect' in sys.modules}))")
    done = subprocess.run([sys.executable, "-c", code, "ingest", *args, "--json"], cwd=ROOT, env=cli_env(False),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    summary, state = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    assert state["rc"] == 0
    return summary, state["prefect"]


@pytest.mark.slow
def test_a_plain_ingest_gives_the_flows_warehouse_without_prefect(tmp_path, prefect_harness):
    plain_db, flow_db = tmp_path / "plain" / "xxgk.duckdb", tmp_path / "flow" / "xxgk.duckdb"
    plain, imported = _plain(str(SAMPLES), "--db", str(plain_db), "--export", str(tmp_path / "parquet"))
    assert not imported  # no Prefect, so no temporary API server
    flow = xxgk_json("ingest", SAMPLES, "--db", flow_db)  # PREFECT_API_URL set: the Prefect flow
    timing = {"extract_load_seconds", "build_seconds", "seconds", "extraction_workers", "cpu", "exported"}
    assert {k: v for k, v in plain.items() if k not in timing} == {k: v for k, v in flow.items() if k not in timing}
    assert plain["exported"] and (tmp_path / "parquet").is_dir()
    cpu = plain["cpu"]
    assert set(cpu["reports"]) == {"text_tab", "text_pipe"} and sum(cpu["reports"].values()) == 5
    assert {"startup", "writer", "build", "arrow", "spool", "export"} <= set(cpu)
    facts = "SELECT report_id, table_code, row_code, col_code, value, value_status FROM checks.facts ORDER BY ALL"
    assert query(plain_db, facts) == query(flow_db, facts)
