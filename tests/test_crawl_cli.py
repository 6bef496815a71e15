"""`xxgk sources check` and `xxgk crawl` as typed, against a fake government site on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import query, xxgk
from tests.conftest import ROOT
from tests.fakesite import FakeSite, static

REAL = ROOT / "tests" / "fixtures" / "real"
PUBLISHER = "平潭综合实验区党工委管委会"


def _link(path: str, year: int) -> str:
    title = f"平潭综合实验区{year}年度政府信息公开工作年度报告"
    return f'<li><a href="{path}" title="{title}">{title}</a></li>'


@pytest.fixture
def site():
    """A listing with four report links: one to fetch, one missing (404), one robots.txt forbids, one off-site."""
    site = FakeSite().start()
    listing = ('<html><head><meta charset="utf-8"></head><body><ul>' + _link("/nb/2019.htm", 2019)
               + _link("/nb/2020.htm", 2020) + _link("/private/2021.htm", 2021)
               + _link("http://reports.example.invalid/2022.htm", 2022)
               + '<li><a href="/nb/notice.htm">关于开展培训的通知</a></li></ul></body></html>').encode()
    site.routes["/robots.txt"] = static(b"User-agent: *\nDisallow: /private/\n", "text/plain")
    site.routes["/nb/"] = static(listing, "text/html; charset=utf-8")
    site.routes["/nb/2019.htm"] = static((REAL / "pingtan_2019.html").read_bytes(), "text/html; charset=utf-8")
    site.routes["/private/2021.htm"] = static(b"<html>secret</html>", "text/html")
    yield site
    site.stop()


def _sources(tmp_path: Path, site: FakeSite) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "version: 1\n"
        "sources:\n"
        f"  - publisher: {PUBLISHER}\n"
        f"    listing_urls: [{site.base}/nb/]\n"
        f"    allowed_hosts: ['{site.netloc}']\n"
        "    allow_private: true  # the fake site answers on 127.0.0.1\n"
        "    politeness: {rate: 50, concurrency: 2, timeout: 5, retries: 0}\n",
        encoding="utf-8",
    )
    return path


def test_sources_check_prints_what_a_crawl_would_fetch_first_and_fetches_nothing(tmp_path, site):
    done = xxgk("sources", "check", _sources(tmp_path, site), prefect=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{tmp_path / 'sources.yaml'}: valid, 1 sources, 1 hosts",
        "a crawl fetches first robots.txt of each host, then the listing pages (this check fetched nothing):",
        PUBLISHER,
        f"  allowed hosts: {site.netloc}",
        f"  robots.txt:    {site.base}/robots.txt",
        f"  listing:       {site.base}/nb/",
        "  reports:       links titled 年度报告, years 2019–2030; at most 20 listing pages and 200 reports",
        "  politeness:    50 requests/s per host, 2 at a time, 50 MiB per file, 0 retries, 1800 s per source",
    ]
    assert site.requests() == []
    # the project's own registry, by default
    own = xxgk("sources", "check", prefect=False)
    assert own.returncode == 0 and own.stdout.startswith("sources.yaml: valid, 3 sources, 3 hosts")
    assert "  listing:       https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/" in own.stdout.splitlines()


def test_sources_check_names_the_line_and_key_of_every_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "sources:\n"                                     # 1
        "  - publisher: 某某县人民政府\n"                  # 2
        "    listing_urls: [http://a.gov.cn/nb/]\n"      # 3
        "    allowed_hosts: [a.gov.cn]\n"                # 4
        "    politeness:\n"                              # 5
        "      rate: 0\n"                                # 6
        "    link_filters: {}\n"                         # 7
        "  - publisher: 某某市人民政府\n"                  # 8
        "    listing_urls: [http://b.gov.cn/nb/]\n",     # 9
        encoding="utf-8")
    done = xxgk("sources", "check", bad, prefect=False)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"xxgk: error: {bad} is not a valid sources registry (3 problems):",
        "  line 7: sources[0].link_filters: unknown key (allowed: allow_private, allowed_hosts, links, listing_urls, "
        "max_listing_pages, max_reports, politeness, publisher)",
        "  line 6: sources[0].politeness.rate: must be > 0",
        "  line 8: sources[1].allowed_hosts: is required",
    ]
    broken = tmp_path / "broken.yaml"
    broken.write_text("sources:\n  - publisher: [unclosed\n", encoding="utf-8")
    done = xxgk("sources", "check", broken, prefect=False)
    assert done.returncode == 1 and "not valid YAML" in done.stderr and "line 3" in done.stderr
    assert xxgk("sources", "check", tmp_path / "none.yaml", prefect=False).returncode == 2


def test_crawl_with_an_invalid_registry_fetches_and_writes_nothing(tmp_path, site):
    bad = tmp_path / "sources.yaml"
    bad.write_text(f"sources:\n  - publisher: x\n    listing_urls: [{site.base}/nb/]\n", encoding="utf-8")
    done = xxgk("crawl", "--sources", bad, "--db", tmp_path / "wh" / "xxgk.duckdb", prefect=False)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"xxgk: error: invalid sources registry {bad}; nothing was fetched:",
                                        "  line 2: sources[0].allowed_hosts: is required"]
    assert site.requests() == [] and not (tmp_path / "wh").exists()


@pytest.mark.slow
def test_crawl_runs_the_nightly_once_from_the_command_line(tmp_path, site, prefect_harness):
    sources = _sources(tmp_path, site)
    db, out = tmp_path / "wh" / "xxgk.duckdb", tmp_path / "parquet"
    done = xxgk("crawl", "--sources", sources, "--db", db, "--out", out)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[:4] == [
        "crawl: 1 fetched (new or changed), 0 unchanged, 2 refused, 1 failed (1 listing pages)",
        "  refused by reason: offsite_link 1, robots_disallowed 1",
        "  failed by reason: http_error 1",
        f"  {PUBLISHER}: fetched 1, unchanged 0, refused 2, failed 1",
    ]
    assert f"http_error         {site.base}/nb/2020.htm (HTTP 404)" in "\n".join(lines)
    assert "ingest: 1 files (1 read), 0 skipped" in lines and "  loaded             1" in lines
    assert f"exported 20 tables to {out}" in lines
    progress = done.stderr
    for step in (f"crawl: 1 sources from {sources}, 1 listing URLs", "batch 1/1: 1 read, 0 unchanged",
                 "build (full): ", f"export: 20 tables to {out}"):
        assert step in progress, step
    assert query(db, "select source_uri, status, publisher_name, report_year from dim_reports") == [
        (f"{site.base}/nb/2019.htm", "loaded", "平潭综合实验区", 2019)]
    assert query(db, "select count(*) from fct_applications") == [(161,)]
    assert query(db, "select count(*) from crawl.fetch_log where error_code = 'robots_disallowed'") == [(1,)]
    assert (out / "fct_applications" / "report_year=2019").is_dir()
    assert "/private/2021.htm" not in [r.path for r in site.requests()]

    # the next night: conditional requests, nothing new; --no-export leaves the Parquet alone; --json
    (out / "marker").write_text("kept", encoding="utf-8")
    again = xxgk("crawl", "--sources", sources, "--db", db, "--out", out, "--no-export", "--json")
    assert again.returncode == 0, again.stderr[-3000:]
    summary = json.loads(again.stdout)
    assert {k: summary["crawl"][k] for k in ("fetched", "unchanged", "refused", "failed")} == {
        "fetched": 0, "unchanged": 1, "refused": 2, "failed": 1}
    assert (summary["read"], summary["unchanged"]) == (0, 1) and "exported" not in summary
    assert (out / "marker").read_text(encoding="utf-8") == "kept"
