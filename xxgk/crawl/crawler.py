"""Nightly acquisition: listing pages -> report pages -> attachments, into the raw store.

``crawl`` walks each source's listing pages (following next-page links, ``index_N.html``
links, ``createPageHTML(...)`` calls and TRS ``pagebar`` record counts), picks report links by
title (年度报告 plus a year), fetches each report page and its pdf/doc/docx/wps attachments, and
returns one ``ReportDocument`` per fetched file plus every failure with its reason. All HTTP
goes through ``xxgk.crawl.http.Fetcher``; every request outcome is a ``fetch_log`` row and every
successful fetch updates ``http_cache`` in the crawler's own state file (xxgk/crawl/state.py), so the next crawl sends
conditional requests and reports unchanged documents as ``changed=False``.

Nothing one source does stops another: pages are parsed in worker processes with a time limit
(xxgk/crawl/pages.py), a page that cannot be read is a failure of that page (``parse_error``,
``parse_timeout``, ``too_complex``), and anything else that goes wrong in a source ends that source
with a recorded failure (``internal_error``) while the others finish. Decoded pages are never kept:
a page's links are read in the worker and only they come back.
"""

from __future__ import annotations

import asyncio
import os
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import httpx

from common.progress import reporter
from xxgk.crawl.addresses import refusal as address_refusal
from xxgk.crawl.http import Fetcher, FetchResult, Permit, default_client
from xxgk.crawl.links import (  # noqa: F401 - re-exported: the crawler's page functions
    ATTACHMENT_SUFFIXES,
    Link,
    attachment_suffix,
    extract_links,
    find_attachments,
    find_pagination,
    match_report,
    title_year,
)
from xxgk.crawl.pages import PageParser, ParsedPage, ParseError, ParseJob
from xxgk.crawl.rawstore import RawStore
from xxgk.crawl.robots import MAX_ROBOTS_BYTES, RobotsRules, rules_from_response
from xxgk.crawl.sources import Source, host_of, is_allowed, redact_url
from xxgk.crawl.state import CrawlState

MAX_HTML_BYTES_PARSED = 8 * 1024 * 1024  # listing/report pages larger than this are not parsed
PARSE_WORKERS = min(2, os.cpu_count() or 1)

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
class RobotsVerdict:
    """How one host's robots.txt was read, and what it lets the crawler fetch there."""

    origin: str
    verdict: str  # "rules" (parsed), "allow_all" (4xx: none published), "disallow_all" (unreachable, 5xx ...)
    reason: str
    final_uri: str | None = None  # where the redirects led (another host is fine for robots.txt)
    truncated: bool = False  # larger than 500 KiB: its first 500 KiB were parsed


@dataclass(slots=True)
class CrawlResult:
    """What one crawl fetched and what failed."""

    crawl_id: str
    documents: list[ReportDocument] = field(default_factory=list)
    failures: list[CrawlFailure] = field(default_factory=list)
    listing_pages: list[str] = field(default_factory=list)
    robots: list[RobotsVerdict] = field(default_factory=list)

    @property
    def changed(self) -> list[ReportDocument]:
        return [d for d in self.documents if d.changed]


@dataclass(slots=True)
class _Fetched:
    result: FetchResult
    changed: bool
    charset: str | None = None
    is_html: bool = False
    parsed: ParsedPage | None = None  # links of a listing/report page, dropped once read (take_parsed)

    def take_parsed(self) -> ParsedPage | None:
        parsed, self.parsed = self.parsed, None
        return parsed


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
    """One crawl run: shared fetcher, state, robots rules, page parsers and in-run memo of fetched URLs."""

    def __init__(self, client: httpx.AsyncClient, state: CrawlState, store: RawStore, parser: PageParser):
        self.fetcher = Fetcher(client, store)
        self.state = state
        self.store = store
        self.parser = parser
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
              referrer: str | None = None, *, log: bool = False) -> None:
        """Record a failure; ``log``: also as a fetch_log row (failures that are no request outcome)."""
        failure = CrawlFailure(uri=redact_url(uri), publisher=src.publisher, kind=kind, error_code=code,
                               message=message, http_status=status,
                               referrer=redact_url(referrer) if referrer else None)
        self.result.failures.append(failure)
        if log:
            try:
                self.state.log_failure(self.result.crawl_id, failure)
            except Exception:  # the state file is the crawl's own: a failure to log it must not end the crawl
                pass

    def _permit(self, src: Source) -> Permit:
        async def permit(url: str) -> tuple[str, str] | None:
            if not is_allowed(url, src.allowed_hosts):
                hosts = list(src.allowed_hosts)
                return "offsite_link", f"host {host_of(url)!r} is not in allowed_hosts {hosts}"
            refused = await self._address_refusal(url, src)
            if refused:
                return refused
            rules = await self._rules(url, src)
            if not rules.allows(url):
                if rules.parser is None:
                    return "robots_unavailable", f"robots.txt treated as disallow-all: {rules.reason}"
                return "robots_disallowed", "robots.txt disallows this URL"
            return None

        return permit

    async def _address_refusal(self, url: str, src: Source) -> tuple[str, str] | None:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        message = await address_refusal(parts.hostname or "", port, src.allow_private, src.politeness.timeout)
        return ("private_address", message) if message else None

    async def _rules(self, url: str, src: Source) -> RobotsRules:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        if key not in self._robots:
            self._robots[key] = asyncio.ensure_future(self._load_robots(key, src))
        return await asyncio.shield(self._robots[key])

    async def _load_robots(self, origin: str, src: Source) -> RobotsRules:
        """RFC 9309: up to five redirects (to any host: nothing else is fetched there), the first 500 KiB
        of a larger file, 4xx → allow all, anything else that is not a 2xx → disallow all."""
        robots_url = origin + "/robots.txt"

        async def robots_permit(url: str) -> tuple[str, str] | None:
            if not is_allowed(url, [host_of(url)]):  # any http(s) host may serve the rules
                return "invalid_url", "a robots.txt redirect to a URL that is not http(s)"
            return await self._address_refusal(url, src)

        fetched = await self._get(robots_url, src, "robots", permit=robots_permit, max_bytes=src.politeness.max_bytes,
                                  truncate_at=MAX_ROBOTS_BYTES)
        res = fetched.result
        final = res.final_uri if res.final_uri != robots_url else None
        if res.ok and res.path is not None:
            rules = rules_from_response(200, res.path.read_bytes()[:MAX_ROBOTS_BYTES])
            note = f"its first {MAX_ROBOTS_BYTES} bytes parsed (the file is larger)" if res.truncated else ""
            reason = rules.reason or "rules parsed"
            verdict = "rules" if rules.parser is not None else ("allow_all" if rules.allow_all else "disallow_all")
        else:
            status = res.http_status if res.error_code == "http_error" else None
            rules = rules_from_response(status, None)
            if status is None:
                rules.reason = f"robots.txt unreachable ({res.error_code}: {res.error_message})"
            verdict, reason, note = ("allow_all" if rules.allow_all else "disallow_all"), rules.reason, ""
        if final:
            reason += f"; redirected to {redact_url(final)}"
        if note:
            reason += f"; {note}"
        self.result.robots.append(RobotsVerdict(origin=origin, verdict=verdict, reason=reason, final_uri=final,
                                                truncated=res.truncated))
        if verdict == "disallow_all" and res.ok:  # unparseable rules: no request failed, so say it here
            self._fail(robots_url, src, "robots", "robots_unavailable", reason, log=True)
        self.fetcher.configure_host(host_of(robots_url), src.politeness, rules.crawl_delay())
        return rules

    async def _get(self, url: str, src: Source, kind: str, *, permit: Permit | None = None,
                   referrer: str | None = None, listing_uri: str | None = None,
                   max_bytes: int | None = None, truncate_at: int | None = None) -> _Fetched:
        """Fetch once per crawl (memoized), log every attempt, update the cache, record failures."""
        if url not in self._memo:
            reporter().advance("crawl", more=1)  # one more URL to fetch: the crawl learns its total as it goes
            self._memo[url] = asyncio.ensure_future(
                self._fetch(url, src, kind, permit if permit is not None else self._permit(src),
                            referrer, listing_uri, max_bytes, truncate_at))
            self._memo[url].add_done_callback(lambda _: reporter().advance("crawl", done=1))
        return await asyncio.shield(self._memo[url])

    async def _fetch(self, url: str, src: Source, kind: str, permit: Permit, referrer: str | None,
                     listing_uri: str | None, max_bytes: int | None, truncate_at: int | None) -> _Fetched:
        cached = self.state.cache_get(url)
        cache, _final, cached_charset = cached if cached else (None, None, None)
        res = await self.fetcher.fetch(url, src.politeness, cache=cache, permit=permit, max_bytes=max_bytes,
                                       truncate_at=truncate_at)
        fetched = _Fetched(result=res, changed=False)
        media_type = res.media_type
        try:
            if res.ok and res.path is not None:
                fetched.changed = not res.not_modified and (cache is None or cache.sha256 != res.sha256)
                with res.path.open("rb") as fh:
                    head = fh.read(2048)
                media_type, _suffix = sniff_type(head, res.media_type, res.final_uri)
                fetched.is_html = media_type == "text/html"
                if kind in ("listing", "page") and fetched.is_html:
                    await self._parse(url, src, kind, fetched, cached_charset, referrer)
                self.state.cache_put(url, res, media_type, fetched.charset)
            elif not res.ok and not (kind == "robots" and res.http_status and 400 <= res.http_status < 500
                                     and res.http_status != 429):
                self._fail(url, src, kind, res.error_code or "error", res.error_message or "", res.http_status,
                           referrer)
        except Exception as exc:  # e.g. the stored file vanished: this URL fails, the crawl goes on
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]
            self._fail(url, src, kind, "internal_error", detail, res.http_status, referrer, log=True)
            res.error_code, res.error_message = res.error_code or "internal_error", res.error_message or detail
        self.state.log(self.result.crawl_id, res, kind=kind, publisher=src.publisher, referrer=referrer,
                       listing_uri=listing_uri, charset=fetched.charset, media_type=media_type)
        return fetched

    async def _parse(self, url: str, src: Source, kind: str, fetched: _Fetched, cached_charset: str | None,
                     referrer: str | None) -> None:
        """A stored HTML page → its links, in a parser process; a page that cannot be parsed is a failure."""
        res = fetched.result
        assert res.path is not None
        if (res.size or res.path.stat().st_size) > MAX_HTML_BYTES_PARSED:
            return  # stored (ingest reads it), not searched for links
        hint = res.http_charset or (cached_charset if res.not_modified else None)
        job = ParseJob(str(res.path), res.final_uri, hint, kind, src.max_listing_pages)
        try:
            fetched.parsed = await self.parser.parse(job, src.politeness.parse_timeout)
            fetched.charset = fetched.parsed.charset
        except ParseError as exc:
            self._fail(url, src, kind, exc.code, exc.message, referrer=referrer, log=True)

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
        """Listing pages first, then reports and their attachments, within the source deadline.

        Whatever goes wrong in this source stays in it: a recorded failure, never an exception."""
        try:
            async with asyncio.timeout(src.politeness.source_deadline):
                reports = await self._walk_listings(src)
                await asyncio.gather(*(self._fetch_report_safely(src, link, title, year, listing)
                                       for link, title, year, listing in reports))
        except TimeoutError:
            self._fail(src.listing_urls[0], src, "source", "source_deadline",
                       f"source not finished within {src.politeness.source_deadline:g}s; rest skipped", log=True)
        except Exception as exc:  # a bug or an input nobody foresaw: this source ends, the others go on
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]
            self._fail(src.listing_urls[0], src, "source", "internal_error",
                       f"the crawl of this source stopped: {detail}", log=True)

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
            parsed = fetched.take_parsed()
            if parsed is None:
                if fetched.result.ok and not fetched.is_html:
                    self._fail(url, src, "listing", "not_html", "listing page is not a parseable HTML page", log=True)
                continue
            self.result.listing_pages.append(url)
            for page in parsed.pagination:
                if page not in visited and is_allowed(page, src.allowed_hosts):
                    queue.append((page, url))
            for link in parsed.links:
                match = match_report(link, src.links)
                if match and link.url not in reports and len(reports) < src.max_reports:
                    reports[link.url] = (link, match[0], match[1], url)
        return list(reports.values())

    async def _fetch_report_safely(self, src: Source, link: Link, title: str, year: int, listing: str) -> None:
        try:
            await self._fetch_report(src, link, title, year, listing)
        except Exception as exc:  # one report's trouble is that report's failure
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]
            self._fail(link.url, src, "page", "internal_error", detail, referrer=listing, log=True)

    async def _fetch_report(self, src: Source, link: Link, title: str, year: int, listing: str) -> None:
        if attachment_suffix(link.url):
            fetched = await self._get(link.url, src, "attachment", referrer=listing, listing_uri=listing)
            if fetched.result.ok:
                self._document(link.url, src, fetched, title=title, year=year, kind="attachment",
                               parent=listing, listing=listing, link_text=link.text)
            return
        fetched = await self._get(link.url, src, "page", referrer=listing, listing_uri=listing)
        if not fetched.result.ok:
            return
        page = self._document(link.url, src, fetched, title=title, year=year,
                              kind="page" if fetched.is_html else "attachment", parent=listing, listing=listing)
        parsed = fetched.take_parsed()
        if parsed is None:
            return
        attachments = parsed.links
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
    parser = PageParser(PARSE_WORKERS)
    private_hosts = {h.rsplit(":", 1)[0] for s in sources if s.allow_private for h in s.allowed_hosts}
    try:
        client = client_factory() if client_factory else default_client(private_hosts)
        async with client:
            crawler = _Crawler(client, state, RawStore(raw_root), parser)
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
        parser.close()
        state.close()


def crawl(sources: list[Source], state_db: Path, raw_root: Path, *,
          client_factory: Callable[[], httpx.AsyncClient] | None = None) -> CrawlResult:
    """Crawl every source once; bounded by each source's ``politeness.source_deadline``."""
    return asyncio.run(crawl_async(sources, Path(state_db), Path(raw_root), client_factory=client_factory))
