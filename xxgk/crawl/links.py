"""What a listing or report page says: its links, its further listing pages, which links are reports.

Pure functions over a page's text, all linear in the page's size (a page is hostile input: a
``createPageHTML`` scan that re-read the page for every call took 157 s on a 200 KB page; an
anchor holding the rest of a deep page made reading link texts quadratic). The crawler runs them in
a worker process with a time limit (xxgk/crawl/pages.py), never in its event loop.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import parse_qsl, unquote, urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from xxgk.crawl.sources import LinkFilters

ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps")
NEXT_PAGE_TEXTS = {"下一页", "下页", "后页", "下一頁", "next", "nextpage", ">", "›", "»", ">>"}
MAX_LINK_TEXT = 500  # characters of an anchor's text kept (titles are short; a listing truncates them)
MAX_LINK_NODES = 200  # nodes of an anchor's subtree read for its text
MAX_PAGING_CALLS = 20  # createPageHTML(...) calls read per page
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:")
_PAGE_FILE_RE = re.compile(r"^(index|list|default)_(\d+)\.(s?html?|jsp|php|aspx?)$", re.I)
# bounded argument list: an unclosed call cannot make the scan run to the end of the page for each call
_CREATE_PAGE_RE = re.compile(r"createPageHTML\s{0,20}\(([^()]{0,300})\)", re.I)
_JS_ASSIGN_RE = re.compile(r"(?<![\w$])([A-Za-z_$][\w$]{0,63})\s{0,20}=\s{0,20}['\"]?([0-9]{1,9})(?![0-9])")
_JS_NAME_RE = re.compile(r"[A-Za-z_$][\w$]{0,63}")
_ASCII_NUMBER_RE = re.compile(r"[0-9]{1,9}")  # not str.isdigit: '²'.isdigit() is True and int('²') raises
_RECORD_COUNT_RE = re.compile(r"recordCount\s{0,20}:\s{0,20}['\"]?([0-9]{1,9})(?![0-9])")
_PREPAGE_RE = re.compile(r"prepage\s{0,20}:\s{0,20}['\"]?([0-9]{1,9})(?![0-9])")
_STATIC_INDEX_RE = re.compile(r"maxStaticIndex\s{0,20}:\s{0,20}['\"]?([0-9]{1,9})(?![0-9])")
_YEAR_RE = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")
_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_YEAR_RE = re.compile(r"[一二][〇○零一二三四五六七八九]{3}")


@dataclass(slots=True)
class Link:
    """An anchor found in a page."""

    url: str
    text: str
    title: str


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _node_text(node: LexborNode) -> str:
    """An anchor's text, read from at most MAX_LINK_NODES nodes of its subtree (an anchor left open
    holds the rest of the page: reading every anchor's whole subtree is quadratic)."""
    parts: list[str] = []
    size = 0
    for i, child in enumerate(node.traverse(include_text=True)):
        if i >= MAX_LINK_NODES or size >= MAX_LINK_TEXT:
            break
        if child.tag == "-text":
            text = child.text_content or ""
            parts.append(text)
            size += len(text)
    return _clean("".join(parts)[:MAX_LINK_TEXT])


def extract_links(html: str | LexborHTMLParser, base_url: str) -> list[Link]:
    """Anchors (and embedded documents) of a page, resolved against ``<base href>`` or ``base_url``."""
    tree = html if isinstance(html, LexborHTMLParser) else LexborHTMLParser(html)
    base = tree.css_first("base[href]")
    if base is not None:
        try:
            base_url = urljoin(base_url, (base.attributes.get("href") or "").strip())
        except ValueError:
            pass
    links: list[Link] = []
    for node in tree.css("a[href], iframe[src], embed[src], object[data]"):
        attrs = node.attributes
        raw = attrs.get("href") or attrs.get("src") or attrs.get("data") or ""
        raw = raw.strip()
        if not raw or raw.startswith("#") or raw.lower().startswith(_SKIP_SCHEMES):
            continue
        try:
            url = urldefrag(urljoin(base_url, raw))[0]
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                continue
        except ValueError:  # e.g. a malformed IPv6 literal or port
            continue
        links.append(Link(url=url, text=_node_text(node), title=_clean((attrs.get("title") or "")[:MAX_LINK_TEXT])))
    return links


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


def _js_numbers(html: str) -> dict[str, str]:
    """``var NAME = 12`` assignments of a page, the first one per name (one pass over the page)."""
    found: dict[str, str] = {}
    for m in _JS_ASSIGN_RE.finditer(html):
        found.setdefault(m.group(1), m.group(2))
    return found


def find_pagination(html: str, base_url: str, links: list[Link], cap: int = 50) -> list[str]:
    """URLs of further listing pages announced by a listing page (linear in the page's size)."""
    found: list[str] = []
    base_dir = urljoin(base_url, "./")
    for link in links:
        label = link.text.replace(" ", "").lower()
        name = PurePosixPath(urlsplit(link.url).path).name
        if label in NEXT_PAGE_TEXTS or link.title in ("下一页", "下页"):
            found.append(link.url)
        elif _PAGE_FILE_RE.match(name) and urljoin(link.url, "./") == base_dir:
            found.append(link.url)
    variables: dict[str, str] | None = None
    for i, m in enumerate(_CREATE_PAGE_RE.finditer(html)):
        if i >= MAX_PAGING_CALLS:
            break
        args = []
        for raw in m.group(1).split(","):
            token = raw.strip().strip("\"'")
            if _JS_NAME_RE.fullmatch(token):
                if variables is None:
                    variables = _js_numbers(html)
                token = variables.get(token, token)
            args.append(token)
        numbers = [int(a) for a in args if _ASCII_NUMBER_RE.fullmatch(a)]
        words = [a for a in args if re.fullmatch(r"[A-Za-z][\w-]{0,63}", a)]
        if numbers and len(words) >= 2:
            found.extend(_page_urls(base_url, words[-2], words[-1], numbers[0], cap))
    record = _RECORD_COUNT_RE.search(html)
    per_page = _PREPAGE_RE.search(html)
    if record and per_page and int(per_page.group(1)) > 0:
        count = -(-int(record.group(1)) // int(per_page.group(1)))  # integer ceiling: no float overflow
        static = _STATIC_INDEX_RE.search(html)
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


def attachment_suffix(url: str, text: str = "") -> str | None:
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
        if attachment_suffix(link.url, link.text) and link.url not in out:
            out[link.url] = link
    return list(out.values())
