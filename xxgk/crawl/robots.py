"""robots.txt rules for one host, read with protego (wildcards, ``$``, Crawl-delay).

Status handling follows RFC 9309: a 4xx robots.txt (none published) allows everything; a
server error or an unreachable host disallows everything until the next crawl. A larger file is
read up to its first ``MAX_ROBOTS_BYTES`` (500 KiB, the least RFC 9309 lets a crawler parse) and
those rules apply; redirects are followed up to five hops, to any host (xxgk/crawl/crawler.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

ROBOTS_AGENT = "xxgk"  # the product token matched against User-agent lines
MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 2.5: parse at least the first 500 KiB


@dataclass(slots=True)
class RobotsRules:
    """What robots.txt lets the crawler fetch on one host."""

    parser: Protego | None = None
    allow_all: bool = True
    reason: str = ""  # why the rules are blanket (no robots.txt, unreachable ...)

    def allows(self, url: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return bool(self.parser.can_fetch(url, ROBOTS_AGENT))

    def crawl_delay(self) -> float:
        """Crawl-delay for our agent in seconds (0 when none is set)."""
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(ROBOTS_AGENT)
        return float(delay) if delay else 0.0


def rules_from_response(status: int | None, body: bytes | None) -> RobotsRules:
    """Rules from the robots.txt fetch outcome (``status`` None when the fetch failed)."""
    if status is not None and 200 <= status < 300 and body is not None:
        text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
        try:
            return RobotsRules(parser=Protego.parse(text))
        except Exception as exc:  # protego on hostile input: rules nobody can read, so nothing is fetched
            return RobotsRules(allow_all=False, reason=f"unparseable robots.txt: {type(exc).__name__}: {exc}")
    if status is not None and 400 <= status < 500 and status != 429:  # 429: the host is busy, not rule-less
        return RobotsRules(allow_all=True, reason=f"robots.txt answered {status}")
    return RobotsRules(allow_all=False, reason="robots.txt unreachable" if status is None
                       else f"robots.txt answered {status}")
