"""Segment the digit runs of flattened tables with the template identities (reference §6, §8).

A flattened row is a label followed by one run such as ``190120000202`` (seven values written
together). Table 3 rows are split so that 总计 equals the sum of the six applicant columns
(app_applicant_sum), then ambiguous rows are narrowed by app_balance and app_results_sum across
rows; table 4 is split so that each block's 总计 is the sum of its four results (rl_sum). Table 2
has no identity: a split is accepted only when it is the only one that obeys the value formats.
Every value found this way is ``inferred``; when several splits fit, or none, the cells are
``missing`` with the reason. Nothing is guessed.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from decimal import Decimal
from functools import cache

from common.document import Document, Table
from common.values import amount_in_yuan, parse_value, unit_from_label
from transforms.labels import best_match, normalize_label
from transforms.mapper import Fact, MappedReport, UnmappedRow
from transforms.registry import APPLICANT_ORDER, BLOCK_ORDER, RESULT_ORDER, Registry, load_registry

MAX_RUN = 48  # characters (15 values of 3 digits); a longer run is not segmented
MAX_SPLITS = 5000  # candidate splits kept per row before giving up as "too many"
MAX_COMBINATIONS = 200_000  # cross-row combinations checked for table 3

_INT = r"(?:0|[1-9]\d*)"
_COUNT = re.compile(rf"{_INT}(?:项|件|个|条)?")
_SIGNED = re.compile(rf"(?:[+-]|--|增|减)?{_INT}|{_INT}[(（](?:增|减)[)）]")
_MONEY = re.compile(rf"(?:{_INT}|[1-9]\d{{0,2}}(?:,\d{{3}})+)(?:\.\d+)?(?:万元|亿元|千元|元)?")
_PLACEHOLDER = re.compile(r"-|/|无|—{1,2}")
# numbering markers where a nested label (三、本年度办理结果（一）予以公开) can be cut
_MARKER = re.compile(r"[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d+[.．、]")
SIGNED_METRICS = frozenset({"items_change"})
RL_MARKERS = ("行政复议", "行政诉讼", "结果维持", "尚未审结", "复议后起诉")


def normalize_run(run: str) -> str:
    """NFKC and no spaces: full-width digits and signs become ASCII."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", run or ""))


# --- labels ------------------------------------------------------------------------------------
def _label_candidates(label: str) -> list[str]:
    """The label and each of its tails starting at a numbering marker, longest first."""
    tails = [label] + [label[m.start():] for m in _MARKER.finditer(label) if m.start() > 0]
    return [t for t in dict.fromkeys(tails) if normalize_label(t)]


_MAPS: dict[int, tuple[Registry, dict[str, list[str]], dict[str, list[str]]]] = {}


def _candidate_maps(registry: Registry) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    cached = _MAPS.get(id(registry))
    if cached and cached[0] is registry:
        return cached[1], cached[2]
    items: dict[str, list[str]] = {}
    for template in registry.templates.values():
        for item in template.items:
            items.setdefault(item.code, []).extend(item.labels)
    rows = {code: list(labels) for code, labels in registry.app_rows.items()}
    _MAPS[id(registry)] = (registry, items, rows)
    return items, rows


def match_row_label(label: str, registry: Registry | None = None) -> tuple[str, str] | None:
    """(table_code, row_code) of a flattened row label, or None; nested labels match by their tail."""
    registry = registry or load_registry()
    items, rows = _candidate_maps(registry)
    best: tuple[float, str, str] | None = None
    for tail in _label_candidates(label):
        norm = normalize_label(tail)
        if norm in registry.app_group_labels and norm != "其他处理":
            continue
        for table_code, candidates, threshold in (("proactive", items, 0.75), ("applications", rows, 0.7)):
            code, score = best_match(tail, candidates, threshold)
            if code and (best is None or score > best[0]):
                best = (score, table_code, code)
    return (best[1], best[2]) if best else None


def is_rl_label(label: str) -> bool:
    """An empty label or a table-4 header glued to the run."""
    norm = normalize_label(label)
    return not norm or any(marker in norm for marker in RL_MARKERS)


# --- enumeration -------------------------------------------------------------------------------
def format_splits(run: str, patterns: list[re.Pattern], limit: int = MAX_SPLITS) -> list[tuple[str, ...]]:
    """Every split of ``run`` into len(patterns) pieces, piece i fully matching patterns[i]."""
    n = len(patterns)

    @cache
    def tails(pos: int, k: int) -> tuple[tuple[str, ...], ...]:
        if k == n:
            return ((),) if pos == len(run) else ()
        found: list[tuple[str, ...]] = []
        for end in range(pos + 1, len(run) - (n - k - 1) + 1):
            piece = run[pos:end]
            if patterns[k].fullmatch(piece):
                for rest in tails(end, k + 1):
                    found.append((piece, *rest))
                    if len(found) > limit:
                        return tuple(found)
        return tuple(found)

    out = list(tails(0, 0))
    tails.cache_clear()
    return out[: limit + 1]


def _parts(run: str, start: int, stop: int, k: int, target: int) -> list[tuple[int, ...]]:
    """Splits of run[start:stop] into k integers (no leading zeros) that sum to ``target``."""

    @cache
    def walk(pos: int, left: int, rest: int) -> tuple[tuple[int, ...], ...]:
        if left == 1:
            piece = run[pos:stop]
            ok = piece and not (len(piece) > 1 and piece[0] == "0") and int(piece) == rest
            return ((rest,),) if ok else ()
        chars, digits = stop - pos, len(str(rest))
        # parts are at most as wide as what is left to sum, and the widest is at most one digit shorter
        if chars > left * digits or (rest >= 10 and chars < digits - 1 + left - 1):
            return ()
        found: list[tuple[int, ...]] = []
        widest = min(digits, chars - (left - 1))
        for width in range(1, widest + 1):
            piece = run[pos:pos + width]
            if width > 1 and piece[0] == "0":
                break
            value = int(piece)
            if value > rest:
                break
            found.extend((value, *tail) for tail in walk(pos + width, left - 1, rest - value))
            if len(found) > MAX_SPLITS:
                break
        return tuple(found)

    return list(walk(start, k, target))


def sum_blocks(run: str, pos: int, parts: int, must_end: bool) -> list[tuple[int, tuple[int, ...]]]:
    """Blocks of ``parts`` integers then their sum, read from run[pos:]: [(end, values + (total,))]."""
    found: list[tuple[int, tuple[int, ...]]] = []
    for stop in range(pos + parts, len(run)):
        ends = [len(run)] if must_end else range(stop + 1, len(run) + 1)
        for end in ends:
            total = run[stop:end]
            if len(total) > 18 or (len(total) > 1 and total[0] == "0"):
                break
            # every part is at most as wide as the total, and the widest is at least one digit shorter
            if stop - pos > parts * len(total):
                continue
            if stop - pos < len(total) - 1 + parts - 1:
                break
            for values in _parts(run, pos, stop, parts, int(total)):
                found.append((end, (*values, int(total))))
            if len(found) > MAX_SPLITS:
                return found
    return found


def applicant_splits(run: str) -> list[tuple[int, ...]]:
    """Splits of a table-3 run into six applicant values and their total (app_applicant_sum)."""
    if not run.isdigit():
        return []
    return [values for _, values in sum_blocks(run, 0, len(APPLICANT_ORDER) - 1, must_end=True)]


def review_splits(run: str) -> list[tuple[int, ...]]:
    """Splits of the table-4 run into three blocks of four results and their total (rl_sum)."""
    if not run.isdigit():
        return []
    parts = len(RESULT_ORDER) - 1
    found: list[tuple[int, ...]] = []
    blocks: dict[tuple[int, bool], list[tuple[int, tuple[int, ...]]]] = {}

    def chain(pos: int, acc: tuple[int, ...], left: int) -> None:
        if len(found) > MAX_SPLITS:
            return
        key = (pos, left == 1)
        if key not in blocks:
            blocks[key] = sum_blocks(run, pos, parts, must_end=left == 1)
        for end, block in blocks[key]:
            if left == 1:
                found.append((*acc, *block))
            else:
                chain(end, (*acc, *block), left - 1)

    chain(0, (), len(BLOCK_ORDER))
    return found


# --- facts -------------------------------------------------------------------------------------
def _inferred(base: dict, piece: str, note: str, locator: str, unit_hint: str | None = None,
              money: bool = False) -> Fact:
    parsed = parse_value(piece)
    if parsed.status != "reported":
        return Fact(**base, value=None, value_status=parsed.status, raw_text=piece, locator=locator, note=note)
    unit = parsed.unit or unit_hint
    amount = None
    if money:
        amount = amount_in_yuan(parsed.decimal, unit)
        if amount is None and parsed.decimal == 0:
            amount = Decimal(0)
        elif amount is None:
            note += "; amount without a unit: kept, not converted"
    return Fact(**base, value=parsed.value, value_status="inferred", raw_text=piece, unit=unit,
                amount_yuan=amount, locator=locator, note=note)


def _missing(base: dict, reason: str, raw: str | None = None, locator: str | None = None) -> Fact:
    return Fact(**base, value=None, value_status="missing", raw_text=raw, locator=locator, note=reason)


def _flat_rows(table: Table) -> list[tuple[str, str, str]]:
    """(label, run, locator) of each row of a flattened table."""
    rows = []
    for cells in table.rows():
        if not cells:
            continue
        label = cells[0].text if len(cells) > 1 else ""
        run = cells[-1].text
        rows.append((label, run, cells[-1].locator))
    return rows


def detect_proactive_version(text: str, codes: set[str], registry: Registry) -> str:
    """2019 or 2021 from the header labels written in the text; items decide a tie."""
    flat = normalize_label(text)
    hits = {v: sum(flat.count(label) for label in t.detect) for v, t in registry.templates.items()}
    if max(hits.values(), default=0) > 0 and list(hits.values()).count(max(hits.values())) == 1:
        return max(hits, key=hits.get)
    return "2019" if codes & {"other_services", "procurement"} else "2021"


def _money_unit(text: str, labels: tuple[str, ...]) -> str | None:
    flat = normalize_run(text)
    for label in labels:
        at = flat.find(label)
        if at >= 0:
            unit = unit_from_label(flat[at: at + len(label) + 12])
            if unit:
                return unit
    return None


class _Segmenter:
    def __init__(self, doc: Document, registry: Registry):
        self.doc = doc
        self.reg = registry
        self.report = MappedReport()

    def _unmapped(self, table_code: str | None, label: str, run: str, locator: str, reason: str) -> None:
        self.report.unmapped.append(UnmappedRow(table_code, label, run, locator, reason))

    # --- table 2 ---------------------------------------------------------------------------
    def proactive(self, rows: list[tuple[str, str, str]]) -> None:
        matched: dict[str, tuple[str, str, str]] = {}
        for label, run, locator in rows:
            hit = match_row_label(label, self.reg)
            if not hit or hit[0] != "proactive":
                self._unmapped("proactive", label, run, locator, "label not in the template")
            elif hit[1] in matched:
                self._unmapped("proactive", label, run, locator, f"duplicate row for {hit[1]}")
            else:
                matched[hit[1]] = (label, run, locator)
        if not matched:
            return
        version = detect_proactive_version(self.doc.text, set(matched), self.reg)
        template = self.reg.templates[version]
        self.report.templates["proactive"] = version
        for item in template.items:
            entry = matched.pop(item.code, None)
            metrics = list(item.metrics)
            bases = [dict(table_code="proactive", row_code=item.code, col_code=m, template_version=version,
                          article_code=item.article, label_text=entry[0] if entry else None) for m in metrics]
            if entry is None:
                self.report.facts.extend(_missing(b, "row not found in table 2") for b in bases)
                continue
            label, raw, locator = entry
            run = normalize_run(raw)
            patterns = []
            for metric in metrics:
                value = _SIGNED if metric in SIGNED_METRICS else _MONEY if metric in template.money_metrics else _COUNT
                patterns.append(re.compile(f"{value.pattern}|{_PLACEHOLDER.pattern}"))
            splits = format_splits(run, patterns) if len(run) <= MAX_RUN else []
            if len(splits) != 1:
                reason = (f"ambiguous: {len(splits)} segmentations fit" if len(splits) > 1
                          else "no segmentation fits the value formats")
                if len(splits) > MAX_SPLITS:
                    reason = f"ambiguous: more than {MAX_SPLITS} segmentations fit"
                if len(run) > MAX_RUN:
                    reason = f"run of {len(run)} characters is too long to segment"
                reason += f" (run {raw!r}; table 2 has no identity)"
                self.report.facts.extend(_missing(b, reason, raw, locator) for b in bases)
                continue
            note = f"segmented from {raw!r}: the only split obeying the value formats (table 2 has no identity)"
            for base, metric, piece in zip(bases, metrics, splits[0], strict=True):
                money = metric in template.money_metrics
                hint = _money_unit(self.doc.text, template.metrics[metric]) if money else None
                self.report.facts.append(_inferred(base, piece, note, locator, hint, money))
        for code, (label, run, locator) in matched.items():
            self._unmapped("proactive", label, run, locator, f"item {code} is not part of the {version} template")

    # --- table 3 ---------------------------------------------------------------------------
    def applications(self, rows: list[tuple[str, str, str]]) -> None:
        found: dict[str, tuple[str, str, str]] = {}
        for label, run, locator in rows:
            hit = match_row_label(label, self.reg)
            if not hit or hit[0] != "applications":
                self._unmapped("applications", label, run, locator, "label not in the template")
            elif hit[1] in found:
                self._unmapped("applications", label, run, locator, f"duplicate row for {hit[1]}")
            else:
                found[hit[1]] = (label, run, locator)
        if not found:
            return
        version = "2021" if set(found) & {"other_no_correction", "other_unpaid_fee", "other_misc"} else "2019"
        self.report.templates["applications"] = version
        template = self.reg.templates[version]
        for code in set(found) - set(template.application_rows):
            label, run, locator = found.pop(code)
            self._unmapped("applications", label, run, locator, f"row {code} is not part of the {version} template")
        candidates = {code: applicant_splits(normalize_run(run)) if len(normalize_run(run)) <= MAX_RUN else []
                      for code, (_, run, _) in found.items()}
        chosen, reasons, used = self._resolve_applications(candidates, template.application_rows)
        for code in template.application_rows:
            group = self.reg.app_row_groups.get(code)
            entry = found.get(code)
            for i, applicant in enumerate(APPLICANT_ORDER):
                base = dict(table_code="applications", row_code=code, col_code=applicant, template_version=version,
                            outcome_group=group, label_text=entry[0] if entry else None)
                if entry is None:
                    self.report.facts.append(_missing(base, "row not found in table 3"))
                elif code in chosen:
                    note = f"segmented from {entry[1]!r} by {', '.join(used[code])}"
                    self.report.facts.append(_inferred(base, str(chosen[code][i]), note, entry[2]))
                else:
                    self.report.facts.append(_missing(base, f"{reasons[code]} (run {entry[1]!r})", entry[1], entry[2]))

    def _resolve_applications(self, candidates: dict[str, list[tuple[int, ...]]], template_rows: tuple[str, ...]):
        """Rows fixed by their own total, then ambiguous rows narrowed by the column identities."""
        chosen = {code: c[0] for code, c in candidates.items() if len(c) == 1}
        used = {code: ["app_applicant_sum"] for code in chosen}
        reasons: dict[str, str] = {}
        for code, c in candidates.items():
            if not c:
                reasons[code] = "no segmentation satisfies the identities (app_applicant_sum)"
            elif len(c) > MAX_SPLITS:
                reasons[code] = f"ambiguous: more than {MAX_SPLITS} segmentations fit"
            elif len(c) > 1:
                reasons[code] = f"ambiguous: {len(c)} segmentations fit app_applicant_sum"
        results = [r for r in template_rows if self.reg.app_row_groups.get(r)]
        identities = {
            "app_balance": ([("new_received", 1), ("carried_over", 1), ("total_handled", -1), ("carried_forward", -1)]),
            "app_results_sum": [("total_handled", 1)] + [(r, -1) for r in results],
        }
        # an identity helps only when every row it names has at least one split
        usable = {name: terms for name, terms in identities.items()
                  if all(1 <= len(candidates.get(r, [])) <= MAX_SPLITS for r, _ in terms)}
        open_rows = sorted({r for terms in usable.values() for r, _ in terms
                            if 1 < len(candidates[r]) <= MAX_SPLITS})
        if not open_rows:
            return chosen, reasons, used
        size = 1
        for r in open_rows:
            size *= len(candidates[r])
        if size > MAX_COMBINATIONS:
            for r in open_rows:
                reasons[r] += f"; {size} combinations across rows are too many to check"
            return chosen, reasons, used
        names = [n for n, terms in usable.items() if any(r in open_rows for r, _ in terms)]
        solutions: list[tuple[tuple[int, ...], ...]] = []
        for combo in itertools.product(*(candidates[r] for r in open_rows)):
            pick = dict(zip(open_rows, combo, strict=True))
            if all(self._holds(usable[n], pick, chosen) for n in names):
                solutions.append(combo)
        if not solutions:
            for r in open_rows:
                reasons[r] += f"; no combination satisfies {', '.join(names)}"
            return chosen, reasons, used
        for i, r in enumerate(open_rows):
            distinct = {s[i] for s in solutions}
            if len(distinct) == 1:
                chosen[r] = distinct.pop()
                used[r] = ["app_applicant_sum", *names]
            else:
                reasons[r] = f"ambiguous: {len(distinct)} segmentations fit app_applicant_sum, {', '.join(names)}"
        return chosen, reasons, used

    @staticmethod
    def _holds(terms, pick, chosen) -> bool:
        rows = [(pick.get(r) or chosen.get(r), sign) for r, sign in terms]
        return all(sum(values[c] * sign for values, sign in rows) == 0 for c in range(len(APPLICANT_ORDER)))

    # --- table 4 ---------------------------------------------------------------------------
    def reviews(self, rows: list[tuple[str, str, str]]) -> None:
        if not rows:
            return
        (label, raw, locator), extra = rows[0], rows[1:]
        for other in extra:
            self._unmapped("reviews_litigation", *other[:2], other[2], "second data row for table 4")
        self.report.templates["reviews_litigation"] = "common"
        run = normalize_run(raw)
        splits = review_splits(run) if len(run) <= MAX_RUN else []
        reason = None
        if not splits:
            reason = "no segmentation satisfies the identities (rl_sum)"
        elif len(splits) > MAX_SPLITS:
            reason = f"ambiguous: more than {MAX_SPLITS} segmentations fit rl_sum"
        elif len(splits) > 1:
            reason = f"ambiguous: {len(splits)} segmentations fit rl_sum"
        for b, block in enumerate(BLOCK_ORDER):
            for r, result in enumerate(RESULT_ORDER):
                base = dict(table_code="reviews_litigation", row_code=block, col_code=result,
                            template_version="common", label_text=label or None)
                if reason:
                    self.report.facts.append(_missing(base, f"{reason} (run {raw!r})", raw, locator))
                else:
                    value = splits[0][b * len(RESULT_ORDER) + r]
                    self.report.facts.append(_inferred(base, str(value), f"segmented from {raw!r} by rl_sum", locator))


def segment_flat(doc: Document, registry: Registry | None = None) -> MappedReport:
    """Canonical facts of a ``text_flat`` document, its digit runs split by the identities."""
    registry = registry or load_registry()
    seg = _Segmenter(doc, registry)
    by_section: dict[str, list[tuple[str, str, str]]] = {"s2": [], "s3": [], "s4": []}
    for table in doc.tables:
        by_section.setdefault(table.section_code or "", []).extend(_flat_rows(table))
    seg.proactive(by_section["s2"])
    seg.applications(by_section["s3"])
    seg.reviews(by_section["s4"])
    return seg.report

