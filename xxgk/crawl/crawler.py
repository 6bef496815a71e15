"""Nightly acquisition: listing pages -> report pages -> attachments, into the raw store.

``crawl`` walks each source's listing pages (following next-page links, ``index_N.html``
links, ``createPageHTML(...)`` calls and TRS ``pagebar`` record counts), picks report links by
title (年度报告 plus a year), fetches each report page and its pdf/doc/docx/wps attachments, and
returns one ``ReportDocument`` per fetched file plus every failure with its reason. All HTTP
goes through ``xxgk.crawl.http.Fetcher``; every request outcome is a ``fetch_log`` row and every
successful fetch updates ``http_cache`` in the crawler's own state file (xxgk/crawl/state.py), so the next crawl sends
conditional requests and reports unchanged documents as ``changed=False``.
"""

from __future__ import annotations

import asyncio
import math
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, unquote, urldefrag, urljoin, urlsplit

import httpx
from selectolax.lexbor import LexborHTMLParser

from common.encoding import decode_html
from common.progress import reporter
from xxgk.crawl.http import Fetcher, FetchResult, Permit, default_client
from xxgk.crawl.rawstore import RawStore
from xxgk.crawl.robots import RobotsRules, rules_from_response
from xxgk.crawl.sources import LinkFilters, Source, host_of, is_allowed
from xxgk.crawl.state import CrawlState

ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps")
NEXT_PAGE_TEXTS = {"下一页", "下页", "后页", "下一頁", "next", "nextpage", ">", "›", "»", ">>"}
MAX_HTML_BYTES_PARSED = 8 * 1024 * 1024  # listing/report pages larger than this are not parsed
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:")
_PAGE_FILE_RE = re.compile(r"^(index|list|default)_(\d+)\.(s?html?|jsp|php|aspx?)$", re.I)
_CREATE_PAGE_RE = re.compile(r"createPageHTML\s*\(([^()]*)\)", re.I)
_YEAR_RE = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")
_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_YEAR_RE = re.compile(r"[一二][〇○零一二三四五六七八九]{3}")

@dataclass(slots=True)
class ReportDocument:
    """One fetched report file: the report page itself or one of its attachments."""

    source_uri: str  # identity of the report (the URL it was requested from)
    publisher: str
    title: str  # the report title from the listing link
    kind: str  # "page" (the report's HTML page) or "attachment"
    sha256: str
    path: Path
    media_type: str
    suffix: str  # .html .pdf .docx .doc .wps ...
    size: int
    fetched_at: datetime
    changed: bool  # new bytes since the last crawl (False after a 304 or identical bytes)
    year: int | None = None  # report year read from the title
    charset: str | None = None  # detected charset of HTML pages
    parent_uri: str | None = None  # report page (or listing) that linked this file
    listing_uri: str | None = None
    link_text: str | None = None  # text of the attachment link


@dataclass(slots=True)
class CrawlFailure:
    """A URL that could not be fetched (or was refused), with its reason."""

    uri: str
    publisher: str
    kind: str  # robots, listing, page, attachment
    error_code: str
    message: str
    http_status: int | None = None
    referrer: str | None = None


@dataclass(slots=True)
class CrawlResult:
    """What one crawl fetched and what failed."""

    crawl_id: str
    documents: list[ReportDocument] = field(default_factory=list)
    failures: list[CrawlFailure] = field(default_factory=list)
    listing_pages: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[ReportDocument]:
        return [d for d in self.documents if d.changed]


@dataclass(slots=True)
class Link:
    """An anchor found in a page."""

    url: str
    text: str
    title: str


@dataclass(slots=True)
class _Fetched:
    result: FetchResult
    changed: bool
    charset: str | None = None
    text: str | None = None  # decoded HTML (pages only)


# ---------------------------------------------------------------- page parsing


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def extract_links(html: str, base_url: str) -> list[Link]:
    """Anchors (and embedded documents) of a page, resolved against ``<base href>`` or ``base_url``."""
    tree = LexborHTMLParser(html)
    base = tree.css_first("base[href]")
    if base is not None:
        base_url = urljoin(base_url, (base.attributes.get("href") or "").strip())
    links: list[Link] = []
    for node in tree.css("a[href], iframe[src], embed[src], object[data]"):
        attrs = node.attributes
        raw = attrs.get("href") or attrs.get("src") or attrs.get("data") or ""
        raw = raw.strip()
        if not raw or raw.startswith("#") or raw.lower().startswith(_SKIP_SCHEMES):
            continue
        try:
            url = urldefrag(urljoin(base_url, raw))[0]
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                continue
        except ValueError:  # e.g. a malformed IPv6 literal
            continue
        links.append(Link(url=url, text=_clean(node.text(deep=True, separator="", strip=False)),
                          title=_clean(attrs.get("title") or "")))
    return links


def _js_value(script: str, token: str) -> str:
    """A JS argument's value: literal, or the number a ``var NAME = 12`` assigns."""
    token = token.strip().strip("\"'")
    if re.fullmatch(r"[A-Za-z_$][\w$]*", token):
        m = re.search(r"\b" + re.escape(token) + r"\s*=\s*['\"]?(\d+)", script)
        if m:
            return m.group(1)
    return token


def _page_urls(base_url: str, prefix: str, ext: str, count: int, cap: int) -> list[str]:
    directory = urljoin(base_url, "./")
    return [urljoin(directory, f"{prefix}_{i}.{ext}") for i in range(1, min(count, cap))]


def _listing_ext(base_url: str, links: list[Link]) -> str:
    """Page file extension for generated pagination URLs: the listing's own, else its links' commonest."""
    name = PurePosixPath(urlsplit(base_url).path).name
    m = re.match(r"^(?:index|list|default)(?:_\d+)?\.(\w+)$", name, re.I)
    if m:
        return m.group(1)
    counts: dict[str, int] = {}
    for link in links:
        suffix = PurePosixPath(urlsplit(link.url).path).suffix.lower().lstrip(".")
        if suffix in ("htm", "html", "shtml", "jsp", "php", "asp", "aspx"):
            counts[suffix] = counts.get(suffix, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else "html"


def find_pagination(html: str, base_url: str, links: list[Link], cap: int = 50) -> list[str]:
    """URLs of further listing pages announced by a listing page."""
    found: list[str] = []
    base_dir = urljoin(base_url, "./")
    for link in links:
        label = link.text.replace(" ", "").lower()
        name = PurePosixPath(urlsplit(link.url).path).name
        if label in NEXT_PAGE_TEXTS or link.title in ("下一页", "下页"):
            found.append(link.url)
        elif _PAGE_FILE_RE.match(name) and urljoin(link.url, "./") == base_dir:
            found.append(link.url)
    for m in _CREATE_PAGE_RE.finditer(html):
        args = [_js_value(html, a) for a in m.group(1).split(",")]
        numbers = [int(a) for a in args if a.isdigit()]
        words = [a for a in args if re.fullmatch(r"[A-Za-z][\w-]*", a)]
        if numbers and len(words) >= 2:
            found.extend(_page_urls(base_url, words[-2], words[-1], numbers[0], cap))
    record = re.search(r"recordCount\s*:\s*['\"]?(\d+)", html)
    per_page = re.search(r"prepage\s*:\s*['\"]?(\d+)", html)
    if record and per_page and int(per_page.group(1)) > 0:
        count = math.ceil(int(record.group(1)) / int(per_page.group(1)))
        static = re.search(r"maxStaticIndex\s*:\s*['\"]?(\d+)", html)
        if static:
            count = min(count, int(static.group(1)) + 1)
        found.extend(_page_urls(base_url, "index", _listing_ext(base_url, links), count, cap))
    seen: set[str] = set()
    return [u for u in found if not (u in seen or seen.add(u))]


def title_year(title: str, lo: int, hi: int) -> int | None:
    """The report year: the first year named in a title (Arabic, full-width or Chinese numerals).

    None when the title names no year or its first year is outside ``lo..hi`` (a title such
    as 2015年度报告（2019年修订） is a 2015 report).
    """
    title = unicodedata.normalize("NFKC", title)
    candidates: list[tuple[int, int]] = [(m.start(), int(m.group(1))) for m in _YEAR_RE.finditer(title)]
    for m in _CN_YEAR_RE.finditer(title):
        candidates.append((m.start(), int("".join(str(_CN_DIGITS[c]) for c in m.group(0)))))
    if not candidates:
        return None
    year = min(candidates)[1]
    return year if lo <= year <= hi else None


def match_report(link: Link, filters: LinkFilters) -> tuple[str, int] | None:
    """(title, year) if the link is an annual report by the source's filters, else None."""
    if any(p.search(link.url) for p in filters.url_exclude):
        return None
    if filters.url_include and not any(p.search(link.url) for p in filters.url_include):
        return None
    for title in sorted({link.title, link.text}, key=len, reverse=True):
        if not title:
            continue
        if filters.title_include and not any(p.search(title) for p in filters.title_include):
            continue
        if any(p.search(title) for p in filters.title_exclude):
            continue
        year = title_year(title, filters.min_year, filters.max_year)
        if year is not None:
            return title, year
    return None


def _attachment_suffix(url: str, text: str = "") -> str | None:
    """.pdf/.doc/.docx/.wps if the URL path, a query value or the link text names such a file."""
    parts = urlsplit(url)
    candidates = [unquote(parts.path)] + [v for _, v in parse_qsl(parts.query)] + [text]
    for value in candidates:
        lowered = value.strip().lower()
        for suffix in ATTACHMENT_SUFFIXES:
            if lowered.endswith(suffix):
                return suffix
    return None


def find_attachments(links: list[Link]) -> list[Link]:
    """Links of a report page that point at pdf/doc/docx/wps files (first occurrence of each URL)."""
    out: dict[str, Link] = {}
    for link in links:
        if _attachment_suffix(link.url, link.text) and link.url not in out:
            out[link.url] = link
    return list(out.values())


def sniff_type(head: bytes, media_type: str | None, url: str) -> tuple[str, str]:
    """(media type, suffix) from the first bytes, the URL suffix and the Content-Type header."""
    url_suffix = PurePosixPath(unquote(urlsplit(url).path)).suffix.lower()
    if head.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if head.startswith(b"PK\x03\x04"):
        if url_suffix == ".docx" or b"word/" in head or b"[Content_Types]" in head:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"
        return "application/zip", url_suffix or ".zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if url_suffix == ".wps":
            return "application/vnd.ms-works", ".wps"
        return "application/msword", ".doc"
    probe = head[:1024].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower()
    if probe.startswith((b"<!doctype html", b"<html", b"<head", b"<meta")) or b"<html" in probe:
        return "text/html", ".html"
    if media_type in ("text/html", "application/xhtml+xml"):
        return "text/html", ".html"
    return media_type or "application/octet-stream", url_suffix or ".bin"


# ---------------------------------------------------------------- the crawl


class _Crawler:
    """One crawl run: shared fetcher, state, robots rules and in-run memo of fetched URLs."""

    def __init__(self, client: httpx.AsyncClient, state: CrawlState, store: RawStore):
        self.fetcher = Fetcher(client, store)
        self.state = state
        self.store = store
        self.result = CrawlResult(crawl_id=uuid.uuid4().hex)
        self._robots: dict[str, asyncio.Task[RobotsRules]] = {}
        self._memo: dict[str, asyncio.Task[_Fetched]] = {}

    async def cancel_pending(self) -> None:
        """Stop fetches orphaned by a source deadline, so nothing outlives the client or the state."""
        pending = [t for t in (*self._memo.values(), *self._robots.values()) if not t.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # ---- helpers

    def _fail(self, uri: str, src: Source, kind: str, code: str, message: str, status: int | None = None,
              referrer: str | None = None) -> None:
        self.result.failures.append(CrawlFailure(uri=uri, publisher=src.publisher, kind=kind,
                                                 error_code=code, message=message, http_status=status,
                                                 referrer=referrer))

    def _permit(self, src: Source) -> Permit:
        async def permit(url: str) -> tuple[str, str] | None:
            if not is_allowed(url, src.allowed_hosts):
                hosts = list(src.allowed_hosts)
                return "offsite_link", f"host {host_of(url)!r} is not in allowed_hosts {hosts}"
            rules = await self._rules(url, src)
            if not rules.allows(url):
                if rules.parser is None:
                    return "robots_unavailable", f"robots.txt treated as disallow-all: {rules.reason}"
                return "robots_disallowed", "robots.txt disallows this URL"
            return None

        return permit

    async def _rules(self, url: str, src: Source) -> RobotsRules:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        if key not in self._robots:
            self._robots[key] = asyncio.ensure_future(self._load_robots(key, src))
        return await asyncio.shield(self._robots[key])

    async def _load_robots(self, origin: str, src: Source) -> RobotsRules:
        robots_url = origin + "/robots.txt"

        async def offsite_only(url: str) -> tuple[str, str] | None:
            if not is_allowed(url, src.allowed_hosts):
                return "offsite_link", f"host {host_of(url)!r} is not in allowed_hosts"
            return None

        fetched = await self._get(robots_url, src, "robots", permit=offsite_only, max_bytes=512 * 1024)
        res = fetched.result
        if res.ok and res.path is not None:
            rules = rules_from_response(200, res.path.read_bytes())
        elif res.error_code in ("offsite_redirect", "too_many_redirects", "too_large"):
            rules = RobotsRules(allow_all=True, reason=f"robots.txt {res.error_code}")
        else:
            rules = rules_from_response(res.http_status, None)
        self.fetcher.configure_host(host_of(robots_url), src.politeness, rules.crawl_delay())
        return rules

    async def _get(self, url: str, src: Source, kind: str, *, permit: Permit | None = None,
                   referrer: str | None = None, listing_uri: str | None = None,
                   max_bytes: int | None = None) -> _Fetched:
        """Fetch once per crawl (memoized), log every attempt, update the cache, record failures."""
        if url not in self._memo:
            reporter().advance("crawl", more=1)  # one more URL to fetch: the crawl learns its total as it goes
            self._memo[url] = asyncio.ensure_future(
                self._fetch(url, src, kind, permit if permit is not None else self._permit(src),
                            referrer, listing_uri, max_bytes))
            self._memo[url].add_done_callback(lambda _: reporter().advance("crawl", done=1))
        return await asyncio.shield(self._memo[url])

    async def _fetch(self, url: str, src: Source, kind: str, permit: Permit,
                     referrer: str | None, listing_uri: str | None, max_bytes: int | None) -> _Fetched:
        cached = self.state.cache_get(url)
        cache, _final, cached_charset = cached if cached else (None, None, None)
        res = await self.fetcher.fetch(url, src.politeness, cache=cache, permit=permit, max_bytes=max_bytes)
        fetched = _Fetched(result=res, changed=False)
        media_type = res.media_type
        if res.ok and res.path is not None:
            fetched.changed = not res.not_modified and (cache is None or cache.sha256 != res.sha256)
            with res.path.open("rb") as fh:
                head = fh.read(2048)
            media_type, _suffix = sniff_type(head, res.media_type, res.final_uri)
            if kind in ("listing", "page"):
                size = res.size or res.path.stat().st_size
                if media_type == "text/html" and size <= MAX_HTML_BYTES_PARSED:
                    hint = res.http_charset or (cached_charset if res.not_modified else None)
                    fetched.text, fetched.charset = decode_html(res.path.read_bytes(), hint)
            self.state.cache_put(url, res, media_type, fetched.charset)
        elif not res.ok and not (kind == "robots" and res.http_status and 400 <= res.http_status < 500):
            self._fail(url, src, kind, res.error_code or "error", res.error_message or "", res.http_status,
                       referrer)
        self.state.log(self.result.crawl_id, res, kind=kind, publisher=src.publisher, referrer=referrer,
                       listing_uri=listing_uri, charset=fetched.charset, media_type=media_type)
        return fetched

    def _document(self, url: str, src: Source, fetched: _Fetched, *, title: str, year: int, kind: str,
                  parent: str | None, listing: str | None, link_text: str | None = None) -> ReportDocument:
        res = fetched.result
        assert res.path is not None and res.sha256 is not None
        with res.path.open("rb") as fh:
            head = fh.read(2048)
        media_type, suffix = sniff_type(head, res.media_type, res.final_uri)
        fetched_at = res.attempts[-1].fetched_at if res.attempts else datetime.now(UTC)
        doc = ReportDocument(source_uri=url, publisher=src.publisher, title=title, kind=kind,
                             sha256=res.sha256, path=res.path, media_type=media_type, suffix=suffix,
                             size=res.path.stat().st_size, fetched_at=fetched_at, changed=fetched.changed,
                             year=year, charset=fetched.charset, parent_uri=parent, listing_uri=listing,
                             link_text=link_text)
        self.result.documents.append(doc)
        return doc

    # ---- the walk

    async def crawl_source(self, src: Source) -> None:
        """Listing pages first, then reports and their attachments, within the source deadline."""
        try:
            async with asyncio.timeout(src.politeness.source_deadline):
                reports = await self._walk_listings(src)
                await asyncio.gather(*(self._fetch_report(src, link, title, year, listing)
                                       for link, title, year, listing in reports))
        except TimeoutError:
            self._fail(src.listing_urls[0], src, "source", "source_deadline",
                       f"source not finished within {src.politeness.source_deadline:g}s; rest skipped")

    async def _walk_listings(self, src: Source) -> list[tuple[Link, str, int, str]]:
        queue = [(u, None) for u in src.listing_urls]
        visited: set[str] = set()
        reports: dict[str, tuple[Link, str, int, str]] = {}
        while queue and len(visited) < src.max_listing_pages:
            url, referrer = queue.pop(0)
            if url in visited:
                continue
            visited.add(url)
            fetched = await self._get(url, src, "listing", referrer=referrer,
                                      max_bytes=min(src.politeness.max_bytes, MAX_HTML_BYTES_PARSED))
            if fetched.text is None:
                if fetched.result.ok:
                    self._fail(url, src, "listing", "not_html", "listing page is not a parseable HTML page")
                continue
            self.result.listing_pages.append(url)
            base = fetched.result.final_uri
            links = extract_links(fetched.text, base)
            for page in find_pagination(fetched.text, base, links, src.max_listing_pages):
                if page not in visited and is_allowed(page, src.allowed_hosts):
                    queue.append((page, url))
            for link in links:
                match = match_report(link, src.links)
                if match and link.url not in reports and len(reports) < src.max_reports:
                    reports[link.url] = (link, match[0], match[1], url)
        return list(reports.values())

    async def _fetch_report(self, src: Source, link: Link, title: str, year: int, listing: str) -> None:
        if _attachment_suffix(link.url):
            fetched = await self._get(link.url, src, "attachment", referrer=listing, listing_uri=listing)
            if fetched.result.ok:
                self._document(link.url, src, fetched, title=title, year=year, kind="attachment",
                               parent=listing, listing=listing, link_text=link.text)
            return
        fetched = await self._get(link.url, src, "page", referrer=listing, listing_uri=listing)
        if not fetched.result.ok:
            return
        page = self._document(link.url, src, fetched, title=title, year=year,
                              kind="page" if fetched.text is not None else "attachment",
                              parent=listing, listing=listing)
        if fetched.text is None:
            return
        attachments = find_attachments(extract_links(fetched.text, fetched.result.final_uri))
        results = await asyncio.gather(*(self._get(a.url, src, "attachment", referrer=page.source_uri,
                                                   listing_uri=listing) for a in attachments))
        for a, got in zip(attachments, results, strict=True):
            if got.result.ok:
                self._document(a.url, src, got, title=title, year=year, kind="attachment",
                               parent=page.source_uri, listing=listing, link_text=a.text or a.title)


async def crawl_async(sources: list[Source], state_db: Path, raw_root: Path, *,
                      client_factory: Callable[[], httpx.AsyncClient] | None = None) -> CrawlResult:
    """The crawl as a coroutine (for callers that already run an event loop)."""
    state = CrawlState(state_db)
    try:
        async with (client_factory or default_client)() as client:
            crawler = _Crawler(client, state, RawStore(raw_root))
            for src in sources:  # hosts shared by sources get the strictest politeness
                for host in src.allowed_hosts:
                    crawler.fetcher.configure_host(host, src.politeness)
            reporter().start("crawl", 0, "URLs")
            try:
                await asyncio.gather(*(crawler.crawl_source(src) for src in sources))
            finally:
                await crawler.cancel_pending()
                reporter().finish("crawl")
            crawler.result.documents.sort(key=lambda d: (d.publisher, d.source_uri))
            crawler.result.failures.sort(key=lambda f: (f.publisher, f.uri))
            return crawler.result
    finally:
        state.close()


def crawl(sources: list[Source], state_db: Path, raw_root: Path, *,
          client_factory: Callable[[], httpx.AsyncClient] | None = None) -> CrawlResult:
    """Crawl every source once; bounded by each source's ``politeness.source_deadline``."""
    return asyncio.run(crawl_async(sources, Path(state_db), Path(raw_root), client_factory=client_factory))
