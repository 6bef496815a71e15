"""``xxgk sources check``: validate a sources registry and say what a crawl would fetch first, fetching nothing.

The registry loader (xxgk/crawl/sources.py) names every problem by its key path
(``sources[1].politeness.rate: must be > 0``); this module adds the line of the file the path
points to, so a problem in a long registry is found at once.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from xxgk.crawl.sources import Source, SourcesError, load_sources

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _line_of(root: yaml.Node | None, path: str) -> int | None:
    """The 1-based line of the deepest node of ``path`` (``sources[1].links.min_year``) found in the file."""
    if root is None:
        return None
    node, line = root, root.start_mark.line + 1
    if path == "registry":
        return line
    for key, index in _STEP.findall(path):
        if index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            node = node.value[int(index)]
            line = node.start_mark.line + 1
        elif key and isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == key), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        else:
            break
    return line


def located_problems(error: SourcesError, text: str | None) -> list[str]:
    """The registry's problems, each prefixed with the line it points to when the file parses as YAML."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader) if text is not None else None
    except yaml.YAMLError:
        root = None  # the problem is the YAML itself: its message carries line and column
    out = []
    for problem in error.problems:
        path = problem.split(": ", 1)[0]
        line = _line_of(root, path)
        out.append(f"line {line}: {problem}" if line else problem)
    return out


def check_sources(path: Path) -> tuple[list[Source] | None, list[str]]:
    """(sources, []) for a valid registry, else (None, its problems with their lines)."""
    try:
        return load_sources(path), []
    except SourcesError as exc:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
        return None, located_problems(exc, text)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def describe_sources(sources: list[Source]) -> list[str]:
    """What a crawl of these sources fetches first, per publisher, and within which limits."""
    lines = []
    for src in sources:
        links, polite = src.links, src.politeness
        include = "|".join(p.pattern for p in links.title_include) or "(any title)"
        exclude = "|".join(p.pattern for p in links.title_exclude)
        robots = list(dict.fromkeys(_origin(u) + "/robots.txt" for u in src.listing_urls))
        lines += [
            src.publisher,
            f"  allowed hosts: {', '.join(src.allowed_hosts)}",
            *(f"  robots.txt:    {u}" for u in robots),
            *(f"  listing:       {u}" for u in src.listing_urls),
            f"  reports:       links titled {include}" + (f", not {exclude}" if exclude else "")
            + f", years {links.min_year}–{links.max_year}; at most {src.max_listing_pages} listing pages"
            f" and {src.max_reports} reports",
            f"  politeness:    {polite.rate:g} requests/s per host, {polite.concurrency} at a time, "
            f"{polite.max_bytes / 2**20:g} MiB per file, {polite.retries} retries, "
            f"{polite.source_deadline:g} s per source",
        ]
    return lines
