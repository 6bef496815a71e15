"""Reports made under the 2007 regulation (template_version ``pre2019``), recognised from their content.

Reference §1: pre-2019 reports have no national tables (a free-form 统计表 with 指标名称 / 计量单位
columns, or text only); they are stored with their narrative and produce no facts. The version is
read from labels, never from the year: late reports still use the old form, and a national
report whose title says 2018 by mistake is still a national report.

The rule, in order:
1. a table mapped to a national template (2019 or 2021) → not pre-2019;
2. a label only the national templates have (section 三 收到和处理政府信息公开申请情况, table 3's
   本年新收… / 本年度办理结果 / 结转下年度继续办理, table 2's column labels) → not pre-2019: a
   national report whose tables could not be read is ``no_tables``, not an old report;
3. a label only the old reports have (the old statistics table's header 指标名称 / 统计指标, the
   2007 regulation's section on 收费及减免, the old table's row 依申请公开信息收取的费用) → pre-2019;
4. otherwise → not pre-2019 (a narrative-only report that says neither is ``no_tables``).
"""

from __future__ import annotations

from common.document import Document
from common.text import compact
from transforms.registry import Registry, load_registry


def _lines(doc: Document):
    """Every line of the narrative and every table cell, NFKC, simplified and without spaces."""
    for line in doc.text.splitlines():
        yield compact(line)
    for table in doc.tables:
        for cell in table.cells:
            yield compact(cell.text)


def is_pre2019(doc: Document, mapped_templates: dict[str, str], registry: Registry | None = None) -> bool:
    """True for a report under the 2007 regulation (see the module docstring for the rule; the markers are
    the registry's ``old_forms``)."""
    if mapped_templates:
        return False
    forms = (registry or load_registry()).old_forms
    national, old_markers = tuple(forms.get("national_markers", ())), tuple(forms.get("markers", ()))
    old = False
    for line in _lines(doc):
        if any(marker in line for marker in national):
            return False
        old = old or any(marker in line for marker in old_markers)
    return old
