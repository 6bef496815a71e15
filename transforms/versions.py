"""Which template version a table follows, from the evidence the table gives (reference §1: from the
labels, never from the year). Every rule reads the registry; none names a version.

Table 2, in order of strength: the metric labels of its header rows; the versions' detect labels
written anywhere in the report; the items found (an item only one version has); how many values
each row prints (1 for 2021's 行政许可, 3 for 2019's); the version that leaves fewest template rows
unfound. Table 3: the rows found (a row only one version has), then fewest rows unfound. A tie
that nothing breaks goes to the oldest version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from common.text import compact
from transforms.registry import Registry


def _pick(registry: Registry, rules: Iterable[Callable[[], dict[str, float]]]) -> str:
    """The version every rule in turn keeps (a rule is computed only while versions are still tied)."""
    candidates = list(registry.versions)
    for rule in rules:
        scores = {v: s for v, s in rule().items() if v in candidates}
        best = max(scores.values(), default=None)
        if best is None:
            continue
        candidates = [v for v in candidates if scores.get(v) == best]
        if len(candidates) == 1:
            break
    return candidates[0]


def proactive_version(registry: Registry, rows: list[tuple[str, int]], header_votes: dict[str, int] | None = None,
                      text: str | None = None) -> str:
    """The version of table 2 from its header votes, the report text, and its rows as (item_code, values printed)."""
    found = {code for code, _ in rows}
    templates = registry.templates

    def in_text() -> dict[str, float]:
        flat = compact(text) if text else ""
        return {v: sum(flat.count(label) for label in t.detect) for v, t in templates.items()} if flat else {}

    return _pick(registry, [
        lambda: header_votes or {},
        in_text,
        lambda: {v: len(found & {i.code for i in t.items}) - len(found - {i.code for i in t.items})
                 for v, t in templates.items()},
        lambda: {v: sum(1 for code, n in rows if t.item(code) and len(t.item(code).metrics) == n)
                 for v, t in templates.items()},
        lambda: {v: -len({i.code for i in t.items} - found) for v, t in templates.items()},
    ])


def applications_version(registry: Registry, codes: Iterable[str]) -> str:
    """The version of table 3 from the outcome rows found."""
    found = set(codes)
    templates = registry.templates
    return _pick(registry, [
        lambda: {v: len(found & set(t.application_rows)) - len(found - set(t.application_rows))
                 for v, t in templates.items()},
        lambda: {v: -len(set(t.application_rows) - found) for v, t in templates.items()},
    ])
