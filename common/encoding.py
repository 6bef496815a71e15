"""Decode web pages and text files to str, tolerating the charsets Chinese government sites use.

Order for HTML (``decode_html``): byte-order mark, HTTP charset, ``<meta charset>`` /
``http-equiv`` / XML-declaration prescan of the first 4 KB, then detection. A declared
charset is used only if the bytes decode with it strictly; a lying declaration (say
``utf-8`` on GBK bytes) falls through to detection. Detection tries strict UTF-8, then
charset-normalizer, then GB18030 when its result reads as Chinese, and finally UTF-8 with
replacement characters. The BOM is checked before the HTTP charset (as WHATWG does): a BOM
is definitive, while GB18030 decodes many UTF-8 byte runs without error.

GB2312 / GBK / CP936 labels are decoded with Python's ``gb18030`` codec, a superset that
also covers characters such as 镕 堃 喆 that the ``gb2312`` codec rejects.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

PRESCAN_BYTES = 4096

# Labels that all mean "some GB encoding": decode them with the superset codec.
_GB_LABELS = {
    "gb2312",
    "gbk",
    "cp936",
    "x-gbk",
    "gb_2312-80",
    "gb_2312",
    "csgb2312",
    "chinese",
    "iso-ir-58",
    "csiso58gb231280",
    "gb18030",
    "ms936",
    "windows-936",
    "euc-cn",
    "x-euc-cn",
}
# Single-byte Western labels: they never fail to decode, so check for UTF-8 first.
_SINGLE_BYTE = {"iso8859-1", "ascii", "cp1252"}
# Python codecs that are no web page charset: a page declaring one (``charset="punycode"``,
# ``"undefined"``, ``"unicode_escape"`` ...) is decoded as if it declared nothing.
_NOT_WEB_CHARSETS = {"punycode", "idna", "undefined", "unicode-escape", "raw-unicode-escape", "charmap",
                     "utf-7", "palmos"}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts with FF FE too
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:\-]+)""", re.I)
_CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


def normalize_charset(label: str | None) -> str | None:
    """Map a declared charset label to a Python codec name (GB family -> gb18030); None if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if not name:
        return None
    if name in _GB_LABELS:
        return "gb18030"
    if name in ("utf8", "unicode-1-1-utf-8", "x-unicode20utf8"):
        name = "utf-8"
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    codec = info.name
    if not getattr(info, "_is_text_encoding", True) or codec in _NOT_WEB_CHARSETS:
        return None  # bytes-to-bytes codecs (base64, zlib ...) and codecs no page is written in
    if codec in ("gbk", "gb2312"):
        return "gb18030"
    return codec


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError, ValueError, TypeError):  # UnicodeError: e.g. punycode's own errors
        return None


def _bom(data: bytes) -> str | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    return None


def prescan_meta_charset(data: bytes) -> str | None:
    """Return the charset label declared by ``<meta>`` or an XML declaration in the first 4 KB."""
    head = data[:PRESCAN_BYTES]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def _reads_as_chinese(text: str) -> bool:
    """True when most non-ASCII characters are CJK ideographs or CJK punctuation."""
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return False
    cjk = sum(1 for ch in non_ascii if _CJK.match(ch))
    return cjk / len(non_ascii) >= 0.9


def _detect(data: bytes) -> tuple[str, str]:
    """Guess the encoding of undeclared (or wrongly declared) bytes."""
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    best = charset_normalizer.from_bytes(data[:2_000_000]).best()
    if best is not None:
        codec = normalize_charset(best.encoding) or best.encoding
        text = _strict(data, codec)
        if text is not None and (codec == "gb18030" or not _looks_cjk_misread(data, text)):
            return text, codec
    text = _strict(data, "gb18030")
    if text is not None and _reads_as_chinese(text):
        return text, "gb18030"
    if best is not None:
        codec = normalize_charset(best.encoding) or best.encoding
        try:
            return data.decode(codec, errors="replace"), codec
        except (UnicodeError, LookupError, ValueError, TypeError):
            pass
    gb = data.decode("gb18030", errors="replace")
    if _reads_as_chinese(gb) and gb.count("\ufffd") * 100 < len(gb):
        return gb, "gb18030"
    return data.decode("utf-8", errors="replace"), "utf-8"


def _looks_cjk_misread(data: bytes, text: str) -> bool:
    """True when GB18030 reads the bytes as Chinese but ``text`` (another codec) does not."""
    gb = _strict(data, "gb18030")
    return gb is not None and _reads_as_chinese(gb) and not _reads_as_chinese(text)


def _try_declared(data: bytes, label: str | None) -> tuple[str, str] | None:
    codec = normalize_charset(label)
    if codec is None:
        return None
    if codec in ("utf-16", "utf-16-le", "utf-16-be", "utf-32") and not _bom(data):
        return None  # a meta tag cannot truthfully declare UTF-16 in an ASCII-readable prefix
    if codec in _SINGLE_BYTE and not data.isascii():
        text = _strict(data, "utf-8")
        if text is not None:
            return text, "utf-8"
        if _strict(data, "gb18030") is not None and _reads_as_chinese(data.decode("gb18030")):
            return None  # Western label on Chinese bytes: let detection decide
    if codec == "gb18030" and not data.isascii():
        text = _strict(data, "utf-8")
        if text is not None:  # valid non-ASCII UTF-8 is never accidental GBK
            return text, "utf-8"
    text = _strict(data, codec)
    return (text, codec) if text is not None else None


def decode_html(data: bytes, http_charset: str | None = None) -> tuple[str, str]:
    """Decode an HTML page; return (text, codec used)."""
    bom = _bom(data)
    if bom:
        text = _strict(data, bom)
        if text is not None:
            return text, bom
    for label in (http_charset, prescan_meta_charset(data)):
        found = _try_declared(data, label)
        if found is not None:
            return found
    return _detect(data)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a plain-text file (.txt): BOM, strict UTF-8, GB18030, charset-normalizer, UTF-8."""
    bom = _bom(data)
    if bom:
        text = _strict(data, bom)
        if text is not None:
            return text, bom
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    text = _strict(data, "gb18030")
    if text is not None and _reads_as_chinese(text):
        return text, "gb18030"
    return _detect(data)
