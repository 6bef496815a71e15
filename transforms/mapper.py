"""Map cell grids to the canonical long-form rows of the template registry (reference §3–§5).

Rows are recognised by their labels (never by position alone): each grid row is split into its
label cells and its value cells, the label is matched against the registry, and the values are
read in the column order of the matched header or of the template. Every expected cell of a
table that was found ends up as a fact: read, or ``missing`` with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from common.document import Cell, Document, Table
from common.text import compact
from common.values import is_value_slot, parse_value, unit_from_label
from transforms.columns import ColumnMap
from transforms.facts import Fact, MappedReport, UnmappedRow, facts_of_choice, missing
from transforms.identities import instances
from transforms.labels import Candidates, best_match, label_tails, normalize_label
from transforms.readings import RowInput, cell_readings
from transforms.registry import Registry, load_registry
from transforms.solve import solve
from transforms.versions import applications_version, proactive_version

__all__ = ["Fact", "MappedReport", "UnmappedRow", "map_document", "map_tables", "split_row"]

_ARTICLE = re.compile(r"第二十条第[(（]?([一二三四五六七八九十]+)[)）]?项")
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@dataclass(slots=True)
class Row:
    labels: list[Cell]
    values: list[Cell]
    locator: str

    @property
    def label_texts(self) -> list[str]:
        return [c.text for c in self.labels]

    @property
    def norm_labels(self) -> list[str]:
        return [normalize_label(c.text) for c in self.labels]


def split_row(cells: list[Cell]) -> Row:
    """Label cells are the non-empty text cells up to the last one; value cells follow.

    A garbled number (`1e308`, `12,34,5`) stands in a value slot, not a label. Text after two or
    more filled value slots is a note column (`备注`, a cell spanning the rows), not a label: it stays
    among the values, where it reads as text or as an extra cell.
    """
    last_label = -1
    filled = 0  # non-blank value slots since the last label
    for i, cell in enumerate(cells):
        text = cell.text.strip()
        if not text:
            continue
        if is_value_slot(text):
            filled += 1
        elif filled < 2:
            last_label, filled = i, 0
    labels = [c for c in cells[: last_label + 1] if c.text.strip()]
    values = cells[last_label + 1 :]
    locator = cells[0].locator if cells else ""
    return Row(labels, values, locator)


def _article_code(row: Row) -> str | None:
    for text in row.label_texts:
        code = _article_of_label(text)
        if code:
            return code
    return None


@lru_cache(maxsize=65536)
def _article_of_label(text: str) -> str | None:
    """``第二十条第（一）项`` → ``art20_1`` (labels repeat across reports: cached)."""
    match = _ARTICLE.search(re_space(text))
    if not match:
        return None
    numeral = match.group(1)
    number = _NUMERALS.get(numeral) if len(numeral) == 1 else 10 + _NUMERALS.get(numeral[-1], 0)
    return f"art20_{number}"


def re_space(text: str) -> str:
    """NFKC, simplified characters (第二十條第（九）項), no spaces."""
    return compact(text)


@dataclass(frozen=True)
class _RegistryCandidates:
    metrics: dict[str, Candidates]  # template version -> table-2 column metrics
    items: Candidates  # table-2 rows of every version
    outcomes: Candidates  # table-3 rows


_CANDIDATES: dict[int, tuple[Registry, _RegistryCandidates]] = {}


def _candidates(registry: Registry) -> _RegistryCandidates:
    """The match candidates of a registry, built once (registries live for the process)."""
    cached = _CANDIDATES.get(id(registry))
    if cached is None or cached[0] is not registry:
        items: dict[str, list[str]] = {}
        for template in registry.templates.values():
            for item in template.items:
                items.setdefault(item.code, []).extend(item.labels)
        built = _RegistryCandidates(
            metrics={version: Candidates({k: list(v) for k, v in t.metrics.items()})
                     for version, t in registry.templates.items()},
            items=Candidates(items),
            outcomes=Candidates({code: list(labels) for code, labels in registry.app_rows.items()}),
        )
        cached = _CANDIDATES[id(registry)] = (registry, built)
    return cached[1]


class _TableMapper:
    """Row-by-row state machine over one extracted table."""

    def __init__(self, registry: Registry, report: MappedReport):
        self.reg = registry
        self.cands = _candidates(registry)
        self.report = report
        self.current: str | None = None  # table_code the rows belong to
        self.article: str | None = None
        self.header_metrics: list[dict[str, str]] | None = None  # per header cell: version -> metric_code
        self.header_units: list[str | None] = []
        self.seen: dict[tuple[str, str], str] = {}  # (table, row_code) -> locator
        self.app_rows: dict[str, Row] = {}
        self.rl_row: Row | None = None
        self.pro_rows: list[tuple] = []  # (item_code, row, article, header metrics, header units)
        self.pro_versions: dict[str, int] = {}
        self.waiting: int | None = None  # the table-2 row whose values may stand on the next row
        self.aligned = False  # the current table's columns are real (transforms/columns.py)
        self.columns = ColumnMap()  # where the current table's header puts table 3's columns
        self.app_columns: dict[str, ColumnMap | None] = {}  # the column map each table-3 row was read under

    def start_table(self, table: Table) -> None:
        self.current = None
        self.aligned = table.aligned
        self.columns = ColumnMap()

    # --- classification -------------------------------------------------------------
    def _is_pro_header(self, row: Row) -> bool:
        """信息内容 and the metric labels; single-spaced copies write them as one cell (信息内容 本年收费金额…)."""
        if not row.norm_labels:
            return False
        first = row.norm_labels[0]
        return first in self.reg.proactive_header or (
            len(row.labels[0].text.split()) > 1 and normalize_label(row.labels[0].text.split()[0])
            in self.reg.proactive_header)

    def _has_marker(self, row: Row, markers: tuple[str, ...]) -> bool:
        return any(m and m in label for label in row.norm_labels for m in markers)

    def feed(self, row: Row) -> None:
        if not row.labels and not any(c.text.strip() for c in row.values):
            return
        article = _article_code(row)
        if article:
            self.current, self.article, self.header_metrics = "proactive", article, None
            return
        if self._is_pro_header(row):
            self.current = "proactive"
            self._read_pro_header(row)
            return
        numbers = [c for c in row.values if parse_value(c.text).status == "reported"]
        if not row.labels and self._is_rl_values(row, numbers):
            self._take_rl(row)
            return
        if not row.labels and numbers and self._values_for_waiting_item(row):
            return
        if row.labels and not row.values or not numbers and not any(c.text.strip() for c in row.values):
            if self.waiting is not None and self._metric_header_for_waiting_item(row):
                return
            if row.values and self._take_blank_row(row):
                return
            if not row.values and self.current == "proactive" and self._take_pro(row):
                return  # an item's label on a row of its own: its values may stand on a row below (waiting)
            # a header row: it names the table that follows
            if self._has_marker(row, self.reg.rl_header_markers) and self._has_marker(
                row, tuple(v for vs in self.reg.rl_results.values() for v in vs) + ("行政诉讼",)
            ):
                self.current = "reviews_litigation"
            elif self._has_marker(row, self.reg.app_header_markers):
                self.current = "applications"
                if self.aligned:
                    self.columns.note_header(row.labels, self.reg.app_columns)
            return
        if self.current == "proactive" or (self.current is None and self._match_item(row)):
            if self._take_pro(row):
                return
        # a table 3 label is taken under any header: converters put headers above rows they do not
        # belong to (reference §8), and the row's own label says which table it is
        if self._take_app(row):
            self.current = "applications"
            return
        if self.current == "reviews_litigation" and self._is_rl_values(row, numbers):
            self._take_rl(row)
            return
        self._unmapped(row, "label not in the template")

    def _is_rl_values(self, row: Row, numbers: list[Cell]) -> bool:
        """Table 4's data row: ten numbers or more, or under table 4's header a row of value slots (numbers,
        blank cells, placeholders) as wide as the table, some of them numbers (zeros published empty)."""
        if len(numbers) >= 10:
            return True
        width = len(self.reg.block_codes) * len(self.reg.result_codes)
        slots = [c for c in row.values if is_value_slot(c.text) or not c.text.strip()]
        return self.current == "reviews_litigation" and bool(numbers) and len(slots) >= width - 1

    # --- a table-2 label row whose values stand on a row of their own (converter exports) -----------
    def _values_for_waiting_item(self, row: Row) -> bool:
        """An unlabelled row of values right after an item row that printed none (``| 行政许可 | |`` then
        ``| 本年处理决定数量 | |`` then ``| 2293 | |``): the values are that item's."""
        if self.waiting is None or self.current != "proactive":
            return False
        code, item_row, article, header, units = self.pro_rows[self.waiting]
        self.pro_rows[self.waiting] = (code, Row(item_row.labels, row.values, item_row.locator), article,
                                       header, units)
        self.waiting = None
        return True

    def _metric_header_for_waiting_item(self, row: Row) -> bool:
        """A row naming the waiting item's metrics (本年收费金额（单位：万元）): their order and units."""
        metrics, units = self._metrics_of(row.labels)
        if not metrics:
            return False
        code, item_row, article, _, _ = self.pro_rows[self.waiting]
        self.pro_rows[self.waiting] = (code, item_row, article, metrics, units)
        self._vote(metrics)
        return True

    def _vote(self, metrics: list[dict[str, str]]) -> None:
        """Each header cell votes for every version whose metric label it names best."""
        for cell in metrics:
            for version in cell:
                self.pro_versions[version] = self.pro_versions.get(version, 0) + 1

    def _take_blank_row(self, row: Row) -> bool:
        """A table 2 or 3 row whose value cells are all blank (``&nbsp;``: not filled, reference §7).

        Its cells become ``blank`` facts rather than the row being read as a header and lost.
        Header rows (column labels such as 总计, 其他) are never taken.
        """
        columns = {v for variants in self.reg.app_columns.values() for v in variants}
        if any(label in columns for label in row.norm_labels):
            return False
        if self.current == "proactive":
            return self._take_pro(row)
        if self.current == "applications":
            return self._take_app(row)
        return False

    def _unmapped(self, row: Row, reason: str) -> None:
        self.report.unmapped.append(
            UnmappedRow(self.current, " | ".join(row.label_texts), " | ".join(c.text for c in row.values),
                        row.locator, reason)
        )

    # --- table 2 --------------------------------------------------------------------
    def _read_pro_header(self, row: Row) -> None:
        first = row.labels[0]
        spaced = [Cell(first.row, first.col, part, locator=first.locator) for part in first.text.split()[1:]]
        metrics, units = self._metrics_of(spaced + row.labels[1:])
        self._vote(metrics)
        self.header_metrics = metrics or None
        self.header_units = units

    def _metrics_of(self, cells: list[Cell]) -> tuple[list[dict[str, str]], list[str | None]]:
        """Of each header cell that names a table-2 metric: {version: metric} for the versions whose label it
        matches best (本年废止件数 is 2021's and any later version's alike), and the unit it names."""
        metrics: list[dict[str, str]] = []
        units: list[str | None] = []
        for cell in cells:
            scored = {}
            for version in self.reg.templates:
                code, score = best_match(cell.text, self.cands.metrics[version], 0.75)
                if code:
                    scored[version] = (code, score)
            if scored:
                best = max(score for _, score in scored.values())
                metrics.append({version: code for version, (code, score) in scored.items() if score == best})
                units.append(unit_from_label(cell.text))
        return metrics, units

    def _match_item(self, row: Row) -> str | None:
        for label in reversed(row.label_texts):
            code, _ = best_match(label, self.cands.items, 0.75)
            if code:
                return code
        return None

    def _take_pro(self, row: Row) -> bool:
        code = self._match_item(row)
        if not code:
            return False
        self.current = "proactive"
        self.pro_rows.append((code, row, self.article, self.header_metrics, self.header_units))
        # an item row without a printed value may have its values on a row of their own below it
        self.waiting = len(self.pro_rows) - 1 if not any(c.text.strip() for c in row.values) else None
        return True

    def finish_proactive(self, text: str | None = None) -> None:
        if not self.pro_rows:
            return
        rows = [(code, sum(1 for c in row.values if c.text.strip())) for code, row, *_ in self.pro_rows]
        version = proactive_version(self.reg, rows, self.pro_versions, text)
        template = self.reg.templates[version]
        self.report.templates["proactive"] = version
        found: set[str] = set()
        inputs, bases = [], []
        for code, row, article, header, units in self.pro_rows:
            item = template.item(code)
            if item is None:
                self._unmapped(row, f"item {code} is not part of the {version} template")
                continue
            if code in found:
                self._unmapped(row, f"duplicate row for {code}")
                continue
            found.add(code)
            metrics = list(item.metrics)
            unit_hints: list[str | None] = [None] * len(metrics)
            if header and all(version in cell for cell in header):
                header_codes = [cell[version] for cell in header]
                if set(metrics) <= set(header_codes):
                    unit_hints = [units[header_codes.index(m)] if header_codes.index(m) < len(units) else None
                                  for m in metrics]
                    order = sorted(range(len(metrics)), key=lambda i: header_codes.index(metrics[i]))
                    metrics = [metrics[i] for i in order]
                    unit_hints = [unit_hints[i] for i in order]
            label = " ".join(row.label_texts)
            inputs.append(self._row_input("proactive", [(code, m) for m in metrics], row, label,
                                          money={i for i, m in enumerate(metrics) if m in template.money_metrics},
                                          unit_hints=tuple(unit_hints)))
            bases.append([dict(table_code="proactive", row_code=code, col_code=m, template_version=version,
                               article_code=item.article, label_text=label) for m in metrics])
            if article and article != item.article:
                self.report.warnings.append(f"{code} found under {article}, template says {item.article}")
        self._emit(inputs, bases, instances(self.reg, template, "proactive"))
        for item in template.items:
            if item.code not in found:
                for metric in item.metrics:
                    base = dict(table_code="proactive", row_code=item.code, col_code=metric,
                                template_version=version, article_code=item.article, label_text=None)
                    self.report.facts.append(missing(base, "row not found in table 2"))

    def _row_input(self, table: str, targets: list[tuple[str, str]], row: Row, label: str,
                   money: set[int] | None = None, unit_hints: tuple = ()) -> RowInput:
        readings, problem = cell_readings(row.values, len(targets))
        raw = " | ".join([c.text for c in row.values])
        return RowInput(table, tuple(targets), readings, label, row.locator, raw, problem,
                        frozenset(money or ()), unit_hints)

    @staticmethod
    def _add_positional_reading(row_input: RowInput, row: Row, columns: ColumnMap | None,
                                codes: tuple[str, ...]) -> None:
        """The row read by where its cells stand under the header: among readings the identities find equally
        good, the layout's own word on where a cell stands wins (cost 0)."""
        if columns is None or not columns.complete(codes):
            return
        reading = columns.reading(row.values, codes)
        if reading is None or any(r.pieces == reading.pieces and r.cost == 0 for r in row_input.readings):
            return
        row_input.readings[:] = [r for r in row_input.readings if r.pieces != reading.pieces] + [reading]
        row_input.problem = row_input.problem or "cells not where the header's columns are"

    def _emit(self, inputs: list[RowInput], bases: list[list[dict]], table_instances) -> None:
        """Choose each row's reading by the table's identities and write its facts."""
        for choice, row_bases in zip(solve(inputs, table_instances), bases, strict=True):
            self.report.facts.extend(facts_of_choice(choice, row_bases))
            if choice.kind not in (None, "as_printed"):
                self.report.rereadings.append(choice.row.label or choice.row.table)

    # --- table 3 --------------------------------------------------------------------
    def _match_outcome(self, row: Row) -> str | None:
        candidates = self.cands.outcomes
        texts = row.label_texts
        attempts = [texts[-1]] if texts else []
        if len(texts) >= 2:
            attempts.append(texts[-2] + texts[-1])
            attempts.append("".join(texts))
        attempts += label_tails(texts[-1])[1:] if texts else []
        for label in attempts:
            if normalize_label(label) in self.reg.app_group_labels and normalize_label(label) != "其他处理":
                continue
            code, _ = best_match(label, candidates, 0.7)
            if code:
                return code
        return None

    def _take_app(self, row: Row) -> bool:
        code = self._match_outcome(row)
        if not code:
            return False
        if code in self.app_rows:
            self._unmapped(row, f"duplicate row for {code}")
            return True
        self.app_rows[code] = row
        self.app_columns[code] = ColumnMap(dict(self.columns.ranges)) if self.aligned else None
        return True

    def finish_applications(self) -> None:
        if not self.app_rows:
            return
        version = applications_version(self.reg, self.app_rows)
        self.report.templates["applications"] = version
        template = self.reg.templates[version]
        for code in self.app_rows:
            if code not in template.application_rows:
                self._unmapped(self.app_rows[code], f"row {code} is not part of the {version} template")
        inputs, bases = [], []
        applicants = self.reg.applicant_codes
        for code in template.application_rows:
            group = self.reg.app_row_groups.get(code)
            row = self.app_rows.get(code)
            label = " ".join(row.label_texts) if row else None
            row_bases = [dict(table_code="applications", row_code=code, col_code=applicant, template_version=version,
                              outcome_group=group, label_text=label) for applicant in applicants]
            if row is None:
                self.report.facts.extend(missing(base, "row not found in table 3") for base in row_bases)
                continue
            row_input = self._row_input("applications", [(code, a) for a in applicants], row, label)
            self._add_positional_reading(row_input, row, self.app_columns.get(code), applicants)
            inputs.append(row_input)
            bases.append(row_bases)
        self._emit(inputs, bases, instances(self.reg, template, "applications"))

    # --- table 4 --------------------------------------------------------------------
    def _take_rl(self, row: Row) -> None:
        if self.rl_row is not None:
            self._unmapped(row, "second data row for table 4")
            return
        self.current = "reviews_litigation"
        self.rl_row = row

    def finish_reviews(self) -> None:
        if self.rl_row is None:
            return
        version = self.reg.table_version("reviews_litigation", next(iter(self.reg.versions)))
        self.report.templates["reviews_litigation"] = version
        row = self.rl_row
        label = " ".join(row.label_texts) or None
        targets = [(block, result) for block in self.reg.block_codes for result in self.reg.result_codes]
        bases = [dict(table_code="reviews_litigation", row_code=block, col_code=result, template_version=version,
                      label_text=label) for block, result in targets]
        template = next(iter(self.reg.templates.values()))
        self._emit([self._row_input("reviews_litigation", targets, row, label or "")], [bases],
                   instances(self.reg, template, "reviews_litigation"))


def map_tables(tables: list[Table], registry: Registry | None = None, text: str | None = None) -> MappedReport:
    """Canonical facts of all statistical tables of one document."""
    registry = registry or load_registry()
    report = MappedReport()
    mapper = _TableMapper(registry, report)
    for table in tables:
        mapper.start_table(table)
        for cells in table.row_views():
            mapper.feed(split_row(cells))
    mapper.finish_proactive(text)
    mapper.finish_applications()
    mapper.finish_reviews()
    return report


def map_document(doc: Document, registry: Registry | None = None) -> MappedReport:
    """Map a document's tables, each by its shape: cell grids row by row here, runs of values written
    together cut by the identities (transforms/segment.py); narrative-only documents give no facts."""
    from transforms.segment import segment_flat

    report = map_tables([t for t in doc.tables if not t.runs], registry, doc.text)
    runs = [t for t in doc.tables if t.runs]
    if runs:
        cut = segment_flat(Document(doc.layout, doc.text, runs), registry)
        new = {table for table in cut.templates if table not in report.templates}
        report.facts += [f for f in cut.facts if f.table_code in new]
        report.unmapped += cut.unmapped
        report.templates.update({table: cut.templates[table] for table in new})
    return report
