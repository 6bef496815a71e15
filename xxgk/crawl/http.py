"""The one module that talks HTTP: an httpx client with politeness, retries and caps.

``Fetcher.fetch`` GETs one URL: it waits for the host's rate limit and concurrency slot,
sends a conditional request when it knows the URL's ETag / Last-Modified, follows redirects by
hand (asking ``permit`` before each hop, so an off-site redirect is refused), streams the body
into the raw store with a size cap and a whole-download deadline, and retries timeouts,
connection errors, 429 and 5xx with exponential backoff honouring Retry-After (tenacity).
Every request outcome, redirect hops and retried attempts included, goes to ``log``.

The body is read raw and decoded here (xxgk/crawl/bodies.py), so ``max_bytes`` caps both the bytes
received and the bytes decoded, for every response: a gzip bomb stops at the cap. A URL carrying
credentials (``user:pw@``) is never requested and appears in logs only as ``***@``. The default
client connects only to public addresses (xxgk/crawl/addresses.py) unless a host is opted in.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_attempt

from xxgk.crawl.addresses import PRIVATE_REFUSAL, GuardedBackend
from xxgk.crawl.bodies import ACCEPT_ENCODING, BodyDecoder, BodyError
from xxgk.crawl.rawstore import RawStore
from xxgk.crawl.sources import Politeness, host_of, redact_url

USER_AGENT = "xxgk/0.1 (+https://github.com/xxgk/xxgk)"
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}

# A permit callback returns None to allow a URL, or (error_code, message) to refuse it.
Permit = Callable[[str], Awaitable[tuple[str, str] | None]]


@dataclass(slots=True)
class CacheEntry:
    """What the crawler knows about a URL from its last successful fetch."""

    etag: str | None
    last_modified: str | None
    sha256: str | None


@dataclass(slots=True)
class Attempt:
    """One request outcome: a fetch_log row without the crawler's context."""

    uri: str
    fetched_at: datetime
    attempt: int
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    media_type: str | None = None
    http_charset: str | None = None
    sha256: str | None = None
    size: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    redirect_to: str | None = None
    duration_ms: int = 0
    conditional: bool = False


@dataclass(slots=True)
class FetchResult:
    """The final outcome of fetching one URL (after redirects and retries)."""

    uri: str
    final_uri: str
    http_status: int | None = None
    not_modified: bool = False
    sha256: str | None = None
    path: Path | None = None
    size: int | None = None
    media_type: str | None = None
    http_charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    retryable: bool = False
    retry_after: float | None = None
    truncated: bool = False  # the body was cut at ``truncate_at`` (robots.txt past 500 KiB)
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_code is None


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport whose connections go only to public addresses (``allow_private(host)`` lifts it)."""

    def __init__(self, allow_private: Callable[[str], bool], limits: httpx.Limits):
        super().__init__(limits=limits, trust_env=False)
        # httpx 0.28 takes no network backend: the pool is made again with ours (same settings)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private),
        )


def default_client(private_hosts: frozenset[str] | set[str] = frozenset()) -> httpx.AsyncClient:
    """The production client: descriptive User-Agent, no automatic redirects, no proxies from env,
    connections to public addresses only (and to the hosts named in ``private_hosts``)."""
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
    hosts = frozenset(h.lower() for h in private_hosts)
    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, "Accept-Language": "zh-CN,zh;q=0.9", "Accept-Encoding": ACCEPT_ENCODING},
        follow_redirects=False,
        timeout=httpx.Timeout(20.0),
        limits=limits,
        trust_env=False,
        transport=GuardedTransport(lambda host: host.lower() in hosts, limits),
    )


class HostGate:
    """Per-host concurrency cap and minimum interval between request starts."""

    def __init__(self, concurrency: int, min_interval: float):
        self.concurrency = max(1, concurrency)
        self.semaphore = asyncio.Semaphore(self.concurrency)
        self.min_interval = max(0.0, min_interval)
        self._lock = asyncio.Lock()
        self._next_start = 0.0

    async def __aenter__(self) -> HostGate:
        await self.semaphore.acquire()
        try:
            async with self._lock:
                now = time.monotonic()
                wait = self._next_start - now
                self._next_start = max(now, self._next_start) + self.min_interval
            if wait > 0:
                await asyncio.sleep(wait)
        except BaseException:
            self.semaphore.release()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.semaphore.release()


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _content_type(headers: httpx.Headers) -> tuple[str | None, str | None]:
    raw = headers.get("content-type")
    if not raw:
        return None, None
    parts = [p.strip() for p in raw.split(";")]
    media = parts[0].lower() or None
    charset = None
    for p in parts[1:]:
        key, _, val = p.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'").lower()
    return media, charset


class Fetcher:
    """Fetches URLs politely into a RawStore; one per crawl, sharing host gates across sources."""

    def __init__(self, client: httpx.AsyncClient, store: RawStore):
        self.client = client
        self.store = store
        self._gates: dict[str, HostGate] = {}

    def configure_host(self, host: str, politeness: Politeness, crawl_delay: float = 0.0) -> None:
        """Set or tighten a host's gate (slower rate, lower concurrency; never looser).

        A lower concurrency replaces the gate, so set concurrency before the first request.
        """
        interval = max(1.0 / politeness.rate, crawl_delay)
        gate = self._gates.get(host)
        if gate is None or politeness.concurrency < gate.concurrency:
            self._gates[host] = HostGate(politeness.concurrency, max(interval, gate.min_interval if gate else 0))
        else:
            gate.min_interval = max(gate.min_interval, interval)

    def _gate(self, host: str, politeness: Politeness) -> HostGate:
        if host not in self._gates:
            self.configure_host(host, politeness)
        return self._gates[host]

    async def fetch(self, url: str, politeness: Politeness, *, cache: CacheEntry | None = None,
                    permit: Permit | None = None, log: Callable[[Attempt], None] | None = None,
                    max_bytes: int | None = None, truncate_at: int | None = None) -> FetchResult:
        """GET ``url`` with retries; the body lands in the raw store (see module docstring).

        ``truncate_at``: keep the first so many decoded bytes and stop reading (no ``too_large``)."""
        attempt_no = 0

        def wait(state: RetryCallState) -> float:
            result = state.outcome.result() if state.outcome and not state.outcome.failed else None
            if result is not None and result.retry_after is not None:
                return result.retry_after
            return politeness.backoff * (2 ** (state.attempt_number - 1)) * random.uniform(0.5, 1.0)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(politeness.retries + 1),
            wait=wait,
            retry=retry_if_result(lambda r: r.retryable),
            retry_error_callback=lambda state: state.outcome.result(),
        )
        all_attempts: list[Attempt] = []
        result: FetchResult | None = None
        async for attempt in retrying:
            with attempt:
                attempt_no += 1
                result = await self._fetch_once(url, politeness, cache, permit, attempt_no,
                                                max_bytes or politeness.max_bytes, truncate_at)
                for a in result.attempts:
                    if log is not None:
                        log(a)
                all_attempts.extend(result.attempts)
            if not attempt.retry_state.outcome.failed:
                attempt.retry_state.set_result(result)
        assert result is not None
        return replace(result, attempts=all_attempts)

    async def _fetch_once(self, url: str, politeness: Politeness, cache: CacheEntry | None,
                          permit: Permit | None, attempt_no: int, max_bytes: int,
                          truncate_at: int | None = None) -> FetchResult:
        """One attempt: follow up to MAX_REDIRECTS hops by hand."""
        attempts: list[Attempt] = []
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            refusal = credentials_refusal(current)
            if refusal is None and permit is not None:
                refusal = await permit(current)
            if refusal is not None:
                code, message = refusal
                if current != url and code == "offsite_link":
                    code = "offsite_redirect"
                attempts.append(Attempt(uri=redact_url(current), fetched_at=datetime.now(UTC), attempt=attempt_no,
                                        error_code=code, error_message=message))
                return FetchResult(uri=url, final_uri=redact_url(current), error_code=code, error_message=message,
                                   attempts=attempts)
            res = await self._request(current, politeness, cache, attempt_no, max_bytes, truncate_at)
            attempts.append(res.attempts[0])
            if res.error_code == "redirect":
                location = res.attempts[0].redirect_to
                assert location is not None
                res.attempts[0].redirect_to = redact_url(location)
                current = location
                continue
            res.uri, res.attempts = url, attempts
            return res
        message = f"more than {MAX_REDIRECTS} redirects"
        attempts.append(Attempt(uri=current, fetched_at=datetime.now(UTC), attempt=attempt_no,
                                error_code="too_many_redirects", error_message=message))
        return FetchResult(uri=url, final_uri=current, error_code="too_many_redirects",
                           error_message=message, attempts=attempts)

    async def _request(self, url: str, p: Politeness, cache: CacheEntry | None, attempt_no: int,
                       max_bytes: int, truncate_at: int | None = None) -> FetchResult:
        """One HTTP request; a redirect comes back as error_code 'redirect' with redirect_to set."""
        headers: dict[str, str] = {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING}
        if cache is not None and cache.sha256 and self.store.has(cache.sha256):
            if cache.etag:
                headers["If-None-Match"] = cache.etag
            if cache.last_modified:
                headers["If-Modified-Since"] = cache.last_modified
        conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
        att = Attempt(uri=url, fetched_at=datetime.now(UTC), attempt=attempt_no, conditional=conditional)
        res = FetchResult(uri=url, final_uri=url)
        started = time.monotonic()
        writer = None
        try:
            async with self._gate(host_of(url), p):
                att.fetched_at = datetime.now(UTC)
                started = time.monotonic()
                async with asyncio.timeout(p.deadline):
                    request = self.client.build_request("GET", url, headers=headers,
                                                        timeout=httpx.Timeout(p.timeout))
                    response = await self.client.send(request, stream=True, follow_redirects=False)
                    try:
                        att.http_status = res.http_status = response.status_code
                        att.etag = res.etag = response.headers.get("etag")
                        att.last_modified = res.last_modified = response.headers.get("last-modified")
                        att.media_type, att.http_charset = _content_type(response.headers)
                        res.media_type, res.http_charset = att.media_type, att.http_charset
                        status = response.status_code
                        if status in _REDIRECTS and response.headers.get("location"):
                            try:
                                att.redirect_to = urljoin(url, response.headers["location"].strip())
                                res.error_code = "redirect"
                            except ValueError as exc:  # a Location httpx cannot even join (bad port, IPv6)
                                self._fail(res, "invalid_url", f"redirect to an invalid URL: {exc}")
                        elif status == 304 and not (conditional and cache is not None and cache.sha256
                                                    and self.store.has(cache.sha256)):
                            self._fail(res, "not_modified_without_copy",
                                       "HTTP 304 Not Modified, but no stored copy to reuse (the conditional request "
                                       "was not sent, or the raw file is gone)")
                        elif status == 304 and cache is not None and cache.sha256:
                            res.not_modified = True
                            res.sha256 = att.sha256 = cache.sha256
                            res.path = self.store.path_for(cache.sha256)
                            res.etag = att.etag = att.etag or cache.etag
                            res.last_modified = att.last_modified = att.last_modified or cache.last_modified
                        elif 200 <= status < 300:
                            declared = response.headers.get("content-length", "").strip()
                            if truncate_at is None and declared.isascii() and declared.isdigit() \
                                    and int(declared[:20]) > max_bytes:
                                self._fail(res, "too_large",
                                           f"Content-Length {int(declared[:20])} exceeds max_bytes {max_bytes}")
                            else:
                                writer = self.store.writer()
                                await self._stream_body(response, writer, res, max_bytes, truncate_at)
                                if res.error_code is None:
                                    res.sha256, res.path = writer.commit()
                                    res.size = att.size = writer.size
                                    att.sha256 = res.sha256
                                    if res.truncated:
                                        att.error_message = f"body cut at its first {truncate_at} bytes"
                        elif status == 429 or status >= 500:
                            self._fail(res, "http_error", f"HTTP {status}", retryable=True)
                            retry_after = parse_retry_after(response.headers.get("retry-after"))
                            if retry_after is not None and retry_after > p.max_retry_after:
                                res.retryable = False
                                res.error_message += f" (Retry-After {retry_after:.0f}s too long)"
                            res.retry_after = retry_after
                        else:
                            self._fail(res, "http_error", f"HTTP {status}")
                    finally:
                        await response.aclose()
        except TimeoutError:
            self._fail(res, "deadline_exceeded", f"download took longer than {p.deadline:g}s")
        except httpx.TimeoutException as exc:
            self._fail(res, "timeout", f"{type(exc).__name__}: no answer within {p.timeout:g}s",
                       retryable=True)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            if PRIVATE_REFUSAL in str(exc):  # the guarded transport refused the address it resolved
                self._fail(res, "private_address", str(exc))
            else:
                self._fail(res, "connect_error", f"{type(exc).__name__}: {exc}", retryable=True)
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            self._fail(res, "network_error", f"{type(exc).__name__}: {exc}", retryable=True)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            self._fail(res, "invalid_url", f"{type(exc).__name__}: {exc}")
        except httpx.HTTPError as exc:
            self._fail(res, "http_protocol_error", f"{type(exc).__name__}: {exc}")
        finally:
            if writer is not None:
                writer.discard()
        att.duration_ms = int((time.monotonic() - started) * 1000)
        if res.error_code != "redirect" and (res.error_code or not res.truncated):
            att.error_code, att.error_message = res.error_code, res.error_message
        res.attempts = [att]
        return res

    async def _stream_body(self, response: httpx.Response, writer, res: FetchResult, max_bytes: int,
                           truncate_at: int | None) -> None:
        """Raw chunks → decoded pieces → the writer; both the received and the decoded size are capped."""
        try:
            decoder = BodyDecoder(response.headers.get("content-encoding"))
        except BodyError as exc:
            self._fail(res, exc.code, exc.message)
            return
        received = 0
        limit = truncate_at if truncate_at is not None else max_bytes

        def take(piece: bytes) -> bool:
            """Write a decoded piece; False once the body must stop."""
            if writer.size + len(piece) > limit:
                if truncate_at is not None:
                    writer.write(piece[:limit - writer.size])
                    res.truncated = True
                else:
                    self._fail(res, "too_large", f"decoded body exceeds max_bytes {max_bytes} (aborted)")
                return False
            writer.write(piece)
            return True

        try:
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received > max_bytes:
                    if truncate_at is None:
                        self._fail(res, "too_large", f"body exceeds max_bytes {max_bytes} as received (aborted)")
                    else:
                        res.truncated = True
                    return
                for piece in decoder.feed(chunk):
                    if not take(piece):
                        return
            for piece in decoder.finish():
                if not take(piece):
                    return
        except BodyError as exc:
            self._fail(res, exc.code, exc.message)

    @staticmethod
    def _fail(res: FetchResult, code: str, message: str, *, retryable: bool = False) -> None:
        res.error_code, res.error_message, res.retryable = code, message, retryable
        res.sha256 = res.path = res.size = None


def credentials_refusal(url: str) -> tuple[str, str] | None:
    """A URL with a user name or password is never requested (nor logged with them)."""
    try:
        parts = urlsplit(url)
        has_credentials = parts.username is not None or parts.password is not None
    except ValueError:
        return None
    if has_credentials:
        return "credentials_in_url", "a URL carrying a user name or password is not fetched"
    return None
