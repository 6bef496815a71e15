"""Page-text dumps: a saved web page as running text, its tables' rows and cells run together
(reference §8: crawlers' page.txt files, innerText copies, CMS "text versions").

``…一、本年新收政府信息公开申请数量640020470二、上年结转政府信息公开申请数量0000000…``: no line,
tab or pipe says where a row or a cell ends. The tables are found by their row labels in the
running text, in the order the template prints them (the registry's rows of every version), each
row's run of values is what follows its label, and the rows become [label, run] rows of the same
shape as a flattened table's (transforms/flat.py), which transforms/segment.py cuts by the
identities. Nothing here is keyed to a publisher or a page: only the registry's labels, the value
grammar of a run, and the numbering that starts a label (一、 （三） 1.).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from common.document import Cell, Document, Table
from common.text import to_simplified
from common.values import RUN_MARKS, RUN_UNITS
from transforms.registry import Registry, load_registry

MIN_DUMP_ROWS = 8  # table-3 rows found with a run after them that make a text a dump
MAX_CHARS = 2_000_000
_SKIP = r"[\s“”\"'‘’「」『』《》:：,，;；/／、.．·\-—_|]*"  # what may stand between a label's characters
# a run of values: digits, signs, decimals, placeholders, units, (增)/(减) marks, and the spaces between groups
_RUN = re.compile(
    rf"(?:[0-9+\-.,/—]|{RUN_MARKS}|{RUN_UNITS}|[ \t\u3000\xa0](?=[ \t\u3000\xa0]*[0-9+\-—/]))+"
)
_PARENS = re.compile(r"\s*[(（][^()（）]{0,60}[)）]")
# the numbering of the next label, glued to the end of a run: 2. 3、 (a single digit, never a leading zero)
_NEXT_NUMBER = re.compile(r"[1-9][.．、]$")
_SECTION = re.compile(r"(?<![0-9.．])(?P<num>[一二三四五六七]|[1-7])\s*[、.．](?![0-9])")
_NUMERALS = "一二三四五六七"
_SECTION_WORDS = {
    "proactive": ("主动公开",),
    "applications": ("收到和处理", "依申请公开"),
    "reviews_litigation": ("行政复议", "行政诉讼", "行政法复议"),
}
# the report's title: a body's name, then the year and 年度报告; a breadcrumb's words before the name are cut off
_TITLE = re.compile(r"[^\s。，；：:|>》»/]{2,60}?(?:19|20)\d{2}年度?政府信息公开(?:工作)?年度报告")
_NAV = re.compile(r"首页|当前位置|位置|政务公开|信息公开|年报|来源|发布|专栏|栏目")


def searchable(text: str) -> str:
    """NFKC and simplified characters, one character for one: positions stay those of ``text``."""
    return "".join(_char(ch) for ch in text)


@lru_cache(maxsize=8192)
def _char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    folded = to_simplified(folded) if len(folded) == 1 else ch
    return folded if len(folded) == 1 else ch


@lru_cache(maxsize=4096)
def _label_pattern(label: str) -> re.Pattern:
    return re.compile(_SKIP.join(re.escape(c) for c in label))


def _short_labels(registry: Registry) -> frozenset[str]:
    """Labels that are also column headers (其他, 总计): a row only where a numbering precedes them or a run follows."""
    headers = {v for vs in registry.app_columns.values() for v in vs} | {
        v for vs in registry.rl_results.values() for v in vs}
    return frozenset(headers)


def _run_after(text: str, at: int, limit: int) -> tuple[str, int]:
    """The run of values that starts at ``at`` (after the label's parenthesised instructions), and where it ends."""
    while True:
        paren = _PARENS.match(text, at, limit)
        if not paren:
            break
        at = paren.end()
    while at < limit and text[at] in " \t\u3000\xa0”\"’」』》":
        at += 1
    match = _RUN.match(text, at, limit)
    if not match:
        return "", at
    run = match.group().rstrip()
    nxt = _NEXT_NUMBER.search(run)
    after = text[at + len(run): at + len(run) + 1]
    if nxt and not after.isdigit():
        run = run[: nxt.start()]  # 0000000 + 2.其他法律…: the digit numbers the next label
    elif run[-1:] in "123456789" and after in ("、", "．", ".") and len(run) > 1:
        run = run[:-1]  # 00 + 3、 收到和处理…: the same, with the mark outside the run's characters
    return run, at + len(run)


def _numbered_before(text: str, at: int) -> bool:
    head = text[max(0, at - 4): at].rstrip()
    return bool(re.search(r"(?:[1-9][.．、]|[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、)$", head))


def _find_rows(text: str, start: int, end: int, rows: list[tuple[str, tuple[str, ...]]],
               short: frozenset[str]) -> list[tuple[str, str, str, int]]:
    """(code, label, run, position) of the rows found in order between ``start`` and ``end``.

    Each row is looked for after the previous one found; a row not found is skipped (it is missing),
    and the search goes on from where the previous row ended.
    """
    found = []
    at = start
    for code, labels in rows:
        best = None
        for label in labels:
            if not label:
                continue
            for match in _label_pattern(label).finditer(text, at, end):
                run, _ = _run_after(text, match.end(), end)
                if label in short and not run and not _numbered_before(text, match.start()):
                    continue  # a column header (其他, 总计), not the row
                if best is None or match.start() < best[0].start():
                    best = (match, run)
                break
        if best is None:
            continue
        match, run = best
        found.append((code, text[match.start():match.end()], run, match.start()))
        at = match.end() + len(run)
    return _last_repeat(found, text, end)


def _last_repeat(found: list[tuple[str, str, str, int]], text: str, end: int) -> list[tuple[str, str, str, int]]:
    """A row printed twice (its label repeated after a page break) takes the run after its last label."""
    out = []
    for i, (code, label, run, pos) in enumerate(found):
        stop = found[i + 1][3] if i + 1 < len(found) else end
        if not run:
            again = text.find(label, pos + len(label), stop)
            if again >= 0:
                run, _ = _run_after(text, again + len(label), stop)
        out.append((code, label, run, pos))
    return out


def _regions(text: str, registry: Registry) -> dict[str, tuple[int, int]]:
    """Where each table's section runs: from its numbered heading to the next numbered heading (whole text if none)."""
    heads = []
    for match in _SECTION.finditer(text):
        window = text[match.end(): match.end() + 30]
        num = match.group("num")
        number = int(num) if num.isdigit() else _NUMERALS.index(num) + 1
        for table, words in _SECTION_WORDS.items():
            section = int(registry.tables[table].lstrip("s"))
            # numbered as its section, or one past it (pre-2019 reports put a fees section before s4)
            if number in (section, section + 1) and any(w in window for w in words):
                heads.append((match.start(), table))
                break
    regions = {}
    for table in registry.table_codes:
        starts = [pos for pos, t in heads if t == table]
        if not starts:
            regions[table] = (0, len(text))
            continue
        start = starts[-1]
        later = [pos for pos, t in heads if pos > start and t != table]
        regions[table] = (start, min(later) if later else len(text))
    return regions


def _row_orders(registry: Registry, table: str) -> list[list[tuple[str, tuple[str, ...]]]]:
    """Each version's rows of a table in printed order, with their label variants (longest first)."""
    orders = []
    for template in registry.templates.values():
        if table == "applications":
            rows = [(code, template.application_labels[code]) for code in template.application_rows]
        else:
            rows = [(item.code, item.labels) for item in template.items]
        orders.append([(code, tuple(sorted(set(labels), key=len, reverse=True))) for code, labels in rows])
    return orders


def _best_rows(text: str, start: int, end: int, registry: Registry, table: str,
               short: frozenset[str]) -> list[tuple[str, str, str, int]]:
    """The rows found in the printed order of the version that finds most rows followed by a run."""
    best: list[tuple[str, str, str, int]] = []
    for order in _row_orders(registry, table):
        found = _find_rows(text, start, end, order, short)
        if sum(1 for row in found if row[2]) > sum(1 for row in best if row[2]):
            best = found
    return best


def read_dump(raw: str, registry: Registry | None = None) -> Document | None:
    """The tables of a page-text dump as [label, run] rows per table (layout ``text_dump``), or None
    when the text holds fewer than MIN_DUMP_ROWS table-3 rows followed by runs."""
    registry = registry or load_registry()
    raw = raw[:MAX_CHARS]
    text = searchable(raw)
    regions = _regions(text, registry)
    short = _short_labels(registry)
    start, end = regions["applications"]
    apps = _best_rows(text, start, end, registry, "applications", short)
    if sum(1 for *_, run, _ in apps if run) < MIN_DUMP_ROWS:
        return None
    tables = []
    p_start, p_end = regions["proactive"]
    head = text.find("第二十条", p_start, p_end)
    pro = _best_rows(text, head if head >= 0 else p_start, p_end, registry, "proactive", short)
    for table, found in (("proactive", pro), ("applications", apps)):
        if found:
            tables.append(_table(table, registry, [(label, run, pos) for _, label, run, pos in found], raw))
    rl = _reviews_row(text, regions["reviews_litigation"], registry)
    if rl:
        tables.append(_table("reviews_litigation", registry, [rl], raw))
    return Document(layout="text_dump", text=_narrative(raw, text), tables=tables)


def _reviews_row(text: str, region: tuple[int, int], registry: Registry) -> tuple[str, str, int] | None:
    """Table 4's one data row: the run after the last result label (结果维持 … 总计) of its header."""
    start, end = region
    results = [v for vs in registry.rl_results.values() for v in vs]
    last = None
    for label in results:
        for match in _label_pattern(label).finditer(text, start, end):
            run, _ = _run_after(text, match.end(), end)
            if sum(ch.isdigit() for ch in run) >= len(registry.block_codes) * len(registry.result_codes) // 3:
                if last is None or match.start() > last[2]:
                    last = ("", run, match.end())
    return last


def _table(table: str, registry: Registry, rows: list[tuple[str, str, int]], raw: str) -> Table:
    out = Table(locator=f"char {rows[0][2]}", section_code=registry.tables[table], runs=True)
    for i, (label, run, pos) in enumerate(rows):
        locator = f"char {pos}"
        out.cells.append(Cell(i, 0, raw[pos: pos + len(label)] if label else "", locator=locator))
        out.cells.append(Cell(i, 1, run, locator=locator))
    return out


def _narrative(raw: str, text: str) -> str:
    """The dump with a line break before each numbered section heading and around the report title, so
    sections, title and publisher are found the way they are in any text."""
    cuts = set()
    for match in _SECTION.finditer(text):
        window = text[match.end(): match.end() + 20]
        if any(w in window for words in _SECTION_WORDS.values() for w in words) or re.match(
                r"(?:总体情况|概述|基本情况|存在的主要问题|存在主要问题|主要问题|其他需要报告|其他事项)", window):
            cuts.add(match.start())
    for match in _TITLE.finditer(text):
        year = re.search(r"(?:19|20)\d{2}年", match.group()).start()
        navigation = [m.end() for m in _NAV.finditer(match.group(), 0, year)]
        cuts.update((match.start() + (navigation[-1] if navigation else 0), match.end()))
    pieces, last = [], 0
    for cut in sorted(cuts):
        pieces.append(raw[last:cut])
        last = cut
    pieces.append(raw[last:])
    return "\n".join(p.strip() for p in pieces if p.strip())
