"""Structure caps of an HTML page, checked in one linear pass before a parser sees the page.

An HTML parser's cost is not linear in the page: every block-level start tag (``<div>``, ``<ul>``,
``<section>`` ...) makes the tree builder look for an open ``<p>`` through the whole stack of open
elements, so a page nested N elements deep costs about N²/2 steps (lexbor: 40,000 nested ``<div>``s
take 2 s, 80,000 about 8 s, a 5 MB page of 1,000,000 about half an hour, inside C code where no
Python signal handler runs). ``check_markup`` walks the tags once, keeping an approximate stack of
open elements (void elements, raw-text elements, comments and the end tags HTML lets a page omit
are handled the way the tree builder does, closely enough), and raises ``ExtractionError``
``too_complex`` when the page has

* more than ``MAX_ELEMENTS`` start tags,
* elements nested more than ``MAX_DEPTH`` deep, or
* more than ``MAX_NESTING_WORK`` steps of that stack search (the sum, over block-level start tags,
  of the depth they open at: 10⁹ is about 3 s of lexbor).

The page a user reads nests 10-50 elements deep; pages pasted from Word reach a few hundred.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.errors import ExtractionError

MAX_ELEMENTS = 1_000_000
MAX_DEPTH = 100_000
MAX_NESTING_WORK = 1_000_000_000

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9:_.-]{0,63}")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr", "param", "keygen", "basefont", "bgsound", "frame", "image"})
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})
_NOT_COUNTED = frozenset({"html", "head", "body"})
# start tags that close an open element of their group first (the end tags HTML lets a page omit)
_CLOSES = {"p": {"p"}, "li": {"li"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"}, "option": {"option"},
           "optgroup": {"optgroup", "option"}, "td": {"td", "th"}, "th": {"td", "th"}, "tr": {"tr", "td", "th"},
           "thead": {"thead", "tbody", "tfoot", "tr", "td", "th"}, "tbody": {"thead", "tbody", "tfoot", "tr", "td", "th"},
           "tfoot": {"thead", "tbody", "tfoot", "tr", "td", "th"}, "rb": {"rb", "rt", "rp", "rtc"},
           "rt": {"rb", "rt", "rp"}, "rp": {"rb", "rt", "rp"}}
# start tags that look for an open <p> in the whole stack (the tree builder's quadratic step)
_BLOCK = frozenset({"address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl",
                    "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol",
                    "p", "search", "section", "summary", "ul", "pre", "listing", "form", "table", "hr", "xmp",
                    "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt", "li", "plaintext"})
_END_SEARCH = 16  # an end tag closes an element this far down the stack at most (else it is ignored)
_RAW_END = {name: re.compile(rf"</{name}[\s/>]", re.I) for name in _RAW_TEXT}


@dataclass(slots=True)
class MarkupStats:
    """What the pass saw (up to the cap it stopped at)."""

    elements: int = 0
    max_depth: int = 0
    nesting_work: int = 0
    exceeded: str | None = None  # the cap the page is over, as a message


def measure_markup(text: str, max_elements: int = MAX_ELEMENTS, max_depth: int = MAX_DEPTH,
                   max_work: int = MAX_NESTING_WORK) -> MarkupStats:
    """Count start tags, nesting depth and the tree builder's stack work; stop at the first cap passed."""
    stats = MarkupStats()
    stack: list[str] = []
    pos, n = 0, len(text)
    find = text.find
    while True:
        pos = find("<", pos)
        if pos < 0 or pos + 1 >= n:
            break
        nxt = text[pos + 1]
        if nxt == "!":
            if text.startswith("<!--", pos):
                end = find("-->", pos + 4)
                if end < 0:
                    break
                pos = end + 3
            else:
                end = find(">", pos + 2)
                if end < 0:
                    break
                pos = end + 1
            continue
        if nxt == "/":
            m = _NAME.match(text, pos + 2)
            if m is None:
                pos += 2
                continue
            name = m.group().lower()
            pos = m.end()
            if stack and stack[-1] == name:
                stack.pop()
            else:
                for i in range(len(stack) - 1, max(len(stack) - 1 - _END_SEARCH, -1), -1):
                    if stack[i] == name:
                        del stack[i:]
                        break
            continue
        m = _NAME.match(text, pos + 1)
        if m is None:
            pos += 1
            continue
        name = m.group().lower()
        end = find(">", m.end())
        if end < 0:
            break
        pos = end + 1
        stats.elements += 1
        if stats.elements > max_elements:
            stats.exceeded = f"more than {max_elements:,} elements"
            break
        if name in _RAW_TEXT:
            close = _RAW_END[name].search(text, pos)
            if close is None:
                break
            pos = close.start()
            continue
        if name == "plaintext":
            break
        if name in _VOID or name in _NOT_COUNTED:
            continue
        group = _CLOSES.get(name)
        if group:
            while stack and stack[-1] in group:
                stack.pop()
        if name in _BLOCK:
            if stack and stack[-1] == "p":
                stack.pop()
            stats.nesting_work += len(stack)
            if stats.nesting_work > max_work:
                stats.exceeded = (f"nesting too costly to parse ({max_work:,} steps of the parser's stack search "
                                  f"passed after {stats.elements:,} elements, {len(stack):,} deep)")
                break
        stack.append(name)
        if len(stack) > stats.max_depth:
            stats.max_depth = len(stack)
            if stats.max_depth > max_depth:
                stats.exceeded = f"elements nested more than {max_depth:,} deep"
                break
    return stats


def within_caps(text: str, max_elements: int = MAX_ELEMENTS, max_depth: int = MAX_DEPTH,
                max_work: int = MAX_NESTING_WORK) -> bool:
    """True when the page cannot pass any cap, from the count of ``<`` alone (one pass in C): every element
    counted starts at a ``<``, so elements and depth are at most that count, and the stack work (the depth at
    each block start tag) at most its square. A real CMS page (3,000-5,000 ``<``) is settled here, without
    the walk (5 ms of Python for a 100 KB page)."""
    tags = text.count("<")
    return tags <= max_elements and tags <= max_depth and tags * tags <= max_work


def check_markup(text: str, what: str = "the page") -> MarkupStats | None:
    """``measure_markup``, raising ``ExtractionError("too_complex")`` when a cap is passed; None (nothing
    measured) when ``within_caps`` shows no cap can be passed."""
    if within_caps(text, MAX_ELEMENTS, MAX_DEPTH, MAX_NESTING_WORK):  # the caps as they are now
        return None
    stats = measure_markup(text, MAX_ELEMENTS, MAX_DEPTH, MAX_NESTING_WORK)  # the caps as they are now
    if stats.exceeded:
        raise ExtractionError("too_complex", f"{what} has {stats.exceeded} (HTML structure caps: "
                                             f"{MAX_ELEMENTS:,} elements, {MAX_DEPTH:,} deep)")
    return stats
