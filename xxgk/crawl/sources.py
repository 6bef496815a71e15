"""The sources registry: which publishers to crawl, from which listing pages, on which hosts.

A registry is a YAML file (format in docs/sources.md). Other tools write such files, so the
loader validates strictly: unknown keys, wrong types, bad regexes, listing URLs outside the
allowed hosts all raise ``SourcesError`` listing every problem with its path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

# Titles of annual reports: 年度报告 plus a year (Arabic or Chinese numerals).
DEFAULT_TITLE_INCLUDE = (r"年度报告",)
DEFAULT_MIN_YEAR = 2019
DEFAULT_MAX_YEAR = 2030


class SourcesError(ValueError):
    """A registry that does not validate; ``problems`` lists each issue with its path."""

    def __init__(self, origin: str, problems: list[str]):
        self.origin = origin
        self.problems = problems
        super().__init__(f"invalid sources registry {origin}:\n  " + "\n  ".join(problems))


@dataclass(frozen=True, slots=True)
class Politeness:
    """Per-source limits on how hard and how long the crawler works a host."""

    rate: float = 1.0  # requests per second per host
    concurrency: int = 2  # simultaneous requests per host
    max_bytes: int = 50 * 1024 * 1024  # size cap per download
    deadline: float = 120.0  # seconds for one whole download (all chunks)
    timeout: float = 20.0  # seconds per socket operation (connect, read)
    retries: int = 3  # extra attempts on timeouts, 429, 5xx, connection resets
    backoff: float = 1.0  # base of the exponential backoff, seconds
    max_retry_after: float = 120.0  # longest Retry-After the crawler waits for
    source_deadline: float = 1800.0  # seconds for the whole source (listings, reports, attachments)
    parse_timeout: float = 30.0  # seconds to parse one listing or report page (its parser is then killed)


@dataclass(frozen=True, slots=True)
class LinkFilters:
    """Which listing links are reports: title and URL regexes plus a year range."""

    title_include: tuple[re.Pattern[str], ...] = ()
    title_exclude: tuple[re.Pattern[str], ...] = ()
    url_include: tuple[re.Pattern[str], ...] = ()
    url_exclude: tuple[re.Pattern[str], ...] = ()
    min_year: int = DEFAULT_MIN_YEAR
    max_year: int = DEFAULT_MAX_YEAR


@dataclass(frozen=True, slots=True)
class Source:
    """One publisher's place on the web."""

    publisher: str
    listing_urls: tuple[str, ...]
    allowed_hosts: tuple[str, ...]
    links: LinkFilters = field(default_factory=LinkFilters)
    politeness: Politeness = field(default_factory=Politeness)
    max_listing_pages: int = 20
    max_reports: int = 200
    allow_private: bool = False  # fetch from hosts resolving to loopback/private/link-local addresses


_TOP_KEYS = {"version", "defaults", "sources"}
_DEFAULT_KEYS = {"politeness", "links", "max_listing_pages", "max_reports", "allow_private"}
_SOURCE_KEYS = {"publisher", "listing_urls", "allowed_hosts", "links", "politeness",
                "max_listing_pages", "max_reports", "allow_private"}
_LINK_KEYS = {"title_include", "title_exclude", "url_include", "url_exclude", "min_year", "max_year"}
_FLOAT_POLITENESS = {"rate", "deadline", "timeout", "backoff", "max_retry_after", "source_deadline",
                     "parse_timeout"}
_INT_POLITENESS = {"concurrency", "max_bytes", "retries"}
_HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")


def normalize_host(netloc: str, scheme: str = "") -> str:
    """``host[:port]`` in lower case, default ports (80 for http, 443 for https) dropped."""
    netloc = netloc.lower().rsplit("@", 1)[-1]
    if (scheme == "http" and netloc.endswith(":80")) or (scheme == "https" and netloc.endswith(":443")):
        netloc = netloc.rsplit(":", 1)[0]
    return netloc


def redact_url(url: str) -> str:
    """The URL without the user name and password it carries (``http://***@host/``), for logs."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[-1]).geturl()
    except ValueError:
        return url.split("@", 1)[-1] if "@" in url else url


def host_of(url: str) -> str:
    """The normalized ``host[:port]`` of an http(s) URL."""
    parts = urlsplit(url)
    return normalize_host(parts.netloc, parts.scheme)


def is_allowed(url: str, allowed_hosts: tuple[str, ...] | list[str]) -> bool:
    """True for an http(s) URL whose host (and port, if not default) is in ``allowed_hosts``."""
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        parts.port  # noqa: B018 - raises ValueError on a port out of range or not a number
    except ValueError:
        return False
    return normalize_host(parts.netloc, parts.scheme) in allowed_hosts


class _Checker:
    """Collects problems while reading one registry."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def err(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def mapping(self, value: Any, path: str, keys: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.err(path, f"must be a mapping, got {type(value).__name__}")
            return {}
        for key in value:
            if key not in keys:
                self.err(f"{path}.{key}", f"unknown key (allowed: {', '.join(sorted(keys))})")
        return value

    def text(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.err(path, "must be a non-empty string")
            return None
        return value.strip()

    def str_list(self, value: Any, path: str, *, required: bool) -> list[str]:
        if value is None and not required:
            return []
        if not isinstance(value, list) or (required and not value):
            self.err(path, "must be a non-empty list of strings" if required else "must be a list of strings")
            return []
        out = []
        for i, item in enumerate(value):
            s = self.text(item, f"{path}[{i}]")
            if s is not None:
                out.append(s)
        return out

    def regexes(self, value: Any, path: str) -> tuple[re.Pattern[str], ...]:
        out = []
        for i, pattern in enumerate(self.str_list(value, path, required=False)):
            try:
                out.append(re.compile(pattern))
            except re.error as exc:
                self.err(f"{path}[{i}]", f"invalid regex {pattern!r}: {exc}")
        return tuple(out)

    def number(self, value: Any, path: str, *, integer: bool, minimum: float) -> float | int | None:
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type:
            self.err(path, f"must be {'an integer' if integer else 'a number'}, got {value!r}")
            return None
        if value < minimum:
            self.err(path, f"must be >= {minimum}, got {value!r}")
            return None
        return value


def _read_politeness(chk: _Checker, raw: Any, path: str, base: Politeness) -> Politeness:
    data = chk.mapping(raw, path, _FLOAT_POLITENESS | _INT_POLITENESS) if raw is not None else {}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in _INT_POLITENESS:
            minimum = 0 if key == "retries" else 1
            n = chk.number(value, f"{path}.{key}", integer=True, minimum=minimum)
        elif key in _FLOAT_POLITENESS:
            n = chk.number(value, f"{path}.{key}", integer=False, minimum=0)
            if n is not None and n == 0 and key != "backoff":
                chk.err(f"{path}.{key}", "must be > 0")
                n = None
        else:
            continue
        if n is not None:
            values[key] = float(n) if key in _FLOAT_POLITENESS else int(n)
    return replace(base, **values)


def _read_links(chk: _Checker, raw: Any, path: str, base: LinkFilters) -> LinkFilters:
    data = chk.mapping(raw, path, _LINK_KEYS) if raw is not None else {}
    values: dict[str, Any] = {}
    for key in ("title_include", "title_exclude", "url_include", "url_exclude"):
        if key in data:
            values[key] = chk.regexes(data[key], f"{path}.{key}")
    for key in ("min_year", "max_year"):
        if key in data:
            n = chk.number(data[key], f"{path}.{key}", integer=True, minimum=1949)
            if n is not None:
                values[key] = n
    links = replace(base, **values)
    if links.min_year > links.max_year:
        chk.err(path, f"min_year {links.min_year} is after max_year {links.max_year}")
    return links


def _read_hosts(chk: _Checker, raw: Any, path: str) -> tuple[str, ...]:
    hosts = []
    for i, host in enumerate(chk.str_list(raw, path, required=True)):
        if "://" in host or "/" in host:
            chk.err(f"{path}[{i}]", f"must be a host name (optionally host:port), not a URL: {host!r}")
        elif not _HOST_RE.match(host.lower()):
            chk.err(f"{path}[{i}]", f"not a valid host name: {host!r}")
        else:
            hosts.append(host.lower())
    return tuple(hosts)


def _read_listing_urls(chk: _Checker, raw: Any, path: str, hosts: tuple[str, ...]) -> tuple[str, ...]:
    urls = []
    for i, url in enumerate(chk.str_list(raw, path, required=True)):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            chk.err(f"{path}[{i}]", f"must be an absolute http(s) URL: {redact_url(url)!r}")
        elif "@" in parts.netloc:
            chk.err(f"{path}[{i}]", f"must not carry a user name or password: {redact_url(url)!r}")
        elif hosts and not is_allowed(url, hosts):
            chk.err(f"{path}[{i}]", f"host {host_of(url)!r} is not in allowed_hosts {list(hosts)}")
        else:
            urls.append(url)
    return tuple(urls)


def _read_source(chk: _Checker, raw: Any, path: str, defaults: dict[str, Any]) -> Source | None:
    data = chk.mapping(raw, path, _SOURCE_KEYS)
    if not data:
        return None
    for key in ("publisher", "listing_urls", "allowed_hosts"):
        if key not in data:
            chk.err(f"{path}.{key}", "is required")
    publisher = chk.text(data.get("publisher"), f"{path}.publisher") if "publisher" in data else None
    hosts = _read_hosts(chk, data.get("allowed_hosts"), f"{path}.allowed_hosts") if "allowed_hosts" in data \
        else ()
    urls = _read_listing_urls(chk, data.get("listing_urls"), f"{path}.listing_urls", hosts) \
        if "listing_urls" in data else ()
    links = _read_links(chk, data.get("links"), f"{path}.links", defaults["links"])
    politeness = _read_politeness(chk, data.get("politeness"), f"{path}.politeness", defaults["politeness"])
    limits = {}
    for key in ("max_listing_pages", "max_reports"):
        value = data.get(key, defaults[key])
        n = chk.number(value, f"{path}.{key}", integer=True, minimum=1)
        limits[key] = n if n is not None else defaults[key]
    allow_private = data.get("allow_private", defaults["allow_private"])
    if not isinstance(allow_private, bool):
        chk.err(f"{path}.allow_private", f"must be true or false, got {allow_private!r}")
        allow_private = False
    if publisher is None or not hosts or not urls:
        return None
    return Source(publisher=publisher, listing_urls=urls, allowed_hosts=hosts, links=links,
                  politeness=politeness, allow_private=allow_private, **limits)


def parse_sources(data: Any, origin: str = "<data>") -> list[Source]:
    """Validate a registry already loaded from YAML; raise ``SourcesError`` on any problem."""
    chk = _Checker()
    top = chk.mapping(data, "registry", _TOP_KEYS)
    if top and top.get("version", 1) != 1:
        chk.err("version", f"unsupported registry version {top.get('version')!r} (expected 1)")
    raw_defaults = chk.mapping(top.get("defaults", {}) or {}, "defaults", _DEFAULT_KEYS)
    base_links = LinkFilters(title_include=tuple(re.compile(p) for p in DEFAULT_TITLE_INCLUDE))
    defaults: dict[str, Any] = {
        "links": _read_links(chk, raw_defaults.get("links"), "defaults.links", base_links),
        "politeness": _read_politeness(chk, raw_defaults.get("politeness"), "defaults.politeness",
                                       Politeness()),
        "max_listing_pages": 20,
        "max_reports": 200,
        "allow_private": False,
    }
    for key in ("max_listing_pages", "max_reports"):
        if key in raw_defaults:
            n = chk.number(raw_defaults[key], f"defaults.{key}", integer=True, minimum=1)
            if n is not None:
                defaults[key] = n
    if "allow_private" in raw_defaults:
        if isinstance(raw_defaults["allow_private"], bool):
            defaults["allow_private"] = raw_defaults["allow_private"]
        else:
            chk.err("defaults.allow_private", f"must be true or false, got {raw_defaults['allow_private']!r}")
    sources: list[Source] = []
    raw_sources = top.get("sources") if top else None
    if not isinstance(raw_sources, list) or not raw_sources:
        chk.err("sources", "must be a non-empty list of sources")
        raw_sources = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_sources):
        source = _read_source(chk, raw, f"sources[{i}]", defaults)
        if source is None:
            continue
        if source.publisher in seen:
            chk.err(f"sources[{i}].publisher", f"duplicate publisher {source.publisher!r} "
                                               f"(first at sources[{seen[source.publisher]}])")
        seen.setdefault(source.publisher, i)
        sources.append(source)
    if chk.problems:
        raise SourcesError(origin, chk.problems)
    return sources


def load_sources(path: Path | str) -> list[Source]:
    """Read and validate a sources registry YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(str(path), [f"cannot read file: {exc}"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourcesError(str(path), [f"not valid YAML: {exc}"]) from exc
    return parse_sources(data, str(path))
