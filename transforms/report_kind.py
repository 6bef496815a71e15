"""Whether a document is an annual report at all (status ``not_report`` when it is not).

A folder of reports also holds READMEs, notices and indexes, and a crawl sometimes lands on a
page that only links to a report. Such a document must never be credited to a publisher or
counted in coverage. The rule is narrow on purpose, so a damaged report is never dismissed: a
document is *not a report* only when it has none of

1. a report title: a year followed by 政府信息公开…报告/年报 (in the document's title, or in the
   first ``TITLE_WINDOW`` characters of its text, whatever the line breaks);
2. a section heading of the six sections (一、总体情况 … 六、其他需要报告的事项, common/sections.py);
3. a national table: a table mapped to a template, or a label only the national tables carry
   (本年新收政府信息公开申请…) anywhere in its text, so a report whose tables could not be read
   stays a report (``no_tables``);
4. a label of the pre-2019 reports' statistics (the registry's ``old_forms``, as transforms/pre2019.py reads them).
"""

from __future__ import annotations

import re

from common.document import Document
from common.sections import split_sections
from common.text import compact
from transforms.registry import load_registry

TITLE_WINDOW = 3000  # characters of text (whitespace removed) searched for a report title
_REPORT_TITLE = re.compile(r"(?:19|20)\d{2}年.{0,40}?政府(?:信息|资讯)公开.{0,8}?(?:报告|年报)")
NOT_REPORT_REASON = ("not a report: no report title (年度报告 with a year), none of the six sections and no "
                     "national table")


def has_report_title(doc: Document) -> bool:
    """A year and 政府信息公开…报告 in the document's title or near the start of its text."""
    candidates = [doc.title or "", str(doc.meta.get("ArticleTitle") or ""), doc.text[: TITLE_WINDOW * 2]]
    for text in candidates:
        if _REPORT_TITLE.search(compact(text)[:TITLE_WINDOW]):
            return True
    return False


def has_report_labels(doc: Document) -> bool:
    """A label only national or pre-2019 report tables carry (the registry's ``old_forms`` markers), in the text
    or in any table cell."""
    forms = load_registry().old_forms
    markers = (*forms.get("national_markers", ()), *forms.get("markers", ()))
    lines = [doc.text] + [cell.text for table in doc.tables for cell in table.cells]
    return any(marker in text for text in map(compact, lines) for marker in markers)


def is_not_report(doc: Document, mapped_templates: dict[str, str]) -> bool:
    """True when the document has no report title, none of the six sections and no national table."""
    if mapped_templates:
        return False
    if any(section.section_code != "preamble" for section in split_sections(doc.text)):
        return False
    return not has_report_title(doc) and not has_report_labels(doc)
