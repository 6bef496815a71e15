"""Hostile sources next to a good one, over real HTTP on 127.0.0.1 (issue 17).

Each hostile publisher's listing holds one thing that used to end the whole crawl (a paging script
``createPageHTML(²,0,"index","htm")``, a 5,000- or 400-digit ``recordCount``, a page declaring
``charset="punycode"`` or ``"undefined"``, a 304 whose raw file is gone) and, next to it, one report
link: the crawl reads what can be read, records what cannot with its reason, and the good source
finishes. Then: pages too deep or too slow to parse, robots.txt as RFC 9309 says, addresses,
credentials, and (slow) the memory a gzip bomb or large pages may take.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT
from tests.fakesite import FakeSite, Reply, static
from xxgk.crawl.crawler import CrawlResult, crawl, find_pagination
from xxgk.crawl.sources import SourcesError, parse_sources
from xxgk.crawl.state import CrawlState

FIXTURES = Path(__file__).parent / "fixtures" / "site"
POLITENESS = {"rate": 500, "concurrency": 4, "max_bytes": 1024 * 1024, "deadline": 5.0, "timeout": 2.0,
              "retries": 0, "backoff": 0.01, "source_deadline": 30}
GOOD = "好县人民政府"
YEAR_TITLE = "&#24180;&#24230;&#25253;&#21578;"  # 年度报告 as character references: the page stays ASCII


def _listing(report_path: str, extra: str = "", head: str = '<meta charset="utf-8">') -> bytes:
    return (f"<html><head>{head}</head><body>{extra}"
            f'<a href="{report_path}">某县2022{YEAR_TITLE}</a></body></html>').encode()


def _report(title: str = "某县2022年度政府信息公开工作年度报告") -> bytes:
    return f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><p>{title}</p></body></html>'.encode()


def _source(publisher: str, site: FakeSite, path: str, *, hosts: list[str] | None = None, private: bool = True,
            **politeness) -> dict:
    return {"publisher": publisher, "listing_urls": [f"{site.base}{path}"],
            "allowed_hosts": hosts or [site.netloc], "allow_private": private,
            "politeness": {**POLITENESS, **politeness}}


def _failures(result: CrawlResult) -> dict[tuple[str, str], tuple[str, str]]:
    return {(f.publisher, f.uri): (f.kind, f.error_code) for f in result.failures}


HOSTILE = {  # publisher: (listing path, what is on the listing besides one report link)
    "上标县": ("/sup/index.html", '<script>createPageHTML(²,0,"index","htm");</script>'),
    "五千位县": ("/d5000/index.html", "<script>var pagebar = {recordCount: " + "9" * 5000 + ", prepage: 10};</script>"),
    "四百位县": ("/d400/index.html", "<script>var pagebar = {recordCount: '" + "7" * 400 + "', prepage: 3};</script>"),
    "域名编码县": ("/puny/index.html", None),
    "未定义县": ("/undef/index.html", None),
}


@pytest.fixture(scope="module")
def hostile_sites(tmp_path_factory):
    """The good site, the hostile site with one listing per hostile publisher, and the crawl of both."""
    tmp = tmp_path_factory.mktemp("hostile_crawl")
    good, bad = FakeSite().start(), FakeSite().start()
    try:
        good.routes["/robots.txt"] = lambda req: Reply(404, b"")
        good.routes["/nb/index.html"] = static(_listing("/nb/2022.html"), "text/html")
        good.routes["/nb/2022.html"] = static(_report(), "text/html")
        bad.routes["/robots.txt"] = lambda req: Reply(404, b"")
        sources = [_source(GOOD, good, "/nb/index.html")]
        for publisher, (path, extra) in HOSTILE.items():
            folder = path.rsplit("/", 1)[0]
            if extra is None:  # the page declares a codec no page is written in
                charset = "punycode" if "puny" in path else "undefined"
                body = _listing(f"{folder}/2022.html", head=f'<meta charset="{charset}">')
            else:
                body = _listing(f"{folder}/2022.html", extra)
            bad.routes[path] = static(body, "text/html")
            bad.routes[f"{folder}/2022.html"] = static(_report(), "text/html")
            sources.append(_source(publisher, bad, path))
        # a server answering 304 to a request that was not conditional, for a URL whose raw file is gone
        bad.routes["/stale/index.html"] = lambda req: Reply(304, b"", {"ETag": '"v1"'})
        sources.append(_source("旧缓存县", bad, "/stale/index.html"))
        state = tmp / "state.duckdb"
        seeded = CrawlState(state)
        seeded.con.execute("INSERT INTO http_cache VALUES (?, '\"v1\"', NULL, ?, now(), ?, 'text/html', 'utf-8')",
                           [f"{bad.base}/stale/index.html", "ab" * 32, f"{bad.base}/stale/index.html"])
        seeded.close()
        started = time.monotonic()
        result = crawl(parse_sources({"sources": sources}), state, tmp / "raw")
        yield {"good": good, "bad": bad, "result": result, "seconds": time.monotonic() - started, "tmp": tmp,
               "sources": sources}
    finally:
        good.stop()
        bad.stop()


def test_hostile_listings_are_read_and_the_good_source_finishes(hostile_sites):
    good, bad, result = hostile_sites["good"], hostile_sites["bad"], hostile_sites["result"]
    docs = {(d.publisher, d.source_uri) for d in result.documents}
    assert (GOOD, f"{good.base}/nb/2022.html") in docs
    for publisher, (path, _) in HOSTILE.items():  # each hostile listing is read: its report is fetched
        assert (publisher, f"{bad.base}{path.rsplit('/', 1)[0]}/2022.html") in docs, publisher
    assert hostile_sites["seconds"] < 15


def test_a_304_without_its_raw_file_is_a_recorded_failure(hostile_sites):
    bad, result = hostile_sites["bad"], hostile_sites["result"]
    assert _failures(result) == {("旧缓存县", f"{bad.base}/stale/index.html"): ("listing", "not_modified_without_copy")}
    con = duckdb.connect(str(hostile_sites["tmp"] / "state.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT publisher, http_status, error_code FROM fetch_log WHERE crawl_id = ? AND uri = ?",
                           [result.crawl_id, f"{bad.base}/stale/index.html"]).fetchall()
    finally:
        con.close()
    assert rows == [("旧缓存县", 304, "not_modified_without_copy")]


def test_any_exception_in_a_source_is_its_own_recorded_failure(tmp_path, monkeypatch):
    """The net under every source: a bug met while crawling one publisher ends that publisher only."""
    import xxgk.crawl.crawler as crawler

    site = FakeSite().start()
    try:
        site.routes["/robots.txt"] = lambda req: Reply(404, b"")
        for folder in ("a", "b"):
            site.routes[f"/{folder}/index.html"] = static(_listing(f"/{folder}/2022.html"), "text/html")
            site.routes[f"/{folder}/2022.html"] = static(_report(), "text/html")
        real = crawler.match_report

        def buggy(link, filters):
            if "/b/" in link.url:
                raise RuntimeError("a bug met on this listing")
            return real(link, filters)

        monkeypatch.setattr(crawler, "match_report", buggy)
        sources = parse_sources({"sources": [_source("甲", site, "/a/index.html"), _source("乙", site, "/b/index.html")]})
        result = crawl(sources, tmp_path / "s.duckdb", tmp_path / "raw")
        assert [(d.publisher, d.source_uri) for d in result.documents] == [("甲", f"{site.base}/a/2022.html")]
        assert [(f.publisher, f.kind, f.error_code) for f in result.failures] == [("乙", "source", "internal_error")]
        assert "RuntimeError: a bug met on this listing" in result.failures[0].message
        con = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
        try:
            assert con.execute("SELECT publisher, error_code FROM fetch_log WHERE error_code = 'internal_error'"
                               ).fetchall() == [("乙", "internal_error")]
        finally:
            con.close()
    finally:
        site.stop()


@pytest.mark.slow
def test_the_nightly_ingests_what_was_fetched_next_to_hostile_sources(hostile_sites, tmp_path, prefect_harness):
    import yaml

    from flows.nightly import nightly_flow

    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": hostile_sites["sources"]}, allow_unicode=True), encoding="utf-8")
    db = tmp_path / "wh" / "xxgk.duckdb"
    summary = nightly_flow(sources_file=str(sources), db=str(db), parquet_dir=str(tmp_path / "parquet"))
    assert summary["read"] == 1 + len(HOSTILE)  # the good report and each hostile listing's report
    con = duckdb.connect(str(db), read_only=True)
    try:
        # the reports' pages are alike: one report, the others its aliases (one report per content)
        uris = {u for (u,) in con.execute("select source_uri from dim_reports union all "
                                          "select alias_uri from report_aliases").fetchall()}
        assert f"{hostile_sites['good'].base}/nb/2022.html" in uris
        assert con.execute("select count(*) from crawl.fetch_log where error_code = 'not_modified_without_copy'"
                           ).fetchone() == (1,)
    finally:
        con.close()


# ---------------------------------------------------------------- parsing: linear, capped, off the loop


def test_paging_scripts_are_read_in_linear_time():
    unit = "createPageHTML(a,b,c,d);"
    base = "http://h.gov.cn/nb/index.html"
    html = "<html><body><script>" + unit * (200 * 1024 // len(unit)) + "</script></body></html>"  # 200 KB
    started = time.perf_counter()
    assert find_pagination(html, base, []) == []
    assert time.perf_counter() - started < 1.0  # 6.6 s for 50 KB before, 4 times more per doubling
    digits = "<script>pagebar = {recordCount: '" + "9" * 5000 + "', prepage: 10}; createPageHTML(²,0,'index','htm');"
    assert find_pagination(digits, base, []) == []
    assert find_pagination("<script>var n = 3; createPageHTML(n, 0, 'index', 'htm')</script>", base, []) == [
        "http://h.gov.cn/nb/index_1.htm", "http://h.gov.cn/nb/index_2.htm"]
    assert find_pagination("recordCount: '" + "7" * 400 + "', prepage: 3", base, []) == []  # no such listing
    assert find_pagination("recordCount: '25', prepage: 10", base, []) == [
        "http://h.gov.cn/nb/index_1.html", "http://h.gov.cn/nb/index_2.html"]


def _deep_page(depth: int, links: int = 0) -> bytes:
    anchors = '<a href="/p/{}.html">x</a>'
    return (b"<html><body>" + b"<div>" * depth + "".join(anchors.format(i) for i in range(links)).encode()
            + _listing("/deep/2022.html"))


def test_a_page_over_the_structure_caps_is_refused_before_parsing(tmp_path):
    site = FakeSite().start()
    try:
        site.routes["/robots.txt"] = lambda req: Reply(404, b"")
        site.routes["/deep/index.html"] = static(_deep_page(80_000), "text/html")  # 39 s in the crawl before
        site.routes["/nb/index.html"] = static(_listing("/nb/2022.html"), "text/html")
        site.routes["/nb/2022.html"] = static(_report(), "text/html")
        sources = parse_sources({"sources": [_source("深县", site, "/deep/index.html"),
                                             _source(GOOD, site, "/nb/index.html")]})
        started = time.monotonic()
        result = crawl(sources, tmp_path / "s.duckdb", tmp_path / "raw")
        assert time.monotonic() - started < 5
        assert [(f.publisher, f.kind, f.error_code) for f in result.failures] == [("深县", "listing", "too_complex")]
        assert "nesting too costly to parse" in result.failures[0].message
        assert [d.publisher for d in result.documents] == [GOOD]
    finally:
        site.stop()


def test_a_page_that_parses_too_long_is_stopped_and_the_loop_keeps_serving(tmp_path):
    """A page within the caps that still takes seconds to parse (40,000 nested divs, 150,000 links): its parser
    process is killed at ``parse_timeout``, or when the source runs out of time, and other sources go on."""
    site = FakeSite().start()
    try:
        site.routes["/robots.txt"] = lambda req: Reply(404, b"")
        slow = _deep_page(40_000, 150_000)
        site.routes["/slow/index.html"] = static(slow, "text/html")
        site.routes["/late/index.html"] = static(slow, "text/html")
        site.routes["/nb/index.html"] = lambda req: Reply(200, _listing("/nb/2022.html"), {"Content-Type": "text/html"},
                                                          delay=0.5)  # asked for while the slow page parses
        site.routes["/nb/2022.html"] = static(_report(), "text/html")
        big = {"max_bytes": 8 * 1024 * 1024}
        sources = parse_sources({"sources": [
            _source("慢县", site, "/slow/index.html", parse_timeout=1, **big),
            _source("迟县", site, "/late/index.html", parse_timeout=60, source_deadline=1.5, **big),
            _source(GOOD, site, "/nb/index.html")]})
        started = time.monotonic()
        result = crawl(sources, tmp_path / "s.duckdb", tmp_path / "raw")
        seconds = time.monotonic() - started
        assert sorted((f.publisher, f.error_code) for f in result.failures) == [
            ("慢县", "parse_timeout"), ("迟县", "source_deadline")]
        assert [d.publisher for d in result.documents] == [GOOD]
        assert seconds < 6, seconds
    finally:
        site.stop()


# ---------------------------------------------------------------- robots.txt (RFC 9309)


def _robots_case(tmp_path, robots_route):
    site = FakeSite().start()
    try:
        site.routes["/robots.txt"] = robots_route(site)
        site.routes["/nb/index.html"] = static(_listing("/private/2022.html", '<a href="/nb/2021.html">某县2021'
                                                        f'{YEAR_TITLE}</a>'), "text/html")
        site.routes["/private/2022.html"] = static(_report(), "text/html")
        site.routes["/nb/2021.html"] = static(_report("某县2021年度政府信息公开工作年度报告"), "text/html")
        src = parse_sources({"sources": [_source("县", site, "/nb/index.html")]})
        result = crawl(src, tmp_path / "s.duckdb", tmp_path / "raw")
        return result, [r.path for r in site.requests()]
    finally:
        site.stop()


ROBOTS = b"User-agent: *\nDisallow: /private/\n"


def test_a_robots_txt_over_500_kib_is_read_up_to_500_kib_and_applies(tmp_path):
    big = ROBOTS + b"# padding\n" * 60_000  # 600 KB: refused as too large and treated as allow-all before
    result, paths = _robots_case(tmp_path, lambda s: static(big, "text/plain"))
    assert "/private/2022.html" not in paths and "/nb/2021.html" in paths
    assert [(f.uri.rsplit("/", 2)[-2:], f.error_code) for f in result.failures] == [
        (["private", "2022.html"], "robots_disallowed")]
    (verdict,) = result.robots
    assert (verdict.verdict, verdict.truncated) == ("rules", True) and "first 512000 bytes" in verdict.reason
    con = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        assert con.execute("select bytes, error_code, error_message from fetch_log where uri like '%/robots.txt'"
                           ).fetchall() == [(512000, None, "body cut at its first 512000 bytes")]
    finally:
        con.close()


def test_robots_txt_redirects_are_followed_to_another_host_and_nothing_else_is_fetched_there(tmp_path):
    other = FakeSite().start()
    try:
        other.routes["/rules.txt"] = static(ROBOTS, "text/plain")
        other.routes["/private/2022.html"] = static(b"must not be fetched", "text/html")
        result, paths = _robots_case(
            tmp_path, lambda s: lambda req: Reply(301, b"", {"Location": f"{other.base}/rules.txt"}))
        assert "/private/2022.html" not in paths and "/nb/2021.html" in paths
        assert [r.path for r in other.requests()] == ["/rules.txt"]
        (verdict,) = result.robots
        assert verdict.verdict == "rules" and verdict.final_uri == f"{other.base}/rules.txt"
    finally:
        other.stop()


@pytest.mark.parametrize("case", ["unreachable_redirect", "six_redirects", "server_error"])
def test_robots_txt_that_cannot_be_read_disallows_the_host(tmp_path, case):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]

    def route(site):
        if case == "unreachable_redirect":
            return lambda req: Reply(302, b"", {"Location": f"http://127.0.0.1:{dead}/robots.txt"})
        if case == "six_redirects":
            hop = {"n": 0}

            def again(req):
                hop["n"] += 1
                return Reply(302, b"", {"Location": f"/robots.txt?hop={hop['n']}"})
            return again
        return lambda req: Reply(503, b"busy")

    result, paths = _robots_case(tmp_path, route)
    assert all(p.startswith("/robots.txt") for p in paths)  # nothing but robots.txt was asked for
    (verdict,) = result.robots
    assert verdict.verdict == "disallow_all"
    assert {f.kind: f.error_code for f in result.failures} == {
        "robots": {"unreachable_redirect": "connect_error", "six_redirects": "too_many_redirects",
                   "server_error": "http_error"}[case],
        "listing": "robots_unavailable"}


# ---------------------------------------------------------------- addresses and credentials


def test_an_allowed_host_resolving_to_a_private_address_is_not_fetched(tmp_path):
    site = FakeSite().start()
    try:
        site.routes["/nb/index.html"] = static(_listing("/nb/2022.html"), "text/html")
        netloc = f"localhost:{site.port}"  # an allowed *name* that resolves to 127.0.0.1
        src = {"publisher": "县", "listing_urls": [f"http://{netloc}/nb/index.html"], "allowed_hosts": [netloc],
               "politeness": POLITENESS}
        result = crawl(parse_sources({"sources": [src]}), tmp_path / "s.duckdb", tmp_path / "raw")
        assert site.requests() == []
        assert [(f.kind, f.error_code) for f in result.failures] == [("listing", "private_address")]
        assert "127.0.0.1" in result.failures[0].message or "::1" in result.failures[0].message
        src["allow_private"] = True  # the opt-in
        result = crawl(parse_sources({"sources": [src]}), tmp_path / "s2.duckdb", tmp_path / "raw")
        assert result.listing_pages == [f"http://{netloc}/nb/index.html"]
    finally:
        site.stop()


def test_the_transport_itself_refuses_private_addresses(tmp_path):
    """Checked again where the socket opens (a name may resolve differently the second time)."""
    import asyncio

    from xxgk.crawl.http import Fetcher, default_client
    from xxgk.crawl.rawstore import RawStore
    from xxgk.crawl.sources import Politeness

    site = FakeSite().start()
    site.routes["/x"] = static(b"secret", "text/plain")

    async def run():
        async with default_client() as client:
            return await Fetcher(client, RawStore(tmp_path)).fetch(f"http://localhost:{site.port}/x",
                                                                  Politeness(retries=0, timeout=2))
    try:
        res = asyncio.run(run())
        assert (res.error_code, site.requests()) == ("private_address", [])
    finally:
        site.stop()


def test_urls_with_credentials_are_refused_and_never_logged(tmp_path):
    site = FakeSite().start()
    try:
        site.routes["/robots.txt"] = lambda req: Reply(404, b"")
        secret = f"http://user:s3cret@{site.netloc}"
        site.routes["/nb/index.html"] = static(
            _listing(f"{secret}/nb/2022.html", f'<a href="/nb/2021.html">某县2021{YEAR_TITLE}</a>'), "text/html")
        site.routes["/nb/2021.html"] = lambda req: Reply(302, b"", {"Location": f"{secret}/nb/2021b.html"})
        src = parse_sources({"sources": [_source("县", site, "/nb/index.html")]})
        result = crawl(src, tmp_path / "s.duckdb", tmp_path / "raw")
        assert [r.path for r in site.requests()] == ["/robots.txt", "/nb/index.html", "/nb/2021.html"]
        assert all("authorization" not in r.headers for r in site.requests())
        assert sorted((f.uri, f.error_code) for f in result.failures) == [
            (f"http://***@{site.netloc}/nb/2022.html", "credentials_in_url"),
            (f"{site.base}/nb/2021.html", "credentials_in_url")]
        con = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
        try:
            dump = json.dumps(con.execute("select * from fetch_log").fetchall(), default=str)
        finally:
            con.close()
        assert "s3cret" not in dump and "***@" in dump
        assert "s3cret" not in repr(result)
        with pytest.raises(SourcesError, match=r"must not carry a user name or password: 'http://\*\*\*@") as err:
            parse_sources({"sources": [{"publisher": "县", "listing_urls": [f"{secret}/nb/"],
                                        "allowed_hosts": [site.netloc]}]})
        assert "s3cret" not in str(err.value)
    finally:
        site.stop()


# ---------------------------------------------------------------- memory (slow: measured in a child process)


CRAWL_SCRIPT = """
import json, re, sys
from pathlib import Path
from xxgk.crawl.crawler import crawl
from xxgk.crawl.sources import parse_sources
sources, tmp = json.loads(sys.argv[1]), Path(sys.argv[2])
result = crawl(parse_sources({"sources": sources}), tmp / "state.duckdb", tmp / "raw")
hwm = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
print(json.dumps({"peak_mb": hwm / 1024, "documents": [d.source_uri for d in result.documents],
                  "failures": [[f.kind, f.uri, f.error_code, f.message] for f in result.failures],
                  "robots": [[r.verdict, r.truncated] for r in getattr(result, "robots", [])]}))
"""


def _crawl_in_child(sources: list[dict], tmp: Path) -> dict:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", CRAWL_SCRIPT, json.dumps(sources), str(tmp)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    out["seconds"] = time.monotonic() - started
    return out


def _gzip_bomb(decoded: int) -> bytes:
    """``gzip(gzip(zeros))``: 1 GiB of zeros is 1,827 bytes."""
    c = zlib.compressobj(9, wbits=31)
    inner = b"".join(c.compress(b"\0" * 2**20) for _ in range(decoded // 2**20)) + c.flush()
    return gzip.compress(inner)


@pytest.mark.slow
def test_a_gzip_bomb_stops_at_the_size_cap_for_every_kind_of_response(tmp_path):
    bomb = _gzip_bomb(2**30)
    assert len(bomb) < 2000
    headers = {"Content-Encoding": "gzip, gzip", "Content-Type": "text/html"}
    site, robots_site = FakeSite().start(), FakeSite().start()
    try:
        site.routes["/robots.txt"] = lambda req: Reply(404, b"")
        site.routes["/bomb/index.html"] = lambda req: Reply(200, bomb, headers)
        site.routes["/nb/index.html"] = static(_listing("/nb/2022.html", '<a href="/nb/2021.pdf">某县2021'
                                                        f'{YEAR_TITLE}</a>'), "text/html")
        site.routes["/nb/2022.html"] = lambda req: Reply(200, bomb, headers)
        site.routes["/nb/2021.pdf"] = lambda req: Reply(200, bomb, {**headers, "Content-Type": "application/pdf"})
        robots_site.routes["/robots.txt"] = lambda req: Reply(200, bomb, {**headers, "Content-Type": "text/plain"})
        robots_site.routes["/nb/index.html"] = static(_listing("/nb/2022.html"), "text/html")
        robots_site.routes["/nb/2022.html"] = static(_report(), "text/html")
        sources = [_source("炸县", site, "/bomb/index.html"), _source("页县", site, "/nb/index.html"),
                   _source("规县", robots_site, "/nb/index.html")]
        out = _crawl_in_child(sources, tmp_path)
    finally:
        site.stop()
        robots_site.stop()
    print(f"\ngzip bomb (1,827 bytes -> 1 GiB) as robots.txt, listing, page, attachment: peak RSS "
          f"{out['peak_mb']:.0f} MB, {out['seconds']:.1f} s")
    codes = sorted((kind, uri.rsplit("/", 2)[-2] + "/" + uri.rsplit("/", 1)[-1], code)
                   for kind, uri, code, _ in out["failures"])
    assert codes == [("attachment", "nb/2021.pdf", "too_large"), ("listing", "bomb/index.html", "too_large"),
                     ("page", "nb/2022.html", "too_large")]
    assert all("decoded body exceeds max_bytes 1048576" in m for *_, m in out["failures"])
    assert out["documents"] == [f"{robots_site.base}/nb/2022.html"]  # the robots.txt bomb: its first 500 KiB read
    assert ["rules", True] in out["robots"]
    assert out["peak_mb"] < 250  # 2.1 GB before


@pytest.mark.slow
def test_decoded_pages_are_not_kept_for_the_whole_crawl(tmp_path):
    n, size = 24, 8 * 1024 * 1024 - 4096
    filler = ("\U00020000" * ((size - 400) // 4)).encode()  # 4-byte characters: 8 MB in a str too
    site = FakeSite().start()
    try:
        site.routes["/robots.txt"] = lambda req: Reply(404, b"")
        links = "".join(f'<a href="/nb/{i}.html">某县{2000 + i}{YEAR_TITLE}</a>' for i in range(n))
        site.routes["/nb/index.html"] = static(f'<html><meta charset="utf-8"><body>{links}</body></html>'.encode(),
                                               "text/html")
        for i in range(n):
            page = f'<html><meta charset="utf-8"><body><p>{i}</p><p>'.encode() + filler + b"</p></body></html>"
            site.routes[f"/nb/{i}.html"] = static(page, "text/html")
        src = _source("大县", site, "/nb/index.html", max_bytes=50 * 1024 * 1024, deadline=30, source_deadline=120)
        src["links"] = {"min_year": 2000}
        out = _crawl_in_child([src], tmp_path)
    finally:
        site.stop()
    print(f"\n{n} pages of 8 MB: crawler peak RSS {out['peak_mb']:.0f} MB, {out['seconds']:.1f} s")
    assert len(out["documents"]) == n and out["failures"] == []
    assert out["peak_mb"] < 200  # 311 MB before: every decoded page was kept for the whole crawl


@pytest.mark.slow
def test_a_killed_crawl_leaves_no_parser_process(tmp_path):
    """Parser processes exit by themselves when the crawl's process is gone (SIGKILL: no cleanup ran)."""
    import os
    import signal

    from tests.test_hostile_ingest import _gone_within, _session_processes

    site = FakeSite().start()
    try:
        site.routes["/robots.txt"] = lambda req: Reply(404, b"")
        site.routes["/slow/index.html"] = static(_deep_page(40_000, 150_000), "text/html")
        src = _source("慢县", site, "/slow/index.html", parse_timeout=120, source_deadline=120, max_bytes=8 * 2**20)
        proc = subprocess.Popen([sys.executable, "-c", CRAWL_SCRIPT, json.dumps([src]), str(tmp_path)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while not any("multiprocessing.spawn" in p for p in _session_processes(proc.pid)):
            assert time.monotonic() < deadline and proc.poll() is None, "no parser process started"
            time.sleep(0.1)
        while not site.requests("/slow/index.html"):  # the page is being parsed
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _gone_within(proc.pid, 5) == []
    finally:
        site.stop()
