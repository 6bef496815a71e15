"""Report metadata from the text: publisher name and report year, with how they were found."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from common.text import normalize

_TITLE = re.compile(
    r"(?P<pre>[\u4e00-\u9fff（）()·]{0,40}?)\s*(?P<year>(?:19|20)\d{2})\s*年度?\s*(?P<mid>[\u4e00-\u9fff（）()]{0,30}?)"
    r"\s*政府(?:信息|资讯)公开(?:工作)?\s*(?:年度)?\s*(?:报告|年报)"
)
_YEAR_TEXT = re.compile(r"(?:统计期限|统计期|时间)[^。\n]{0,6}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_YEAR_ANY = re.compile(r"((?:19|20)\d{2})\s*年")
# places and bodies whose names end like this; the generic words below are never publishers
_SUFFIXES = ("人民政府", "政府办公室", "办公室", "办公厅", "管委会", "委员会", "工业园区", "开发区", "高新区",
             "实验区", "园区", "新区", "自治县", "自治州", "街道", "区", "县", "市", "旗", "镇", "乡", "局", "厅")
_GENERIC = {"全区", "本区", "我区", "各区", "城区", "辖区", "市区", "社区", "景区", "小区", "街区", "片区", "园区",
            "全县", "本县", "我县", "各县", "全市", "本市", "我市", "各市", "城市", "全省", "本省", "我省",
            "乡镇", "全镇", "本镇", "我镇", "市委", "市政府", "区政府", "县政府", "省政府", "本局", "我局",
            "各局", "该局", "新区", "开发区", "工业园区", "实验区", "高新区", "管委会", "委员会", "办公室",
            "办公厅", "人民政府", "自治县", "自治州", "街道", "该区", "该县", "该市", "地区", "全局", "分局",
            "当局", "结局", "布局", "格局", "大局", "邮局", "政府办公室", "城乡", "下乡"}
_STOP_PREFIX = set("年在的和与及对于由从将把被为向是了各全本我该等中上下其这那个市区县省")


@dataclass(frozen=True, slots=True)
class ReportMeta:
    publisher_name: str | None
    publisher_method: str  # title | meta | text_frequency | none
    publisher_confidence: float
    report_year: int | None
    year_method: str
    title: str | None


def _clean(text: str) -> str:
    return normalize(text)


def find_title(text: str, hint: str | None = None) -> tuple[str | None, re.Match | None]:
    """The report title: the hint (e.g. html ArticleTitle) or a line near the top naming the report."""
    candidates = [hint] if hint else []
    lines = [line.strip() for line in text.splitlines() if line.strip()][:12]
    # titles are sometimes wrapped over two lines: try each line and each pair of lines
    candidates += lines + [a + b for a, b in zip(lines, lines[1:], strict=False)]
    found: tuple[str | None, re.Match | None] = (None, None)
    for candidate in candidates:
        clean = re.sub(r"\s+", "", _clean(candidate))
        match = _TITLE.search(clean)
        if match and len(clean) <= 60:
            if match.group("pre") or match.group("mid"):
                return clean, match
            found = found if found[0] else (clean, match)
    return found


_SUBJECT = re.compile(
    r"(?:19|20)\d{2}年(?:度|以来)?[，,]\s*(?:我|本)?(?P<name>[\u4e00-\u9fff]{2,14}?(?:工业园区|开发区|高新区|实验区|"
    r"园区|新区|自治县|街道|区|县|市|旗|镇|乡|局|委|办))(?:人民政府|政府)?(?:在|坚持|深入|认真|紧紧|全面|以|按照|"
    r"围绕|严格|始终|高度|继续|扎实|持续|进一步|把|将|聚焦|紧扣|不断|立足|积极|牢固|着力)"
)


def _subject_publisher(text: str) -> str | None:
    """The subject of an opening sentence such as 2020年，苏家屯区坚持… ."""
    clean = re.sub(r"\s+", "", _clean(text))[:5000]
    match = _SUBJECT.search(clean)
    if match and match.group("name") not in _GENERIC:
        return match.group("name")
    return None


def _text_publisher(text: str) -> tuple[str | None, float]:
    """The body named most often in the narrative, e.g. 苏家屯区 in a report without a title line."""
    clean = re.sub(r"\s+", "", _clean(text))[:20000]
    counts: Counter[str] = Counter()
    for suffix in _SUFFIXES:
        for match in re.finditer(re.escape(suffix), clean):
            end = match.end()
            for length in range(2, 7):
                start = match.start() - length
                if start < 0:
                    break
                name = clean[start:end]
                if not re.fullmatch(r"[\u4e00-\u9fff]+", name):
                    break
                counts[name] += 1
    best, best_score = None, 0.0
    for name, count in counts.items():
        if name in _GENERIC or name[0] in _STOP_PREFIX or count < 2:
            continue
        stem = name
        for suffix in _SUFFIXES:
            if name.endswith(suffix):
                stem = name[: -len(suffix)]
                break
        if len(stem) < 2 or stem in _GENERIC:
            continue
        # a longer name must keep most of the mentions of its shorter suffix-string to be the name
        shorter = counts.get(name[1:], count)
        if count < 0.6 * shorter:
            continue
        score = count * (1 + 0.1 * len(name))
        if score > best_score:
            best, best_score = name, score
    if best is None:
        return None, 0.0
    total = sum(c for n, c in counts.items() if n not in _GENERIC and len(n) >= 3) or 1
    return best, round(min(0.8, 0.3 + counts[best] / total), 2)


def extract_meta(text: str, title_hint: str | None = None, author_hint: str | None = None) -> ReportMeta:
    """Publisher and year from the title line, else from the narrative, saying how sure it is."""
    title, match = find_title(text, title_hint)
    publisher, method, confidence = None, "none", 0.0
    year, year_method = None, "none"
    if match:
        year, year_method = int(match.group("year")), "title"
        name = (match.group("pre") + match.group("mid")).strip("（）()")
        name = re.sub(r"^(关于|印发)", "", name)
        if len(name) >= 2:
            publisher, method, confidence = name, "title", 0.95
    if publisher is None and author_hint:
        publisher, method, confidence = _clean(author_hint).strip(), "meta", 0.7
    if publisher is None:
        subject = _subject_publisher(text)
        frequent, confidence = _text_publisher(text)
        if subject:
            agrees = frequent is not None and (subject in frequent or frequent in subject)
            publisher, method, confidence = subject, "text_subject", 0.8 if agrees else 0.6
        elif frequent:
            publisher, method = frequent, "text_frequency"
    if year is None:
        clean = _clean(text)
        found = _YEAR_TEXT.search(clean)
        if found:
            year, year_method = int(found.group(1)), "statistics_period"
        else:
            years = Counter(int(y) for y in _YEAR_ANY.findall(clean[:3000]) if 2008 <= int(y) <= 2035)
            if years:
                year, year_method = years.most_common(1)[0][0], "text_frequency"
    return ReportMeta(publisher, method, confidence, year, year_method, title)
