"""Normalise row and column labels and match them to registry label variants (reference §8)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from common.text import compact

# numbering prefixes: 一、 三、 （三） (3) 1. 1、 1． 第一 ...; applied repeatedly
_PREFIX = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d+[、.．]|[①-⑩])")
# parenthesised instructions: （区分处理的，只计这一情形…）, (指2019年事项数), （单位：万元）
_PARENS = re.compile(r"[(（][^()（）]*[)）]")
_PUNCT = re.compile(r"[“”\"'‘’「」『』《》:：,，;；/／、.．·\-—_|]")


@lru_cache(maxsize=65536)
def normalize_label(text: str, keep_parens: bool = False) -> str:
    """Comparable form of a label: NFKC, simplified, no spaces, prefixes, instructions or punctuation."""
    if not text:
        return ""
    out = compact(text)
    if not keep_parens:
        stripped = _PARENS.sub("", out)
        out = stripped or out
    previous = None
    while previous != out:
        previous = out
        out = _PREFIX.sub("", out)
    return _PUNCT.sub("", out)


def label_score(label: str, variant: str) -> float:
    """Similarity of a normalised label and a normalised variant in [0, 1]."""
    if not label or not variant:
        return 0.0
    if label == variant:
        return 1.0
    if len(variant) >= 2 and variant in label:
        # a prefix such as 中华人民共和国政府信息公开条例 or a suffix of instructions
        return 0.9 * (0.5 + 0.5 * len(variant) / len(label))
    if len(label) >= 4 and label in variant:
        return 0.85 * len(label) / len(variant)
    ratio = SequenceMatcher(None, label, variant).ratio()
    return ratio if ratio >= 0.75 else 0.0


class Candidates:
    """Codes and their label variants, frozen and hashed once (the match cache's key; build it once
    per registry, not per row: hashing the nested tuples on every lookup cost more than the lookup)."""

    __slots__ = ("items", "_hash")

    def __init__(self, mapping: dict[str, list[str]]):
        self.items = tuple((code, tuple(variants)) for code, variants in mapping.items())
        self._hash = hash(self.items)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Candidates) and self.items == other.items


def best_match(label: str, candidates: dict[str, list[str]] | Candidates,
               threshold: float = 0.6) -> tuple[str | None, float]:
    """The code whose variants best match ``label``; None when nothing or more than one fits equally."""
    if not isinstance(candidates, Candidates):
        candidates = Candidates(candidates)
    return _best_match(normalize_label(label), candidates, threshold)


@lru_cache(maxsize=131072)
def _best_match(norm: str, candidates: Candidates, threshold: float):
    """Labels repeat across thousands of reports: the fuzzy scoring runs once per distinct label."""
    candidates = candidates.items
    exact = [code for code, variants in candidates if norm in variants]
    if len(set(exact)) == 1:
        return exact[0], 1.0
    scored = sorted(
        ((max(label_score(norm, v) for v in variants), code) for code, variants in candidates),
        reverse=True,
    )
    if not scored or scored[0][0] < threshold:
        return None, 0.0
    if len(scored) > 1 and scored[1][0] == scored[0][0] and scored[1][1] != scored[0][1]:
        return None, 0.0
    return scored[0][1], scored[0][0]


# numbering markers where a nested label (三、本年度办理结果（一）予以公开) can be cut
_MARKER = re.compile(r"[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d+[.．、]")


def label_tails(label: str) -> list[str]:
    """The label and each of its tails starting at a numbering marker, longest first: a cell that holds a
    group's label and a row's (三、本年度办理结果 （一）予以公开) is matched by the row's."""
    tails = [label] + [label[m.start():] for m in _MARKER.finditer(label) if m.start() > 0]
    return [t for t in dict.fromkeys(tails) if normalize_label(t)]
