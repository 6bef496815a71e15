"""Split a report's narrative into its six sections (reference §2)."""

from __future__ import annotations

import re

from common.document import Section
from common.text import normalize

# section code -> words one of which its heading contains
SECTION_KEYWORDS: dict[int, tuple[str, ...]] = {
    1: ("总体情况", "概述", "基本情况"),
    2: ("主动公开",),
    3: ("收到和处理", "依申请公开", "政府信息公开申请"),
    4: ("行政复议", "行政诉讼"),
    5: ("存在的主要问题", "存在主要问题", "主要问题", "改进情况"),
    6: ("其他需要报告", "其他事项"),
}
_NUMERALS = "一二三四五六七"
_HEADING = re.compile(
    r"^\s*(?:表[一二三四]\s*[:：]\s*)?(?P<num>[一二三四五六七]|[1-7])\s*[、.．]\s*(?P<title>\S.{0,60})$"
)


def heading_section(line: str) -> int | None:
    """The section number a line heads, or None (a table row such as 四、结转下年度继续办理 is none).

    A heading is numbered as its section (national templates) or one past it: pre-2019 reports
    (2007 regulation) put 四、…收费及减免情况 before 五、…行政复议、提起行政诉讼 (s4), 六、…主要问题 (s5)
    and 七、其他需要报告的事项 (s6); the fees section has no code and stays in s3's text.
    """
    text = normalize(line.strip())
    if not text or len(text) > 70 or text.startswith("\t"):
        return None
    match = _HEADING.match(text)
    if not match:
        return None
    num = match.group("num")
    number = int(num) if num.isdigit() else _NUMERALS.index(num) + 1
    title = match.group("title")
    for section in (number, number - 1):
        if section in SECTION_KEYWORDS and any(k in title for k in SECTION_KEYWORDS[section]):
            return section
    return None


def split_sections(text: str) -> list[Section]:
    """Sections in reading order; text before the first heading is the ``preamble``."""
    sections: list[Section] = []
    heading, code, buffer = "", "preamble", []
    seen: set[int] = set()
    for line in text.splitlines():
        number = heading_section(line)
        if number is not None and number not in seen:
            if buffer and "".join(buffer).strip() or code != "preamble":
                sections.append(Section(code, heading, "\n".join(buffer).strip()))
            seen.add(number)
            heading, code, buffer = line.strip(), f"s{number}", []
        else:
            buffer.append(line)
    if buffer and "".join(buffer).strip() or code != "preamble":
        sections.append(Section(code, heading, "\n".join(buffer).strip()))
    return sections
