"""Map flattened rows (a label and a run of values written together) to facts: the runs are cut by
the identities (reference §6, §8) and the cut the identities leave is chosen by the same engine as
every other reading (transforms/readings.py, transforms/solve.py).

A flattened row is a label followed by one run such as ``190120000202`` (seven values written
together). Table 3 runs are cut so that 总计 equals the sum of the six applicant columns, then rows
with several cuts are narrowed together by app_balance and app_results_sum; table 4's run so that
each block's 总计 is the sum of its four results. Table 2 has no identity: a cut is accepted only
when it is the only one that obeys the value formats. Every value found this way is ``inferred``;
when several cuts fit, or none, the cells are ``missing`` with the reason. Nothing is guessed.
"""

from __future__ import annotations

from common.document import Document, Table
from common.text import compact
from common.values import RUN_PIECES, unit_from_label
from transforms.facts import MappedReport, UnmappedRow, facts_of_choice, missing
from transforms.identities import Instance, instances
from transforms.labels import best_match, label_tails, normalize_label
from transforms.readings import MAX_RUN, RowInput, run_tokens, split_readings, sum_rules
from transforms.registry import Registry, Template, load_registry
from transforms.solve import solve
from transforms.versions import applications_version, proactive_version

# --- labels ------------------------------------------------------------------------------------
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
    for tail in label_tails(label):
        norm = normalize_label(tail)
        if norm in registry.app_group_labels and norm != "其他处理":
            continue
        for table_code, candidates, threshold in (("proactive", items, 0.75), ("applications", rows, 0.7)):
            code, score = best_match(tail, candidates, threshold)
            if code and (best is None or score > best[0]):
                best = (score, table_code, code)
    return (best[1], best[2]) if best else None


def is_rl_label(label: str, registry: Registry | None = None) -> bool:
    """An empty label or a table-4 header glued to the run."""
    registry = registry or load_registry()
    norm = normalize_label(label)
    markers = (*registry.rl_header_markers, *(v for vs in registry.rl_blocks.values() for v in vs),
               *(v for vs in registry.rl_results.values() for v in vs if v != "总计"))
    return not norm or any(marker in norm for marker in markers)


# --- cutting runs ------------------------------------------------------------------------------
def piece_kind(template: Template, metric: str) -> str:
    """Which value grammar a table-2 cell's piece follows (common/values.py RUN_PIECES)."""
    if metric in template.money_metrics:
        return "money"
    return "signed" if metric in template.signed_metrics else "count"


def run_input(table: str, targets: list[tuple[str, str]], run: str, label: str, locator: str,
              kinds: list[str], local: list[Instance], money: set[int] | None = None,
              unit_hints: tuple = ()) -> RowInput:
    """A flattened row and its cuts: every split of the run into the targets' value grammars that
    keeps the row's own identities (a total after its parts)."""
    rules = sum_rules(targets, local, lambda i: kinds[i] == "count")
    size = len("".join(run_tokens(run)))
    names = sorted({inst.name for inst in local})
    problem = None
    readings = split_readings(run, [RUN_PIECES[k] for k in kinds], rules, locator=locator) if size <= MAX_RUN else []
    if size > MAX_RUN:
        problem = f"run of {size} characters is too long to segment"
    elif not readings:
        problem = (f"no segmentation satisfies the identities ({', '.join(names)})" if rules
                   else "no segmentation fits the value formats")
    return RowInput(table, tuple(targets), readings, label, locator, run, problem, frozenset(money or ()),
                    unit_hints, used=tuple(names) if rules else (), is_run=True)


def row_splits(registry: Registry, table: str, run: str, version: str | None = None) -> list[tuple]:
    """The cuts of one table-3 or table-4 run as tuples of pieces (for inspection and tests)."""
    template = registry.templates[version or registry.versions[-1]]
    if table == "applications":
        code = template.application_rows[0]
        targets = [(code, a) for a in registry.applicant_codes]
    else:
        targets = [(b, r) for b in registry.block_codes for r in registry.result_codes]
    local = [i for i in instances(registry, template, table) if all(k in targets for k in i.keys)]
    row = run_input(table, targets, run, "", "", ["count"] * len(targets), local)
    return [tuple(p.text for p in reading.pieces) for reading in row.readings]


# --- the tables --------------------------------------------------------------------------------
def _money_unit(text: str, labels: tuple[str, ...]) -> str | None:
    flat = compact(text)
    for label in labels:
        at = flat.find(label)
        if at >= 0:
            unit = unit_from_label(flat[at: at + len(label) + 12])
            if unit:
                return unit
    return None


def _flat_rows(table: Table) -> list[tuple[str, str, str]]:
    """(label, run, locator) of each row of a flattened table."""
    rows = []
    for cells in table.rows():
        if not cells:
            continue
        label = cells[0].text if len(cells) > 1 else ""
        rows.append((label, cells[-1].text, cells[-1].locator))
    return rows


class _Segmenter:
    def __init__(self, doc: Document, registry: Registry):
        self.doc = doc
        self.reg = registry
        self.report = MappedReport()

    def _unmapped(self, table_code: str | None, label: str, run: str, locator: str, reason: str) -> None:
        self.report.unmapped.append(UnmappedRow(table_code, label, run, locator, reason))

    def _matched(self, table: str, rows: list[tuple[str, str, str]]) -> dict[str, tuple[str, str, str]]:
        matched: dict[str, tuple[str, str, str]] = {}
        for label, run, locator in rows:
            hit = match_row_label(label, self.reg)
            if not hit or hit[0] != table:
                self._unmapped(table, label, run, locator, "label not in the template")
            elif hit[1] in matched:
                self._unmapped(table, label, run, locator, f"duplicate row for {hit[1]}")
            else:
                matched[hit[1]] = (label, run, locator)
        return matched

    def _emit(self, inputs: list[RowInput], bases: list[list[dict]], table_instances: list[Instance]) -> None:
        for choice, row_bases in zip(solve(inputs, table_instances), bases, strict=True):
            self.report.facts.extend(facts_of_choice(choice, row_bases))

    def proactive(self, rows: list[tuple[str, str, str]]) -> None:
        matched = self._matched("proactive", rows)
        if not matched:
            return
        version = proactive_version(self.reg, [(code, 0) for code in matched], None, self.doc.text)
        template = self.reg.templates[version]
        self.report.templates["proactive"] = version
        inputs, bases = [], []
        for item in template.items:
            entry = matched.pop(item.code, None)
            metrics = list(item.metrics)
            row_bases = [dict(table_code="proactive", row_code=item.code, col_code=m, template_version=version,
                              article_code=item.article, label_text=entry[0] if entry else None) for m in metrics]
            if entry is None:
                self.report.facts.extend(missing(b, "row not found in table 2") for b in row_bases)
                continue
            label, run, locator = entry
            kinds = [piece_kind(template, m) for m in metrics]
            money = {i for i, k in enumerate(kinds) if k == "money"}
            hints = tuple(_money_unit(self.doc.text, template.metrics[m]) if i in money else None
                          for i, m in enumerate(metrics))
            inputs.append(run_input("proactive", [(item.code, m) for m in metrics], run, label, locator, kinds, [],
                                    money, hints))
            bases.append(row_bases)
        self._emit(inputs, bases, [])
        for code, (label, run, locator) in matched.items():
            self._unmapped("proactive", label, run, locator, f"item {code} is not part of the {version} template")

    def applications(self, rows: list[tuple[str, str, str]]) -> None:
        found = self._matched("applications", rows)
        if not found:
            return
        version = applications_version(self.reg, found)
        self.report.templates["applications"] = version
        template = self.reg.templates[version]
        for code in set(found) - set(template.application_rows):
            label, run, locator = found.pop(code)
            self._unmapped("applications", label, run, locator, f"row {code} is not part of the {version} template")
        table_instances = instances(self.reg, template, "applications")
        inputs, bases = [], []
        for code in template.application_rows:
            entry = found.get(code)
            row_bases = [dict(table_code="applications", row_code=code, col_code=a, template_version=version,
                              outcome_group=self.reg.app_row_groups.get(code), label_text=entry[0] if entry else None)
                         for a in self.reg.applicant_codes]
            if entry is None:
                self.report.facts.extend(missing(b, "row not found in table 3") for b in row_bases)
                continue
            targets = [(code, a) for a in self.reg.applicant_codes]
            local = [i for i in table_instances if all(k[0] == code for k in i.keys)]
            inputs.append(run_input("applications", targets, entry[1], entry[0], entry[2],
                                    ["count"] * len(targets), local))
            bases.append(row_bases)
        self._emit(inputs, bases, table_instances)

    def reviews(self, rows: list[tuple[str, str, str]]) -> None:
        if not rows:
            return
        (label, run, locator), extra = rows[0], rows[1:]
        for other in extra:
            self._unmapped("reviews_litigation", *other[:2], other[2], "second data row for table 4")
        template = next(iter(self.reg.templates.values()))
        version = self.reg.table_version("reviews_litigation", template.version)
        self.report.templates["reviews_litigation"] = version
        targets = [(b, r) for b in self.reg.block_codes for r in self.reg.result_codes]
        table_instances = instances(self.reg, template, "reviews_litigation")
        bases = [dict(table_code="reviews_litigation", row_code=b, col_code=r, template_version=version,
                      label_text=label or None) for b, r in targets]
        row = run_input("reviews_litigation", targets, run, label, locator, ["count"] * len(targets), table_instances)
        self._emit([row], [bases], table_instances)


def segment_flat(doc: Document, registry: Registry | None = None) -> MappedReport:
    """Canonical facts of a flattened document, its runs cut by the identities."""
    registry = registry or load_registry()
    seg = _Segmenter(doc, registry)
    sections = {section: table for table, section in registry.tables.items()}
    by_table: dict[str, list[tuple[str, str, str]]] = {table: [] for table in registry.tables}
    for table in doc.tables:
        code = sections.get(table.section_code or "")
        if code:
            by_table[code].extend(_flat_rows(table))
    seg.proactive(by_table["proactive"])
    seg.applications(by_table["applications"])
    seg.reviews(by_table["reviews_litigation"])
    return seg.report
