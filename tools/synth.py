"""Deterministic synthetic corpus of annual reports with ground truth (benchmarks, property tests).

``generate_corpus`` writes N reports in four layouts (text_tab, text_pipe, html, docx; pdf on request)
and ``ground_truth.parquet`` with one row per canonical cell (codes of reference §3–§5), plus
``manifest.json``. Every report is built from ``random.Random(f"{seed}:{index}")`` so the same seed
gives the same bytes. Realistic noise (reference §7–§8) is applied per report at modest rates and
recorded in the ``noise`` column. ``hostile_samples`` writes malformed and adversarial files.
"""

from __future__ import annotations

import json
import math
import queue
import random
import struct
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from tools.synth_render import (
    Block,
    LCell,
    LTable,
    render_docx,
    render_html,
    render_text_pipe,
    render_text_tab,
    split_table,
)

GENERATOR_VERSION = "synth-1.0"
LAYOUTS = ("text_tab", "text_pipe", "html", "docx", "pdf")
EXTENSIONS = {"text_tab": "txt", "text_pipe": "txt", "html": "html", "docx": "docx", "pdf": "pdf"}
FILES_PER_DIR = 1000
CHUNK_REPORTS = 500  # ground-truth rows are flushed every CHUNK_REPORTS reports

# --------------------------------------------------------------------------- canonical structure

# (article label, [(metric_code, header label)], [(item_code, item label)])
T2_2019 = [
    ("第二十条第（一）项", [("made", "本年新制作数量"), ("published", "本年新公开数量"),
                      ("total_published", "对外公开总数量")],
     [("rules", "规章"), ("normative_docs", "规范性文件")]),
    ("第二十条第（五）项", [("prior_items", "上一年项目数量"), ("items_change", "本年增/减"),
                      ("decisions", "处理决定数量")],
     [("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")]),
    ("第二十条第（六）项", [("prior_items", "上一年项目数量"), ("items_change", "本年增/减"),
                      ("decisions", "处理决定数量")],
     [("penalties", "行政处罚"), ("coercion", "行政强制")]),
    ("第二十条第（八）项", [("prior_items", "上一年项目数量"), ("items_change", "本年增/减")],
     [("fees", "行政事业性收费")]),
    ("第二十条第（九）项", [("procurement_items", "采购项目数量"), ("procurement_amount", "采购总金额")],
     [("procurement", "政府集中采购")]),
]
T2_2021 = [
    ("第二十条第（一）项", [("issued", "本年制发件数"), ("repealed", "本年废止件数"), ("in_force", "现行有效件数")],
     [("rules", "规章"), ("normative_docs", "行政规范性文件")]),
    ("第二十条第（五）项", [("decisions", "本年处理决定数量")], [("licensing", "行政许可")]),
    ("第二十条第（六）项", [("decisions", "本年处理决定数量")], [("penalties", "行政处罚"), ("coercion", "行政强制")]),
    ("第二十条第（八）项", [("fee_amount", "本年收费金额（单位：万元）")], [("fees", "行政事业性收费")]),
]
T2 = {"2019": T2_2019, "2021": T2_2021}

APPLICANTS = [("natural_person", "自然人"), ("commercial", "商业企业"), ("research", "科研机构"),
              ("social_welfare", "社会公益组织"), ("legal_services", "法律服务机构"), ("other_org", "其他"),
              ("total", "总计")]
T3_TOP = [("new_received", "一、本年新收政府信息公开申请数量"), ("carried_over", "二、上年结转政府信息公开申请数量")]
_WITHHELD = [("withheld_state_secret", "1.属于国家秘密"), ("withheld_prohibited_by_law", "2.其他法律行政法规禁止公开"),
             ("withheld_security_stability", "3.危及“三安全一稳定”"), ("withheld_third_party", "4.保护第三方合法权益"),
             ("withheld_internal_affairs", "5.属于三类内部事务信息"), ("withheld_process_info", "6.属于四类过程性信息"),
             ("withheld_enforcement_file", "7.属于行政执法案卷"), ("withheld_inquiry", "8.属于行政查询事项")]
_UNAVAILABLE = [("unavailable_not_held", "1.本机关不掌握相关政府信息"),
                ("unavailable_needs_creation", "2.没有现成信息需要另行制作"),
                ("unavailable_unclear", "3.补正后申请内容仍不明确")]
_NOT_PROCESSED = [("rejected_petition", "1.信访举报投诉类申请"), ("rejected_duplicate", "2.重复申请"),
                  ("rejected_publication", "3.要求提供公开出版物"), ("rejected_excessive", "4.无正当理由大量反复申请"),
                  ("rejected_confirmation", "5.要求行政机关确认或重新出具已获取信息")]
_OTHER_2021 = [("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
               ("other_unpaid_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
               ("other_misc", "3.其他")]
# result blocks: (group label or None, [(outcome_code, label)])
T3_RESULTS = {
    "2019": [(None, [("granted", "（一）予以公开")]),
             (None, [("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）")]),
             ("（三）不予公开", _WITHHELD), ("（四）无法提供", _UNAVAILABLE), ("（五）不予处理", _NOT_PROCESSED),
             (None, [("other", "（六）其他处理")])],
    "2021": [(None, [("granted", "（一）予以公开")]),
             (None, [("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）")]),
             ("（三）不予公开", _WITHHELD), ("（四）无法提供", _UNAVAILABLE), ("（五）不予处理", _NOT_PROCESSED),
             ("（六）其他处理", _OTHER_2021)],
}
T3_TOTAL = ("total_handled", "（七）总计")
T3_BOTTOM = ("carried_forward", "四、结转下年度继续办理")
T3_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T4_BLOCKS = [("admin_review", "行政复议"), ("litigation_direct", "未经复议直接起诉"),
             ("litigation_after_review", "复议后起诉")]
T4_RESULTS = [("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"), ("pending", "尚未审结"),
              ("total", "总计")]


def result_codes(template: str) -> list[str]:
    """Outcome codes of the result rows (those summed into total_handled)."""
    return [code for _, rows in T3_RESULTS[template] for code, _ in rows]


def outcome_codes(template: str) -> list[str]:
    """All outcome codes of table 3 in table order."""
    return ([c for c, _ in T3_TOP] + result_codes(template) + [T3_TOTAL[0], T3_BOTTOM[0]])


def expected_cells(template: str) -> int:
    """Number of canonical cells per report: 198 (2019) or 200 (2021)."""
    t2 = sum(len(metrics) * len(items) for _, metrics, items in T2[template])
    return t2 + len(outcome_codes(template)) * len(APPLICANTS) + len(T4_BLOCKS) * len(T4_RESULTS)


# A report is published by one body: a department of a county-level government, as in the real
# corpus (about 3,000 counties × three dozen departments ≈ the 100,000 bodies that publish), so the
# cross-report checks see about one report per body and year, not thousands.
DEPARTMENTS = [
    "人民政府", "人民政府办公室", "发展和改革局", "教育局", "科学技术局", "工业和信息化局", "公安分局", "民政局",
    "司法局", "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局",
    "水务局", "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局",
    "市场监督管理局", "统计局", "医疗保障局", "城市管理局", "林业局", "体育局", "信访局", "行政审批局",
    "数据资源管理局", "民族宗教事务局", "机关事务管理局", "粮食和物资储备局", "供销合作社",
]


@lru_cache(maxsize=1)
def counties() -> list[tuple[str, str]]:
    """(prefecture, county) names of the current county-level divisions (GB/T 2260), in code order."""
    from transforms.divisions import iter_divisions

    divisions = list(iter_divisions())
    names = {d.code: d.name for d in divisions if d.level == "prefecture"}
    return [(names.get(d.parent_code or "", ""), d.name) for d in divisions
            if d.level == "county" and d.valid_to is None and not d.name.endswith("市辖区")]

# --------------------------------------------------------------------------- noise

# noise kind -> probability per report (a report may get several)
NOISE_RATES: dict[str, float] = {
    "label_spaces": 0.12,       # 商 业 企 业, 总 计, 本年度办 理结果
    "label_lines": 0.12,        # 三、\n本\n年\n度…, 自\n然\n人, 总\n计
    "label_wrap": 0.10,         # 商业\n企业 (wrapped cell text)
    "instruction_text": 0.08,   # 上一年项目数量(指2019年事项数)
    "brackets_halfwidth": 0.12,  # (一) instead of （一）
    "typos": 0.12,              # 危机“三安全一稳定”, 属于行政法案卷, 上年结转政府信息公开数量
    "placeholder_rules": 0.15,  # 规章 cells "-", "—", "/", "无"
    "signed_plus": 0.15,        # +37
    "signed_cn": 0.06,          # 1（增）, 34（减）
    "money_yuan": 0.10,         # 202529227.9元
    "money_bare": 0.05,         # 7004.69 (no unit anywhere)
    "items_unit": 0.08,         # 588项
    "fullwidth": 0.08,          # ０１２ / "　0"
    "thousands_sep": 0.06,      # 1,234
    "blank_totals": 0.10,       # blank 总计 in applications detail rows
    "mso_markup": 0.08,         # html: verbose Word-exported markup
    "table_split": 0.08,        # html/docx: table 3 cut in two at a page break
    "encoding_gbk": 0.08,       # html: GBK bytes, declared gbk
    "bom": 0.05,                # text: UTF-8 with BOM
}
TYPOS = [("withheld_security_stability", "3.危及“三安全一稳定”", "3.危机“三安全一稳定”"),
         ("withheld_enforcement_file", "7.属于行政执法案卷", "7.属于行政法案卷"),
         ("carried_over", "二、上年结转政府信息公开申请数量", "二、上年结转政府信息公开数量"),
         ("new_received", "一、本年新收政府信息公开申请数量", "一、本年新收到政府信息公开申请数量"),
         ("unavailable_needs_creation", "2.没有现成信息需要另行制作", "2.没有现成信息需另行制作")]
PLACEHOLDERS = ["-", "—", "/", "无"]
_FW = str.maketrans("0123456789.", "０１２３４５６７８９．")
_LAYOUT_NOISE = {"table_split": {"html", "docx"}, "mso_markup": {"html"}, "encoding_gbk": {"html"}, "bom": {"text_tab", "text_pipe"}}

# --------------------------------------------------------------------------- report model


class Truth(NamedTuple):
    """Ground truth of one canonical cell."""

    table_code: str
    row_code: str
    col_code: str
    value: float | None
    value_status: str  # reported | placeholder | blank
    unit: str | None
    raw_text: str


@dataclass(slots=True)
class Report:
    """One synthetic report: metadata, cells and the noise applied."""

    index: int
    layout: str
    template: str
    year: int
    publisher: str
    short_name: str
    cells: dict[tuple[str, str, str], tuple] = field(default_factory=dict)  # key -> Truth fields
    noise: list[str] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return f"r{self.index:06d}_{self.layout}_{self.year}.{EXTENSIONS[self.layout]}"

    @property
    def rel_path(self) -> str:
        return f"{self.index // FILES_PER_DIR:04d}/{self.file_name}"

    def v(self, table: str, row: str, col: str) -> float | None:
        return self.cells[(table, row, col)][3]

    def truth(self, table: str, row: str, col: str) -> Truth:
        """The ground truth of one cell."""
        return Truth(*self.cells[(table, row, col)])


def _split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """Split an integer total into parts proportional to weights (randomised remainders)."""
    s = sum(weights)
    if total <= 0 or s <= 0:
        return [0] * len(weights)
    parts = [int(total * w / s) for w in weights]
    rest = total - sum(parts)
    nz = [i for i, w in enumerate(weights) if w > 0]
    for _ in range(rest):
        parts[rng.choice(nz)] += 1
    return parts


def _count(rng: random.Random, hi: int, p_zero: float = 0.3) -> int:
    """A skewed non-negative count: many zeros, log-uniform otherwise."""
    if rng.random() < p_zero:
        return 0
    return int(round(10 ** rng.uniform(0, math.log10(max(hi, 1)))))


class _Builder:
    """Builds one report's values, labels and blocks from its own RNG."""

    def __init__(self, index: int, seed: int, layouts: Sequence[str], templates: Sequence[str]):
        rng = self.rng = random.Random(f"{seed}:{index}")
        layout = layouts[rng.randrange(len(layouts))]
        template = templates[rng.randrange(len(templates))]
        year = rng.choice((2019, 2020)) if template == "2019" else rng.choice((2021, 2022, 2023, 2024))
        places = counties()
        city, district = places[rng.randrange(len(places))]
        department = DEPARTMENTS[rng.randrange(len(DEPARTMENTS))]
        self.r = Report(index, layout, template, year, f"{city}{district}{department}", f"{district}{department}")
        noise = [k for k, p in NOISE_RATES.items() if rng.random() < p and layout in _LAYOUT_NOISE.get(k, {layout})]
        if "signed_cn" in noise and "signed_plus" in noise:
            noise.remove("signed_plus")
        if template == "2021":  # these only have cells in the 2019 table 2
            noise = [k for k in noise if k not in ("signed_plus", "signed_cn", "money_yuan", "money_bare",
                                                   "items_unit", "instruction_text")]
        self.noise = set(noise)
        self.plain = not (self.noise & {"fullwidth", "thousands_sep"})  # integers print as str(v)
        self.r.noise = noise

    # ---- value formatting
    def fmt(self, v: int | float, signed: bool = False) -> str:
        n = self.noise
        if signed and v != 0:
            if "signed_cn" in n:
                s = f"{abs(v)}（增）" if v > 0 else f"{abs(v)}（减）"
            else:
                s = f"+{v}" if (v > 0 and "signed_plus" in n) else str(v)
        elif "thousands_sep" in n and isinstance(v, int) and v >= 1000 and self.rng.random() < 0.5:
            s = f"{v:,}"
        else:
            s = str(v)
        if "fullwidth" in n and self.rng.random() < 0.25:
            s = s.translate(_FW) if self.rng.random() < 0.6 else "\u3000" + s
        return s

    def put(self, table: str, row: str, col: str, value: float | None, raw: str, status: str = "reported",
            unit: str | None = None) -> None:
        self.r.cells[(table, row, col)] = (table, row, col, value, status, unit, raw)

    def count_cell(self, table: str, row: str, col: str, v: int, signed: bool = False) -> None:
        raw = str(v) if (self.plain and not signed) else self.fmt(v, signed)
        self.r.cells[(table, row, col)] = (table, row, col, float(v), "reported", None, raw)

    # ---- table 2
    def values_t2(self) -> None:
        rng, n, t = self.rng, self.noise, "proactive"
        rules_ph = PLACEHOLDERS[rng.randrange(4)] if "placeholder_rules" in n else None
        if self.r.template == "2019":
            for item in ("rules", "normative_docs"):
                made = 0 if item == "rules" else _count(rng, 120, 0.2)
                pub = made if (item == "rules" or rng.random() < 0.7) else _count(rng, 120, 0.2)
                tot = pub + (0 if item == "rules" else _count(rng, 800, 0.3))
                for metric, v in (("made", made), ("published", pub), ("total_published", tot)):
                    if item == "rules" and rules_ph:
                        self.put(t, item, metric, None, rules_ph, "placeholder")
                    else:
                        self.count_cell(t, item, metric, v)
            for item, hi in (("licensing", 6000), ("other_services", 900), ("penalties", 6000), ("coercion", 300)):
                prior = _count(rng, hi, 0.1)
                change = rng.randint(-min(prior, 200), 200) if rng.random() < 0.8 else 0
                self.count_cell(t, item, "prior_items", prior)
                self.count_cell(t, item, "items_change", change, signed=True)
                self.count_cell(t, item, "decisions", _count(rng, 200000, 0.1))
            prior = _count(rng, 60, 0.2)
            self.count_cell(t, "fees", "prior_items", prior)
            self.count_cell(t, "fees", "items_change", rng.randint(-prior, 40) if rng.random() < 0.6 else 0,
                            signed=True)
            items = _count(rng, 2000, 0.1)
            if "items_unit" in n:
                self.put(t, "procurement", "procurement_items", float(items), f"{items}项", unit="项")
            else:
                self.count_cell(t, "procurement", "procurement_items", items)
            wan = round(10 ** rng.uniform(1, 5.3), 2) if items else 0
            if items == 0:
                self.put(t, "procurement", "procurement_amount", 0.0, "0")
            elif "money_yuan" in n:
                raw = f"{wan * 10000 + rng.randint(0, 9999) / 10:.1f}"
                self.put(t, "procurement", "procurement_amount", float(raw), raw + "元", unit="元")
            elif "money_bare" in n:
                raw = f"{wan:.2f}"
                self.put(t, "procurement", "procurement_amount", float(raw), raw, unit=None)
            else:
                raw = f"{wan:.2f}".rstrip("0").rstrip(".")
                self.put(t, "procurement", "procurement_amount", float(raw), raw + "万元", unit="万元")
        else:
            for item in ("rules", "normative_docs"):
                issued = 0 if item == "rules" else _count(rng, 120, 0.2)
                repealed = min(issued, _count(rng, 20, 0.5))
                in_force = issued + _count(rng, 900, 0.2)
                for metric, v in (("issued", issued), ("repealed", repealed), ("in_force", in_force)):
                    if item == "rules" and rules_ph:
                        self.put(t, item, metric, None, rules_ph, "placeholder")
                    else:
                        self.count_cell(t, item, metric, v)
            for item, hi in (("licensing", 30000), ("penalties", 20000), ("coercion", 500)):
                self.count_cell(t, item, "decisions", _count(rng, hi, 0.1))
            fee = round(10 ** rng.uniform(0, 4.5), rng.choice((2, 4, 6))) if rng.random() < 0.7 else 0
            raw = f"{fee}" if fee else "0"
            self.put(t, "fees", "fee_amount", float(raw), raw, unit="万元")

    # ---- table 3
    def values_t3(self) -> None:
        rng, t, tpl = self.rng, "applications", self.r.template
        results = result_codes(tpl)
        big = rng.random() < 0.8
        hot = {"granted", "partially_granted", "unavailable_not_held"}
        hot.update(rng.sample(results, rng.randint(0, 4)))
        weights = [(rng.uniform(1, 10) if c in hot else 0.0) for c in results]
        cols = {c: {} for c, _ in APPLICANTS}
        for j, (app, _) in enumerate(APPLICANTS[:6]):
            if j == 0:
                new = _count(rng, 600 if big else 30, 0.05)
            else:
                new = _count(rng, 20 if j in (1, 5) else 6, 0.7)
            carried = _count(rng, max(1, new // 8), 0.7) if new else 0
            fwd = _count(rng, max(1, (new + carried) // 6), 0.6) if new + carried else 0
            fwd = min(fwd, new + carried)
            handled = new + carried - fwd
            parts = _split(handled, weights, rng)
            cols[app] = {"new_received": new, "carried_over": carried, "carried_forward": fwd,
                         "total_handled": handled, **dict(zip(results, parts, strict=True))}
        cols["total"] = {k: sum(cols[a][k] for a, _ in APPLICANTS[:6]) for k in cols["natural_person"]}
        blank_totals = "blank_totals" in self.noise
        cells, plain, fmt = self.r.cells, self.plain, self.fmt
        result_set = set(results)
        for row in outcome_codes(tpl):
            for app, _ in APPLICANTS:
                v = cols[app][row]
                if blank_totals and app == "total" and row in result_set:
                    cells[(t, row, app)] = (t, row, app, None, "blank", None, "")
                else:
                    cells[(t, row, app)] = (t, row, app, float(v), "reported", None, str(v) if plain else fmt(v))

    # ---- table 4
    def values_t4(self) -> None:
        rng, t = self.rng, "reviews_litigation"
        for block, _ in T4_BLOCKS:
            parts = [_count(rng, 12, 0.75) for _ in range(4)]
            for (res, _), v in zip(T4_RESULTS, [*parts, sum(parts)], strict=True):
                self.count_cell(t, block, res, v)

    # ---- labels
    def label(self, text: str) -> str:
        """Apply report-level label noise (brackets, dot spacing)."""
        if "brackets_halfwidth" in self.noise:
            text = text.replace("（", "(").replace("）", ")")
        return text

    def spaced(self, text: str) -> str:
        return " ".join(text) if "label_spaces" in self.noise else text

    def lines(self, text: str) -> str:
        if "label_lines" in self.noise:
            return "\n".join(text) if not text.startswith("三、") else "三、\n" + "\n".join(text[2:])
        if "label_wrap" in self.noise and len(text) >= 4:
            k = len(text) // 2
            return text[:k] + "\n" + text[k:]
        return text

    def raw(self, table: str, row: str, col: str) -> str:
        return self.r.cells[(table, row, col)][6]

    def table2(self) -> LTable:
        rows = LTable()
        rows.shape_key = ("t2", self.r.template)
        t, year = "proactive", self.r.year
        for art, metrics, items in T2[self.r.template]:
            rows.append([LCell(self.label(art), 1, 4)])
            head = [LCell("信息内容")]
            last = 3 - len(metrics)
            for i, (code, lab) in enumerate(metrics):
                if code == "prior_items" and "instruction_text" in self.noise:
                    lab = self.label(f"{lab}（指{year - 1}年事项数）")
                head.append(LCell(self.label(lab), 1, 1 + (last if i == len(metrics) - 1 else 0)))
            rows.append(head)
            for item, lab in items:
                row = [LCell(lab)]
                for i, (code, _) in enumerate(metrics):
                    row.append(LCell(self.raw(t, item, code), 1, 1 + (last if i == len(metrics) - 1 else 0)))
                rows.append(row)
        return rows

    def table3(self) -> LTable:
        tpl, t = self.r.template, "applications"
        typos = {}
        if "typos" in self.noise:
            for code, _good, bad in self.rng.sample(TYPOS, self.rng.randint(1, 3)):
                typos[code] = bad

        def lab(code: str, text: str) -> str:
            return self.label(typos.get(code, text))

        cells = self.r.cells
        app_codes = [a for a, _ in APPLICANTS]

        def values(code: str) -> list[LCell]:
            return [LCell(cells[(t, code, a)][6]) for a in app_codes]

        rows = LTable([
            [LCell(self.label(T3_CORNER), 3, 3), LCell("申请人情况", 1, 7)],
            [LCell(self.lines("自然人"), 2), LCell("法人或其他组织", 1, 5), LCell(self.spaced("总计"), 2)],
            [LCell(self.lines(self.spaced(a))) for _, a in APPLICANTS[1:6]],
        ])
        rows.shape_key = ("t3", tpl)
        for code, text in T3_TOP:
            rows.append([LCell(lab(code, text), 1, 3), *values(code)])
        n_result_rows = sum(len(rs) for _, rs in T3_RESULTS[tpl]) + 1
        first = True
        for group, items in T3_RESULTS[tpl]:
            for i, (code, text) in enumerate(items):
                row: list[LCell] = []
                if first:
                    row.append(LCell(self.lines("三、本年度办理结果"), n_result_rows))
                    first = False
                if group is None:
                    row.append(LCell(lab(code, text), 1, 2))
                else:
                    if i == 0:
                        row.append(LCell(self.label(group), len(items)))
                    row.append(LCell(lab(code, text)))
                rows.append(row + values(code))
        rows.append([LCell(self.label(T3_TOTAL[1]), 1, 2), *values(T3_TOTAL[0])])
        rows.append([LCell(T3_BOTTOM[1], 1, 3), *values(T3_BOTTOM[0])])
        return rows

    def table4(self) -> LTable:
        t = "reviews_litigation"
        total = "总\n计" if "label_lines" in self.noise else self.spaced("总计")
        heads = [LCell(lab if code != "total" else total, 2) for code, lab in T4_RESULTS]
        rows = LTable([
            [LCell("行政复议", 1, 5), LCell("行政诉讼", 1, 10)],
            [*heads, LCell("未经复议直接起诉", 1, 5), LCell("复议后起诉", 1, 5)],
            [LCell(lab) for _ in range(2) for _, lab in T4_RESULTS],
            [LCell(self.raw(t, b, res)) for b, _ in T4_BLOCKS for res, _ in T4_RESULTS],
        ])
        rows.shape_key = ("t4",)
        return rows

    # ---- narrative
    def blocks(self) -> list[Block]:
        r, rng = self.r, self.rng
        name = r.publisher if rng.random() < 0.5 else r.short_name
        title = f"{name}{r.year}年政府信息公开工作年度报告"
        new = int(r.v("applications", "new_received", "total") or 0)
        reviews = int(r.v("reviews_litigation", "admin_review", "total") or 0)
        suits = int((r.v("reviews_litigation", "litigation_direct", "total") or 0)
                    + (r.v("reviews_litigation", "litigation_after_review", "total") or 0))
        handled = int(r.v("applications", "total_handled", "total") or 0)
        h4 = ("四、政府信息公开行政复议、行政诉讼情况" if rng.random() < 0.7
              else "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况")
        t3 = self.table3()
        b: list[Block] = [("title", title)]
        b.append(("p", f"本报告由{r.publisher}根据《中华人民共和国政府信息公开条例》要求编制。本报告所列数据的统计期限"
                       f"自{r.year}年1月1日起至{r.year}年12月31日止。"))
        b.append(("h", "一、总体情况"))
        b.append(("p", f"{r.year}年，{r.short_name.removesuffix('人民政府')}坚持以公开为常态、不公开为例外，深入推进政务公开工作。"
                       f"全年共收到政府信息公开申请{new}件，办结{handled}件。"))
        b.append(("p", "（一）主动公开。通过政府门户网站集中发布各类政府信息，及时回应社会关切。"))
        b.append(("h", "二、主动公开政府信息情况"))
        b.append(("table", self.table2()))
        b.append(("h", "三、收到和处理政府信息公开申请情况"))
        if "table_split" in self.noise:
            top, bottom = split_table(t3, 3 + 2 + rng.randint(3, 12))
            b.append(("table", top))
            b.append(("table", bottom))
        else:
            b.append(("table", t3))
        b.append(("h", h4))
        b.append(("table", self.table4()))
        b.append(("p", f"全年共发生政府信息公开行政复议{reviews}件，行政诉讼{suits}件。"))
        b.append(("h", "五、政府信息公开工作存在的主要问题及改进情况"))
        b.append(("p", "一是公开内容的深度有待加强；二是政策解读形式较为单一。下一步将加强培训，提升公开质量。"))
        b.append(("h", "六、其他需要报告的事项"))
        if r.template == "2021":
            b.append(("p", f"本年度{r.short_name.removesuffix('人民政府')}未收取信息处理费。"))
        else:
            b.append(("p", "无。"))
        return b

    def build(self) -> tuple[Report, list[Block]]:
        self.values_t2()
        self.values_t3()
        self.values_t4()
        return self.r, self.blocks()


def build_report(index: int, seed: int = 0, layouts: Sequence[str] = LAYOUTS[:4],
                 templates: Sequence[str] = ("2019", "2021")) -> tuple[Report, list[Block]]:
    """The report with this index: its ground truth and its logical blocks."""
    return _Builder(index, seed, layouts, templates).build()


def render_report(report: Report, blocks: list[Block], cms: bool = False) -> bytes:
    """The file bytes of a report in its layout; ``cms``: an HTML report inside a real CMS page's shell
    (tools/synth_cms.py: navigation, scripts, styles, sidebar, footer, Word markup; 100-250 KB)."""
    layout, noise = report.layout, set(report.noise)
    if layout == "html" and cms:
        from tools.synth_cms import cms_page

        charset = "gbk" if "encoding_gbk" in noise else "utf-8"
        page = render_html(blocks, charset, report.publisher, "mso_markup" in noise)
        article = page[page.index('<div class="article_area">'):page.rindex("</body>")]
        title = next((str(v) for k, v in blocks if k == "title"), "")
        html = cms_page(article, title, report.publisher, report.year, charset, report.index)
        return html.encode(charset)
    if layout == "text_tab":
        data = render_text_tab(blocks).encode("utf-8")
    elif layout == "text_pipe":
        data = render_text_pipe(blocks).encode("utf-8")
    elif layout == "html":
        site = report.publisher
        mso = "mso_markup" in noise
        if "encoding_gbk" in noise:
            return render_html(blocks, "gbk", site, mso).encode("gbk")
        return render_html(blocks, "utf-8", site, mso).encode("utf-8")
    elif layout == "docx":
        return render_docx(blocks)
    elif layout == "pdf":
        from tools.synth_pdf import render_pdf

        return render_pdf(blocks)
    else:
        raise ValueError(f"unknown layout {layout!r}")
    return (b"\xef\xbb\xbf" + data) if "bom" in noise else data


# --------------------------------------------------------------------------- corpus

GT_SCHEMA = {
    "file_name": "str", "rel_path": "str", "layout": "str", "template_version": "str", "report_year": "i32",
    "publisher_name": "str", "table_code": "str", "row_code": "str", "col_code": "str", "value": "f64",
    "value_status": "str", "unit": "str", "raw_text": "str", "noise": "str",
}


class _TruthChunk:
    """Ground-truth rows of a chunk of reports, kept compactly and assembled in polars at flush.

    Per cell only value, status, unit and raw text are kept in Python lists; the cell codes and the
    report's metadata are gathered by index from small frames (the key order is fixed per template).
    """

    META = ("file_name", "rel_path", "layout", "template_version", "report_year", "publisher_name", "noise")

    def __init__(self) -> None:
        self.meta: dict[str, list] = {k: [] for k in self.META}
        self.rep: list[int] = []
        self.key: list[int] = []
        self.cells: tuple[list, list, list, list] = ([], [], [], [])
        self.keys: list[tuple[str, str, str]] = []
        self.key_offset: dict[tuple, int] = {}

    def add(self, r: Report) -> None:
        k = len(self.meta["file_name"])
        for name, val in zip(self.META, (r.file_name, r.rel_path, r.layout, r.template, r.year, r.publisher,
                                         ",".join(r.noise)), strict=True):
            self.meta[name].append(val)
        shape = tuple(r.cells)
        off = self.key_offset.get(shape)
        if off is None:
            off = self.key_offset[shape] = len(self.keys)
            self.keys.extend(shape)
        n = len(shape)
        self.rep.extend([k] * n)
        self.key.extend(range(off, off + n))
        _, _, _, v, st, u, raw = zip(*r.cells.values(), strict=True)
        for col, vals in zip(self.cells, (v, st, u, raw), strict=True):
            col.extend(vals)

    def __len__(self) -> int:
        return len(self.meta["file_name"])

    def frame(self):
        """The chunk as a polars DataFrame in GT_SCHEMA column order."""
        import polars as pl

        schema = _polars_schema()
        meta = pl.DataFrame(self.meta, schema={k: schema[k] for k in self.META})
        keys = pl.DataFrame(self.keys or None, schema={k: pl.Utf8 for k in ("table_code", "row_code", "col_code")},
                            orient="row")
        cells = pl.DataFrame(dict(zip(("value", "value_status", "unit", "raw_text"), self.cells, strict=True)),
                             schema={k: schema[k] for k in ("value", "value_status", "unit", "raw_text")})
        rep = pl.Series(self.rep, dtype=pl.UInt32)
        key = pl.Series(self.key, dtype=pl.UInt32)
        df = meta[rep].hstack(keys[key].get_columns() + cells.get_columns())
        return df.select(list(GT_SCHEMA))


def _polars_schema():
    import polars as pl

    kinds = {"str": pl.Utf8, "i32": pl.Int32, "f64": pl.Float64}
    return {k: kinds[v] for k, v in GT_SCHEMA.items()}


class _TruthWriter:
    """Appends ground-truth chunks to one parquet file (an empty typed file when there are none)."""

    def __init__(self, path: Path, schema: dict):
        self.path, self.schema, self.writer = path, schema, None

    def write(self, chunk: _TruthChunk) -> None:
        import pyarrow.parquet as pq

        table = chunk.frame().to_arrow()
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self.writer.write_table(table)

    def close(self) -> None:
        import polars as pl

        if self.writer is None:
            pl.DataFrame(schema=self.schema).write_parquet(self.path)
        else:
            self.writer.close()


class _FileWriter:
    """Writes files on one background thread so disk I/O overlaps generation (bounded queue)."""

    def __init__(self, depth: int = 256):
        self.q: queue.Queue = queue.Queue(depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="synth-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (item := self.q.get()) is not None:
            if self.error is None:
                try:
                    if callable(item):
                        item()
                    else:
                        item[0].write_bytes(item[1])
                except BaseException as exc:  # reported by close()
                    self.error = exc

    def put(self, path: Path, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.q.put((path, data))

    def call(self, fn) -> None:
        """Run fn on the writer thread, in order with the file writes."""
        if self.error is not None:
            raise self.error
        self.q.put(fn)

    def close(self) -> None:
        self.q.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def generate_corpus(out_dir: Path, n: int, seed: int = 0,
                    layouts: Sequence[str] = ("text_tab", "text_pipe", "html", "docx"),
                    templates: Sequence[str] = ("2019", "2021"), cms: bool = False) -> Path:
    """Write n reports, ground_truth.parquet and manifest.json under out_dir; return out_dir.
    ``cms``: HTML reports inside a CMS page's shell (``render_report``), as ``make bench`` has them."""

    bad = [x for x in layouts if x not in LAYOUTS] + [t for t in templates if t not in T2]
    if bad or not layouts or not templates:
        raise ValueError(f"unknown or empty layouts/templates: {bad}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    schema = _polars_schema()
    gt_path = out_dir / "ground_truth.parquet"
    gt = _TruthWriter(gt_path, schema)
    counts: dict[str, int] = {}
    noise_counts: dict[str, int] = {}
    chunk = _TruthChunk()
    made_dirs: set[int] = set()
    files = _FileWriter()
    try:
        for i in range(n):
            report, blocks = build_report(i, seed, layouts, templates)
            d = i // FILES_PER_DIR
            if d not in made_dirs:
                (out_dir / f"{d:04d}").mkdir(exist_ok=True)
                made_dirs.add(d)
            files.put(out_dir / report.rel_path, render_report(report, blocks, cms))
            chunk.add(report)
            key = f"{report.layout}/{report.template}"
            counts[key] = counts.get(key, 0) + 1
            for k in report.noise:
                noise_counts[k] = noise_counts.get(k, 0) + 1
            if (i + 1) % CHUNK_REPORTS == 0 or i == n - 1:
                files.call(lambda c=chunk: gt.write(c))  # frame + parquet encoding off the main thread
                chunk = _TruthChunk()
        files.call(gt.close)
    finally:
        files.close()
    manifest = {"n": n, "seed": seed, "layouts": list(layouts), "templates": list(templates), "cms": cms,
                "generator_version": GENERATOR_VERSION, "files_per_dir": FILES_PER_DIR,
                "reports_by_layout_template": dict(sorted(counts.items())),
                "noise_reports": dict(sorted(noise_counts.items())), "noise_rates": NOISE_RATES}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return out_dir


def iter_reports(n: int, seed: int = 0, layouts: Sequence[str] = LAYOUTS[:4],
                 templates: Sequence[str] = ("2019", "2021")) -> Iterator[tuple[Report, bytes]]:
    """Reports and their bytes without touching the disk (for in-memory tests and benchmarks)."""
    for i in range(n):
        report, blocks = build_report(i, seed, layouts, templates)
        yield report, render_report(report, blocks)


# --------------------------------------------------------------------------- hostile samples

FIXTURE_PDF = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "synth" / "huaian_2024.pdf"
BOMB_BYTES = 1100 * 1024 * 1024  # > 1 GiB once inflated


def _deflate_parts(head: bytes, unit: bytes, repeat: int, tail: bytes) -> tuple[bytes, bytes, bytes]:
    """Raw deflate pieces: head, one full-flushed unit block (valid when repeated), tail."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    a = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    b = c.compress(unit) + c.flush(zlib.Z_FULL_FLUSH)  # the state is reset after a full flush
    return a, b, c.compress(tail) + c.flush(zlib.Z_FINISH)


def _write_zip_bomb(path: Path, inflated: int = BOMB_BYTES, declared: int | None = None) -> None:
    """A DOCX whose word/document.xml inflates to about ``inflated`` bytes (< 4 GiB), written directly.

    The deflate stream is one compressed 1 MiB block of spaces repeated, so nothing big is ever held in
    memory or compressed; the CRC is computed over the inflated bytes chunk by chunk. ``declared``
    makes the zip headers lie about the member's uncompressed size (a bomb that hides from size checks).
    """
    head = (b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    unit = b" " * (1 << 20)
    repeat = max(1, inflated // len(unit))
    if len(head) + repeat * len(unit) + len(tail) >= 1 << 32:
        raise ValueError("zip bomb size must stay below 4 GiB (no zip64)")
    a, b, c = _deflate_parts(head, unit, repeat, tail)
    crc = zlib.crc32(head)
    unit_crc_state = crc
    for _ in range(repeat):
        unit_crc_state = zlib.crc32(unit, unit_crc_state)
    crc = zlib.crc32(tail, unit_crc_state)
    entries = [("[Content_Types].xml", _CT_BYTES), ("_rels/.rels", _RELS_BYTES)]
    central = []
    with path.open("wb") as fh:
        for name, data in entries:
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            raw = comp.compress(data) + comp.flush()
            central.append(_zip_local(fh, name, zlib.crc32(data), len(raw), len(data)))
            fh.write(raw)
        size = len(head) + repeat * len(unit) + len(tail)
        central.append(_zip_local(fh, "word/document.xml", crc, len(a) + repeat * len(b) + len(c),
                                  size if declared is None else declared))
        fh.write(a)
        for _ in range(repeat):
            fh.write(b)
        fh.write(c)
        cd_offset = fh.tell()
        for rec in central:
            fh.write(rec)
        fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                             fh.tell() - cd_offset, cd_offset, 0))


def _zip_local(fh, name: str, crc: int, csize: int, usize: int) -> bytes:
    """Write a deflated entry's local header at the current offset; return its central record."""
    offset = fh.tell()
    nb = name.encode()
    fh.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 33, crc, csize, usize, len(nb), 0) + nb)
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 33, crc, csize, usize,
                       len(nb), 0, 0, 0, 0, 0o644 << 16, offset) + nb


def _write_big_html(path: Path, size: int) -> None:
    """A valid-looking report page of about ``size`` bytes, written in chunks."""
    report, blocks = build_report(0, 7, ("html",), ("2021",))
    page = render_html(blocks).encode("utf-8")
    cut = page.index(b"<div class=\"article_area\">")
    filler = ('<p class="MsoNormal"><span style="font-family:仿宋_GB2312;">'
              + "政务公开工作稳步推进，" * 40 + "</span></p>\n").encode("utf-8") * 64
    with path.open("wb") as fh:
        fh.write(page[:cut])
        written = cut
        while written < size - len(page):
            fh.write(filler)
            written += len(filler)
        fh.write(page[cut:])


def hostile_samples(out_dir: Path, big_html_bytes: int = 200 * 1024 * 1024,
                    zip_bomb_bytes: int = BOMB_BYTES, inline_image_bytes: int = 0) -> list[Path]:
    """Write hostile files (empty, garbage, truncated, bombs, huge, lying encodings, odd tables); return paths.

    The readable ones are all built from ``build_report(1, 11, ("html",), ("2019",))`` (the ground truth
    of their good cells); ``inline_image_bytes`` > 0 adds ``inline_images.html``, that report with that
    many bytes of base64 images pasted inline.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random("hostile")
    paths: list[Path] = []

    def write(name: str, data: bytes) -> None:
        p = out_dir / name
        p.write_bytes(data)
        paths.append(p)

    _, blocks = build_report(1, 11, ("html",), ("2019",))
    html = render_html(blocks).encode("utf-8")
    docx = render_docx(blocks)
    write("empty.html", b"")
    write("empty.docx", b"")
    write("empty.pdf", b"")
    garbage = bytes(rng.getrandbits(8) for _ in range(4096))
    write("garbage.bin", garbage)
    write("garbage.pdf", b"%PDF-1.7\n" + garbage)
    write("garbage.docx", b"PK\x03\x04" + garbage)
    write("truncated.html", html[: len(html) // 2])
    write("truncated.docx", docx[: len(docx) // 2])
    pdf = FIXTURE_PDF.read_bytes()
    write("truncated.pdf", pdf[: int(len(pdf) * 0.4)])
    bomb = out_dir / "zip_bomb.docx"
    _write_zip_bomb(bomb, zip_bomb_bytes)
    paths.append(bomb)
    ratio = out_dir / "zip_bomb_ratio.docx"  # under every size cap, but 1000:1
    _write_zip_bomb(ratio, 150 * 1024 * 1024)
    paths.append(ratio)
    liar = out_dir / "zip_bomb_lying.docx"  # the headers say 60 KB, the stream inflates past 1 GiB
    _write_zip_bomb(liar, zip_bomb_bytes, declared=60_000)
    paths.append(liar)
    big = out_dir / "big.html"
    _write_big_html(big, big_html_bytes)
    paths.append(big)
    lying = render_html(blocks, "utf-8").encode("gbk")
    write("lying_encoding.html", lying)  # declared UTF-8, GBK bytes
    write("lying_encoding_gbk.html", render_html(blocks, "gbk").encode("utf-8"))  # declared GBK, UTF-8 bytes
    write("utf16.txt", render_text_tab(blocks).encode("utf-16"))  # with its BOM
    no_t3 = [b for b in blocks if not (b[0] == "table" and "申请人情况" in str(b[1]))]
    write("missing_table3.html", render_html(no_t3).encode("utf-8"))
    write("extra_rows_cols.html", render_html(_extra_rows_cols(blocks)).encode("utf-8"))
    write("missing_rows_cols.html", render_html(_missing_rows_cols(blocks)).encode("utf-8"))
    write("odd_numbers.html", render_html(_odd_numbers(blocks)).encode("utf-8"))
    write("odd_numbers.txt", render_text_tab(_odd_numbers(blocks)).encode("utf-8"))
    cut, end = html.index(b"<div class=\"article_area\">"), html.index(b"</body>")
    write("deep_nesting.html", html[:cut] + b"<div>" * 20000 + html[cut:end] + b"</div>" * 20000 + html[end:])
    write("many_tables.html", html[:cut] + b"<table><tr><td>a</td><td>1</td></tr></table>\n" * 2000 + html[cut:])
    if inline_image_bytes:
        images = out_dir / "inline_images.html"
        _write_inline_images(images, html, inline_image_bytes, rng)
        paths.append(images)
    return paths


def _write_inline_images(path: Path, html: bytes, size: int, rng: random.Random) -> None:
    """The page with ``size`` bytes of base64 images pasted inline (as CMS editors do), written in chunks."""
    import base64

    img = (b'<p><img src="data:image/png;base64,'
           + base64.encodebytes(rng.randbytes(3 * 1024 * 1024)).replace(b"\n", b"\r\n") + b'" /></p>\n')
    cut = html.index(b"<div class=\"article_area\">")
    with path.open("wb") as fh:
        fh.write(html[:cut])
        for _ in range(max(1, size // len(img))):
            fh.write(img)
        fh.write(html[cut:])


def _edit_tables(blocks: list[Block], edit: Callable[[list[list[LCell]], str], list[list[LCell]]]) -> list[Block]:
    """The blocks with each table's rows (copied) passed through ``edit(rows, table_text)``."""
    out: list[Block] = []
    for kind, val in blocks:
        if kind != "table":
            out.append((kind, val))
            continue
        out.append(("table", edit([list(r) for r in val], str(val))))  # type: ignore[union-attr]
    return out


def _missing_rows_cols(blocks: list[Block]) -> list[Block]:
    """Table 3 without its last row (四、结转下年度继续办理) and with two rows one value short; table 4's
    data row one value short; table 2 without its 规范性文件 row."""

    def edit(rows: list[list[LCell]], text: str) -> list[list[LCell]]:
        if "申请人情况" in text:
            rows = rows[:-1]
            for row in rows:
                if any(c.text.startswith(("（一）予以公开", "(一)予以公开", "1.属于国家秘密")) for c in row):
                    row.pop()
        elif "行政复议" in text:
            rows[-1].pop()
        elif "信息内容" in text:
            rows = [r for r in rows if r[0].text != "规范性文件"]
        return rows

    return _edit_tables(blocks, edit)


def _extra_rows_cols(blocks: list[Block]) -> list[Block]:
    """Table 2 with a non-template row and every table with an extra column of notes."""

    def edit(rows: list[list[LCell]], text: str) -> list[list[LCell]]:
        if "信息内容" in text:
            rows.append([LCell("其他主动公开文件"), LCell("12"), LCell("3"), LCell("45")])
        rows[0].append(LCell("备注", len(rows)))
        return rows

    return _edit_tables(blocks, edit)


ODD_NUMBERS = ["1e308", "12,34,5", "０１２", "-0", "NaN", "99999999999999999999999", "1.2.3", "１２万元", "--253",
               "1.5e3", "--3", "３６４６２万元", "12 34", "1,234", "＋５", "1/2", "３（增）"]


def _odd_numbers(blocks: list[Block]) -> list[Block]:
    """Every numeric cell of table 3 replaced by an odd number string; table 2's 采购总金额 (2019) and
    本年收费金额 (2021) money cells say ``３６４６２万元``."""
    out: list[Block] = []
    k = 0
    for kind, val in blocks:
        if kind == "table" and "信息内容" in str(val):
            rows = [list(r) for r in val]  # type: ignore[union-attr]
            money_row = "政府集中采购" if "采购项目数量" in str(val) else "行政事业性收费"
            for row in rows:
                if row[0].text == money_row:
                    row[-1] = LCell("３６４６２万元", row[-1].rs, row[-1].cs)
            out.append(("table", rows))
            continue
        if kind == "table" and "申请人情况" in str(val):
            rows = []
            for row in val:  # type: ignore[union-attr]
                new = []
                for c in row:
                    if c.text.strip().isdigit():
                        c = LCell(ODD_NUMBERS[k % len(ODD_NUMBERS)], c.rs, c.cs)
                        k += 1
                    new.append(c)
                rows.append(new)
            out.append(("table", rows))
        else:
            out.append((kind, val))
    return out


_CT_BYTES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
             b'"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
             b'document.main+xml"/></Types>')
_RELS_BYTES = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
               b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
               b'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
__all__ = ["generate_corpus", "hostile_samples", "build_report", "render_report", "iter_reports",
           "expected_cells", "outcome_codes", "result_codes", "Report", "Truth"]
