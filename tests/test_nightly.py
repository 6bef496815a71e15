"""The nightly deployment: its schedule, and crawl → ingest → build → export against a fake site on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.fakesite import FakeSite, static

REAL = Path(__file__).parent / "fixtures" / "real"


def test_deployment_carries_the_nightly_schedule_in_shanghai_time():
    from flows.nightly import NIGHTLY_CRON, deployment

    dep = deployment()
    assert [(s.schedule.cron, s.schedule.timezone) for s in dep.schedules] == [(NIGHTLY_CRON, "Asia/Shanghai")]
    assert dep.parameters == {"sources_file": "sources.yaml", "db": "warehouse/xxgk.duckdb",
                              "parquet_dir": "warehouse/parquet"}


def test_flows_survive_pickling_by_value():
    """A served run gets its flow cloudpickled *by value* (the module attribute is the Flow, not the
    function), with only the globals the function's code names. Prefect then validates the ingest
    subflow's parameters there: a string annotation naming SourceItem could not be resolved
    (``Ingest_FlowModel is not fully defined``), and module state read by the flow was a stale copy."""
    import cloudpickle

    from flows.ingest import ingest_flow
    from flows.nightly import nightly_flow
    from xxgk.process import SourceItem

    copy = cloudpickle.loads(cloudpickle.dumps(ingest_flow))
    assert "SourceItem" not in copy.fn.__globals__  # really by value: the case a served run meets
    item = SourceItem("http://127.0.0.1/nb/2019.htm", "/tmp/raw/ab/cd/x", name="report.htm")
    assert copy.validate_parameters({"paths": [], "items": [item]})["items"] == [item]
    nightly = cloudpickle.loads(cloudpickle.dumps(nightly_flow))
    assert nightly.validate_parameters({"sources_file": "s.yaml"})["sources_file"] == "s.yaml"
    # the flow shuts its process pool down through a module function, never by reading the global
    assert "_POOL" not in ingest_flow.fn.__code__.co_names


@pytest.mark.slow
def test_nightly_flow_crawls_ingests_builds_and_exports(tmp_path, prefect_harness):
    from flows.nightly import nightly_flow

    site = FakeSite().start()
    try:
        listing = (
            '<html><head><meta charset="utf-8"></head><body><ul>'
            '<li><a href="/nb/2019.htm" title="平潭综合实验区2019年度政府信息公开工作年度报告">'
            "平潭综合实验区2019年度政府信息公开工作年度报告</a></li>"
            '<li><a href="/nb/notice.htm">关于开展培训的通知</a></li>'
            "</ul></body></html>"
        ).encode()
        site.routes["/nb/"] = static(listing, "text/html; charset=utf-8")
        site.routes["/nb/2019.htm"] = static((REAL / "pingtan_2019.html").read_bytes(), "text/html; charset=utf-8")
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            "sources:\n"
            "  - publisher: 平潭综合实验区党工委管委会\n"
            f"    listing_urls: [{site.base}/nb/]\n"
            f"    allowed_hosts: ['{site.netloc}']\n"
            "    allow_private: true\n"
            "    politeness: {rate: 50, concurrency: 2, timeout: 5, retries: 0}\n",
            encoding="utf-8",
        )
        db = tmp_path / "wh" / "xxgk.duckdb"
        summary = nightly_flow(sources_file=str(sources), db=str(db), parquet_dir=str(tmp_path / "parquet"))
        assert summary["loaded"] == 1
        paths = [r.path for r in site.log]
        assert "/nb/2019.htm" in paths and "/nb/notice.htm" not in paths
        con = duckdb.connect(str(db), read_only=True)
        try:
            report = con.execute("select source_uri, report_year, template_version, status from dim_reports").fetchall()
            assert report == [(f"{site.base}/nb/2019.htm", 2019, "2019", "loaded")]
            assert con.execute("select count(*) from fct_applications").fetchone() == (161,)
            assert con.execute("select count(*) from crawl.fetch_log").fetchone()[0] >= 2
        finally:
            con.close()
        assert (tmp_path / "parquet" / "fct_applications" / "report_year=2019").is_dir()
        # a second night sends conditional requests and re-extracts nothing
        again = nightly_flow(sources_file=str(sources), db=str(db), parquet_dir=str(tmp_path / "parquet"))
        assert again["loaded"] == 0
    finally:
        site.stop()
