"""Crawler tests against a real HTTP server on 127.0.0.1 serving a fake government site."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import yaml
from docx import Document as DocxDocument

from tests.fakesite import FakeSite, Reply, Request, static
from xxgk.crawl.crawler import (
    CrawlResult,
    crawl,
    extract_links,
    find_attachments,
    find_pagination,
    match_report,
    sniff_type,
    title_year,
)
from xxgk.crawl.http import Fetcher, parse_retry_after
from xxgk.crawl.rawstore import RawStore
from xxgk.crawl.sources import LinkFilters, Politeness, Source, SourcesError, load_sources, parse_sources

FIXTURES = Path(__file__).parent / "fixtures" / "site"
REPO = Path(__file__).parent.parent
PUBLISHER = "某某县人民政府"
TEST_POLITENESS = {"rate": 200, "concurrency": 4, "max_bytes": 64 * 1024, "deadline": 1.0, "timeout": 0.3,
                   "retries": 2, "backoff": 0.05, "max_retry_after": 5, "source_deadline": 20}


def _docx_bytes() -> bytes:
    doc = DocxDocument()
    doc.add_paragraph("某某县2023年度政府信息公开工作年度报告 统计表")
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "本年新制发件数", "12"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _fixture(name: str, other: str = "") -> str:
    return (FIXTURES / name).read_text(encoding="utf-8").replace("{OTHER}", other)


def _source(site: FakeSite, **politeness: Any) -> Source:
    return parse_sources({"sources": [{
        "publisher": PUBLISHER,
        "listing_urls": [f"{site.base}/xxgk/nb/index.html"],
        "allowed_hosts": [site.netloc],
        "allow_private": True,  # the fake site is on 127.0.0.1
        "politeness": {**TEST_POLITENESS, **politeness},
    }]})[0]


def _build_site(site: FakeSite, other: FakeSite) -> dict[str, bytes]:
    pdf = (FIXTURES / "report.pdf").read_bytes()
    docx = _docx_bytes()
    gbk = {name: _fixture(name).encode("gbk") for name in ("listing_1.html", "listing_2.html",
                                                           "report_2023_gbk.html")}
    r = site.routes
    r["/robots.txt"] = static((FIXTURES / "robots.txt").read_bytes(), "text/plain")
    r["/xxgk/nb/index.html"] = static(gbk["listing_1.html"], "text/html")
    r["/xxgk/nb/index_1.html"] = static(gbk["listing_2.html"], "text/html")
    r["/xxgk/nb/202401/t20240110_1.html"] = static(gbk["report_2023_gbk.html"], "text/html; charset=gb2312")
    r["/xxgk/nb/202401/P020240110_report.pdf"] = static(pdf, "application/octet-stream")
    r["/xxgk/nb/202401/P020240110_tables.docx"] = static(
        docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    r["/xxgk/nb/202301/t20230115_2.html"] = static(
        _fixture("report_2022_utf8.html", other.netloc).encode("utf-8"), "text/html")
    flaky_ok = static(_fixture("report_2021_utf8.html").encode("utf-8"), "text/html; charset=utf-8")
    calls = {"n": 0}

    def flaky(req: Request) -> Reply:
        calls["n"] += 1
        if calls["n"] == 1:
            return Reply(503, b"busy", {"Retry-After": "1"})
        if calls["n"] == 2:
            return Reply(503, b"busy")
        return flaky_ok(req)

    r["/xxgk/nb/202201/t20220120_3.html"] = flaky
    offsite = {"Location": f"{other.base}/report.html"}
    r["/xxgk/nb/202101/t20210110_4.html"] = lambda req: Reply(302, b"", offsite)
    r["/xxgk/nb/202001/t20200110_5.html"] = lambda req: Reply(200, b"<html>late</html>", delay=3.0)
    r["/files/2024report.pdf"] = lambda req: Reply(200, b"%PDF-1.4\n" + b"0" * 200_000,
                                                   {"Content-Type": "application/pdf"})
    r["/old/2025.html"] = lambda req: Reply(301, b"", {"Location": "/new/2025.html"})
    r["/new/2025.html"] = static(_fixture("report_2025_utf8.html").encode(), "text/html; charset=utf-8")
    r["/files/big-stream.docx"] = lambda req: Reply(200, b"PK\x03\x04" + b"0" * 200_000, no_length=True)
    r["/files/slow.pdf"] = lambda req: Reply(200, b"%PDF-1.4\n" + b"0" * 30_000, trickle=(1000, 0.1))
    r["/files/old.wps"] = static(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1wps", "application/octet-stream")
    r["/private/secret.pdf"] = static(pdf, "application/pdf")
    other.routes["/report.html"] = static(b"<html>elsewhere</html>", "text/html")
    other.routes["/files/x.pdf"] = static(pdf, "application/pdf")
    return {"pdf": pdf, "docx": docx}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory):
    """Two crawls of the fake site (the second one against unchanged content)."""
    tmp = tmp_path_factory.mktemp("crawl")
    site, other = FakeSite().start(), FakeSite().start()
    try:
        files = _build_site(site, other)
        src = _source(site)
        started = time.monotonic()
        first = crawl([src], tmp / "state.duckdb", tmp / "raw")
        first_seconds = time.monotonic() - started
        mark = site.mark()
        second = crawl([src], tmp / "state.duckdb", tmp / "raw")
        yield {"site": site, "other": other, "first": first, "second": second, "mark": mark, "tmp": tmp,
               "files": files, "first_seconds": first_seconds}
    finally:
        site.stop()
        other.stop()


def _u(site: FakeSite, path: str) -> str:
    return site.base + path


REPORT_DOCS = {
    "/xxgk/nb/202401/t20240110_1.html": ("page", ".html", 2023),
    "/xxgk/nb/202401/P020240110_report.pdf": ("attachment", ".pdf", 2023),
    "/xxgk/nb/202401/P020240110_tables.docx": ("attachment", ".docx", 2023),
    "/xxgk/nb/202301/t20230115_2.html": ("page", ".html", 2022),
    "/xxgk/nb/202201/t20220120_3.html": ("page", ".html", 2021),
    "/old/2025.html": ("page", ".html", 2025),
}


def _failures(result: CrawlResult) -> dict[str, str]:
    return {f.uri: f.error_code for f in result.failures}


def _expected_failures(site: FakeSite, other: FakeSite) -> dict[str, str]:
    return {
        _u(site, "/private/secret.pdf"): "robots_disallowed",
        _u(site, "/files/old.wps"): "robots_disallowed",
        f"{other.base}/files/x.pdf": "offsite_link",
        _u(site, "/xxgk/nb/202101/t20210110_4.html"): "offsite_redirect",
        _u(site, "/xxgk/nb/202001/t20200110_5.html"): "timeout",
        _u(site, "/files/2024report.pdf"): "too_large",
        _u(site, "/files/big-stream.docx"): "too_large",
        _u(site, "/files/slow.pdf"): "deadline_exceeded",
    }


def test_first_crawl_fetches_the_reports_and_their_attachments(scenario):
    site, first = scenario["site"], scenario["first"]
    docs = {d.source_uri: d for d in first.documents}
    assert set(docs) == {_u(site, p) for p in REPORT_DOCS}
    for path, (kind, suffix, year) in REPORT_DOCS.items():
        doc = docs[_u(site, path)]
        assert (doc.kind, doc.suffix, doc.year, doc.changed) == (kind, suffix, year, True)
        assert doc.publisher == PUBLISHER
        assert doc.path == scenario["tmp"] / "raw" / doc.sha256[:2] / doc.sha256[2:4] / doc.sha256
    pdf = docs[_u(site, "/xxgk/nb/202401/P020240110_report.pdf")]
    assert pdf.path.read_bytes() == scenario["files"]["pdf"]
    assert pdf.media_type == "application/pdf"  # sniffed: the server said application/octet-stream
    assert pdf.parent_uri == _u(site, "/xxgk/nb/202401/t20240110_1.html")
    # the title attribute beats the truncated link text
    assert pdf.title == "某某县人民政府2023年度政府信息公开工作年度报告"
    assert pdf.link_text == "某某县2023年度政府信息公开工作年度报告.pdf"
    docx = docs[_u(site, "/xxgk/nb/202401/P020240110_tables.docx")]
    assert docx.path.read_bytes() == scenario["files"]["docx"]
    gbk_page = docs[_u(site, "/xxgk/nb/202401/t20240110_1.html")]
    assert gbk_page.charset == "gb18030"
    assert "镕堃喆".encode("gb18030") in gbk_page.path.read_bytes()
    assert docs[_u(site, "/xxgk/nb/202301/t20230115_2.html")].charset == "utf-8"
    flaky = docs[_u(site, "/xxgk/nb/202201/t20220120_3.html")]
    assert flaky.title == "某某县2021年度政府信息公开工作年度报告"
    assert first.listing_pages == [_u(site, "/xxgk/nb/index.html"), _u(site, "/xxgk/nb/index_1.html")]


def test_first_crawl_records_every_failure_with_its_reason(scenario):
    site, other, first = scenario["site"], scenario["other"], scenario["first"]
    assert _failures(first) == _expected_failures(site, other)
    by_uri = {f.uri: f for f in first.failures}
    too_large = by_uri[_u(site, "/files/2024report.pdf")]
    assert "Content-Length 200009 exceeds max_bytes 65536" in too_large.message
    assert by_uri[_u(site, "/files/old.wps")].referrer == _u(site, "/old/2025.html")


def test_first_crawl_requests_exactly_what_it_should(scenario):
    site, other = scenario["site"], scenario["other"]
    paths = [r.path for r in site.requests()[:scenario["mark"]]]
    assert sorted(set(paths)) == sorted({
        "/robots.txt", "/xxgk/nb/index.html", "/xxgk/nb/index_1.html", *REPORT_DOCS, "/new/2025.html",
        "/xxgk/nb/202101/t20210110_4.html", "/xxgk/nb/202001/t20200110_5.html", "/files/2024report.pdf",
        "/files/big-stream.docx", "/files/slow.pdf",
    })
    assert paths.count("/xxgk/nb/202201/t20220120_3.html") == 3  # 503, 503, 200
    assert paths.count("/xxgk/nb/202001/t20200110_5.html") == 3  # timed out three times (retries=2)
    assert paths.count("/files/slow.pdf") == 1  # a blown deadline is not retried
    assert other.requests() == []  # the off-site redirect and link were never followed
    assert all(r.headers["user-agent"] == "xxgk/0.1 (+https://github.com/xxgk/xxgk)" for r in site.requests())
    flaky = site.requests("/xxgk/nb/202201/t20220120_3.html")
    assert flaky[1].started - flaky[0].started >= 0.95  # Retry-After: 1 honoured


def test_fetch_log_has_one_row_per_attempt(scenario):
    site, first = scenario["site"], scenario["first"]
    con = duckdb.connect(str(scenario["tmp"] / "state.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT attempt, http_status, error_code, kind, publisher, referrer FROM fetch_log"
            " WHERE crawl_id = ? AND uri = ? ORDER BY attempt",
            [first.crawl_id, _u(site, "/xxgk/nb/202201/t20220120_3.html")]).fetchall()
        listing = _u(site, "/xxgk/nb/index.html")
        assert rows == [(1, 503, "http_error", "page", PUBLISHER, listing),
                        (2, 503, "http_error", "page", PUBLISHER, listing),
                        (3, 200, None, "page", PUBLISHER, listing)]
        redirect = con.execute(
            "SELECT uri, http_status, redirect_to, error_code FROM fetch_log WHERE crawl_id = ?"
            " AND (redirect_to IS NOT NULL OR error_code = 'offsite_redirect') ORDER BY uri", [first.crawl_id]
        ).fetchall()
        other = scenario["other"].base
        assert sorted(redirect) == sorted([
            (_u(site, "/xxgk/nb/202101/t20210110_4.html"), 302, f"{other}/report.html", None),
            (f"{other}/report.html", None, None, "offsite_redirect"),
            (_u(site, "/old/2025.html"), 301, _u(site, "/new/2025.html"), None),
        ])
        pdf_row = con.execute("SELECT media_type, http_status FROM fetch_log WHERE crawl_id = ? AND uri = ?",
                              [first.crawl_id, _u(site, "/xxgk/nb/202401/P020240110_report.pdf")]).fetchall()
        assert pdf_row == [("application/pdf", 200)]
        charset = con.execute(
            "SELECT charset, media_type, bytes, sha256 IS NOT NULL FROM fetch_log"
            " WHERE crawl_id = ? AND uri = ?",
            [first.crawl_id, _u(site, "/xxgk/nb/202401/t20240110_1.html")]).fetchall()
        size = len(_fixture("report_2023_gbk.html").encode("gbk"))
        assert charset == [("gb18030", "text/html", size, True)]
        assert con.execute("SELECT count(*) FROM fetch_log WHERE crawl_id = ? AND error_code = 'timeout'",
                           [first.crawl_id]).fetchone() == (3,)
        cached = con.execute("SELECT uri FROM http_cache ORDER BY uri").fetchall()
        expected = (*REPORT_DOCS, "/robots.txt", "/xxgk/nb/index.html", "/xxgk/nb/index_1.html")
        assert {u for (u,) in cached} == {_u(site, p) for p in expected}
    finally:
        con.close()


def test_second_crawl_sends_only_conditional_requests_and_reports_nothing_changed(scenario):
    site, other, first, second = scenario["site"], scenario["other"], scenario["first"], scenario["second"]
    before, later = site.requests()[:scenario["mark"]], site.requests()[scenario["mark"]:]
    assert {r.path for r in later} == {r.path for r in before}  # the same walk
    fetched_before = {"/robots.txt", "/xxgk/nb/index.html", "/xxgk/nb/index_1.html", "/new/2025.html",
                      *REPORT_DOCS}
    for r in later:
        if r.path in fetched_before:  # every URL fetched before is asked for conditionally
            assert r.headers.get("if-none-match", "").startswith('"'), r.path
            assert r.headers.get("if-modified-since") == "Wed, 01 Jan 2025 00:00:00 GMT", r.path
            assert r.status == (301 if r.path == "/old/2025.html" else 304), r.path
        else:  # only the URLs that failed last time are asked for unconditionally
            assert _u(site, r.path) in _expected_failures(site, other), r.path
            assert "if-none-match" not in r.headers and "if-modified-since" not in r.headers
    assert sorted(r.path for r in later if r.status == 304) == sorted(fetched_before - {"/old/2025.html"})
    assert second.changed == []
    shas = {d.source_uri: d.sha256 for d in first.documents}
    assert {d.source_uri: d.sha256 for d in second.documents} == shas
    assert all(d.path.is_file() and not d.changed for d in second.documents)
    assert _failures(second) == _expected_failures(site, other)
    assert other.requests() == []
    assert scenario["first_seconds"] < 8


def test_changed_bytes_are_reported_and_identical_bytes_are_not(tmp_path):
    site = FakeSite().start()
    try:
        listing = ('<meta charset="utf-8"><a href="/r.html">某市2022年政府信息公开工作年度报告</a>'
                   '<a href="/a.pdf">某市2021年度政府信息公开工作年度报告</a>').encode()
        site.routes["/robots.txt"] = lambda req: Reply(404, b"")
        site.routes["/xxgk/nb/index.html"] = static(listing, "text/html")
        site.routes["/r.html"] = static(b"<html>v1</html>", "text/html")
        pdf = (FIXTURES / "report.pdf").read_bytes()
        site.routes["/a.pdf"] = lambda req: Reply(200, pdf, {"ETag": '"same"'})  # ignores conditionals
        src = _source(site)
        first = crawl([src], tmp_path / "s.duckdb", tmp_path / "raw")
        assert sorted((d.source_uri, d.changed) for d in first.documents) == [
            (_u(site, "/a.pdf"), True), (_u(site, "/r.html"), True)]
        site.routes["/r.html"] = static(b"<html>v2</html>", "text/html")
        second = crawl([src], tmp_path / "s.duckdb", tmp_path / "raw")
        changed = {d.source_uri: d.changed for d in second.documents}
        assert changed == {_u(site, "/a.pdf"): False, _u(site, "/r.html"): True}
        r2 = next(d for d in second.documents if d.source_uri == _u(site, "/r.html"))
        assert r2.path.read_bytes() == b"<html>v2</html>"
        assert site.requests("/r.html")[-1].headers["if-none-match"] == static(b"<html>v1</html>", "")(
            Request("/", {}, 0)).headers["ETag"]
        assert second.failures == []
    finally:
        site.stop()


def test_source_deadline_bounds_the_crawl(tmp_path):
    site = FakeSite().start()
    try:
        site.routes["/robots.txt"] = lambda req: Reply(404, b"")
        listing = '<meta charset="utf-8"><a href="/r.html">某市2022年政府信息公开工作年度报告</a>'
        site.routes["/xxgk/nb/index.html"] = static(listing.encode(), "text/html")
        site.routes["/r.html"] = lambda req: Reply(200, b"<html>late</html>", delay=5.0)
        started = time.monotonic()
        result = crawl([_source(site, timeout=10, deadline=10, source_deadline=0.5)],
                       tmp_path / "s.duckdb", tmp_path / "raw")
        assert time.monotonic() - started < 2
        assert [(f.uri, f.error_code) for f in result.failures] == [
            (_u(site, "/xxgk/nb/index.html"), "source_deadline")]
        assert result.listing_pages == [_u(site, "/xxgk/nb/index.html")]
    finally:
        site.stop()


def test_robots_unreachable_blocks_the_host(tmp_path):
    site = FakeSite().start()
    try:
        site.routes["/robots.txt"] = lambda req: Reply(500, b"oops")
        site.routes["/xxgk/nb/index.html"] = static(b"<html></html>", "text/html")
        result = crawl([_source(site, retries=0)], tmp_path / "s.duckdb", tmp_path / "raw")
        assert [(f.kind, f.error_code) for f in result.failures] == [("robots", "http_error"),
                                                                     ("listing", "robots_unavailable")]
        assert [r.path for r in site.requests()] == ["/robots.txt"]
    finally:
        site.stop()


def test_host_gate_caps_concurrency_and_rate(tmp_path):
    site = FakeSite().start()
    inflight = {"now": 0, "max": 0}
    lock = threading.Lock()

    def slow(req: Request) -> Reply:
        with lock:
            inflight["now"] += 1
            inflight["max"] = max(inflight["max"], inflight["now"])
        time.sleep(0.15)
        with lock:
            inflight["now"] -= 1
        return Reply(200, b"ok")

    for i in range(6):
        site.routes[f"/p{i}"] = slow
    src = _source(site, rate=10, concurrency=2)

    async def run() -> None:
        async with httpx.AsyncClient() as client:
            fetcher = Fetcher(client, RawStore(tmp_path / "raw"))
            results = await asyncio.gather(*(fetcher.fetch(f"{site.base}/p{i}", src.politeness)
                                             for i in range(6)))
            assert all(r.ok for r in results)

    try:
        asyncio.run(run())
        starts = sorted(r.started for r in site.requests())
        assert len(starts) == 6
        assert inflight["max"] == 2  # two at a time, never three
        assert starts[-1] - starts[0] >= 0.45  # six starts 0.1 s apart (unthrottled: about 0.3 s)
    finally:
        site.stop()


def test_shared_host_gets_the_strictest_politeness(tmp_path):
    async def run() -> tuple[float, int]:
        async with httpx.AsyncClient() as client:
            fetcher = Fetcher(client, RawStore(tmp_path))
            strict, loose = Politeness(rate=2, concurrency=3), Politeness(rate=100, concurrency=1)
            fetcher.configure_host("h", strict)
            fetcher.configure_host("h", loose)
            fetcher.configure_host("h", loose, crawl_delay=0.25)
            gate = fetcher._gates["h"]
            return gate.min_interval, gate.concurrency

    assert asyncio.run(run()) == (0.5, 1)


def test_retry_after_parsing():
    from datetime import UTC, datetime

    now = datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 01 Jan 2025 00:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# ---------------------------------------------------------------- parsing of real pages


def test_pingtan_listing_pagination_and_reports():
    html = (FIXTURES / "pingtan_list_index.html").read_text(encoding="utf-8")
    base = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"
    links = extract_links(html, base)
    assert find_pagination(html, base, links) == [base + "index_1.htm"]
    filters = load_sources(REPO / "sources.yaml")[0].links
    reports = [(link.url, *m) for link in links if (m := match_report(link, filters))]
    title = "平潭综合实验区2025年度政府信息公开工作年度报告"
    assert reports[0] == (base + "202603/t20260313_105587.htm", title, 2025)
    assert [r[2] for r in reports] == [2025, 2024, 2023, 2022, 2021, 2020, 2019]


def test_create_page_html_variants_and_next_links():
    base = "http://example.gov.cn/col/nb/index.shtml"
    html = ("<script>createPageHTML('page_div', 4, 1, 'index', 'shtml', 60);</script>"
            "<a href='list.html'>下一页</a>")
    links = extract_links(html, base)
    assert find_pagination(html, base, links) == [
        "http://example.gov.cn/col/nb/list.html", "http://example.gov.cn/col/nb/index_1.shtml",
        "http://example.gov.cn/col/nb/index_2.shtml", "http://example.gov.cn/col/nb/index_3.shtml"]
    assert find_pagination(html, base, links, cap=2) == [
        "http://example.gov.cn/col/nb/list.html", "http://example.gov.cn/col/nb/index_1.shtml"]


def test_title_year_and_report_matching():
    assert title_year("某某县二〇二〇年度政府信息公开工作年度报告", 2019, 2030) == 2020
    assert title_year("某某县２０２１年度政府信息公开工作年度报告", 2019, 2030) == 2021
    assert title_year("2015年度报告（2019年修订）", 2019, 2030) is None
    assert title_year("关于公布2022年政府信息公开工作年度报告的公告", 2019, 2030) == 2022
    assert title_year("2018年度报告", 2019, 2030) is None
    filters = LinkFilters(title_include=(__import__("re").compile("年度报告"),))
    from xxgk.crawl.crawler import Link

    assert match_report(Link("http://a/1.htm", "关于2023年政务公开工作要点的通知", ""), filters) is None
    assert match_report(Link("http://a/1.htm", "2023年度报告", ""), filters) == ("2023年度报告", 2023)


def test_find_attachments_and_sniffing():
    html = ('<a href="/a/P1.PDF">x</a><a href="/viewer.html?file=%2Fa%2Fb.pdf">在线查看</a>'
            '<a href="/download.jsp?id=9">附件：年报.docx</a><a href="/a/P1.PDF#page=2">y</a>'
            '<a href="/p.html">z</a>'
            '<iframe src="/doc/c.wps"></iframe>')
    found = [a.url for a in find_attachments(extract_links(html, "http://h/x/y.html"))]
    assert found == ["http://h/a/P1.PDF", "http://h/viewer.html?file=%2Fa%2Fb.pdf", "http://h/download.jsp?id=9",
                     "http://h/doc/c.wps"]
    assert sniff_type(b"%PDF-1.7", "application/octet-stream", "http://h/a")[1] == ".pdf"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    assert sniff_type(ole, None, "http://h/a.wps") == ("application/vnd.ms-works", ".wps")
    assert sniff_type(ole, None, "http://h/a") == ("application/msword", ".doc")
    assert sniff_type(b"\xef\xbb\xbf  <!DOCTYPE html>", None, "http://h/a") == ("text/html", ".html")


def test_rawstore_is_content_addressed(tmp_path):
    store = RawStore(tmp_path)
    sha, path = store.put(b"abc")
    assert sha == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert path == tmp_path / "ba" / "78" / sha and path.read_bytes() == b"abc"
    assert store.put(b"abc") == (sha, path)
    assert list((tmp_path / "tmp").iterdir()) == []
    with pytest.raises(ValueError):
        store.path_for("../../etc/passwd")


# ---------------------------------------------------------------- the registry


def test_repo_sources_registry_loads():
    sources = load_sources(REPO / "sources.yaml")
    pingtan = sources[0]
    assert pingtan.listing_urls == ("https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/",)
    assert pingtan.allowed_hosts == ("www.pingtan.gov.cn",)
    assert len({s.publisher for s in sources}) == len(sources) >= 2


def test_registry_errors_name_every_problem(tmp_path):
    bad = {"version": 1, "sources": [
        {"publisher": "甲", "listing_urls": ["ftp://a.gov.cn/x"], "allowed_hosts": ["a.gov.cn"], "colour": 1},
        {"publisher": "乙", "listing_urls": ["https://b.gov.cn/nb/"], "allowed_hosts": ["https://b.gov.cn"],
         "links": {"title_include": ["年度(报告"]},
         "politeness": {"rate": 0, "concurrency": "2", "retries": -1}},
        {"listing_urls": ["https://c.gov.cn/"], "allowed_hosts": ["d.gov.cn"]},
    ]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(SourcesError) as err:
        load_sources(path)
    assert err.value.problems == [
        "sources[0].colour: unknown key (allowed: allow_private, allowed_hosts, links, listing_urls, max_listing_pages, "
        "max_reports, politeness, publisher)",
        "sources[0].listing_urls[0]: must be an absolute http(s) URL: 'ftp://a.gov.cn/x'",
        "sources[1].allowed_hosts[0]: must be a host name (optionally host:port), not a URL: 'https://b.gov.cn'",
        "sources[1].links.title_include[0]: invalid regex '年度(报告': missing ), unterminated subpattern "
        "at position 2",
        "sources[1].politeness.rate: must be > 0",
        "sources[1].politeness.concurrency: must be an integer, got '2'",
        "sources[1].politeness.retries: must be >= 0, got -1",
        "sources[2].publisher: is required",
        "sources[2].listing_urls[0]: host 'c.gov.cn' is not in allowed_hosts ['d.gov.cn']",
    ]
    path.write_text("sources: [", encoding="utf-8")
    with pytest.raises(SourcesError, match="not valid YAML"):
        load_sources(path)
    with pytest.raises(SourcesError, match="sources: must be a non-empty list"):
        parse_sources({"sources": []})
    one = {"publisher": "甲", "listing_urls": ["https://a.gov.cn/"], "allowed_hosts": ["a.gov.cn"]}
    dup = {"sources": [one, one]}
    with pytest.raises(SourcesError, match=r"duplicate publisher '甲' \(first at sources\[0\]\)"):
        parse_sources(dup)
