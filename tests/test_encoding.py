"""Page and text decoding: declared charsets, BOMs, lying declarations, detection."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from common.encoding import decode_html, decode_text, normalize_charset, prescan_meta_charset

HTML = Path(__file__).parent / "fixtures" / "html"
RARE = "朱镕基同志题词的档案馆设立查阅点，王堃、李喆两位同志"  # 镕 堃 喆 are not in GB2312


def test_gb2312_codec_really_fails_on_rare_characters() -> None:
    # The reason every GB label is decoded with gb18030.
    with pytest.raises(UnicodeEncodeError):
        "镕".encode("gb2312")


@pytest.mark.parametrize(
    ("label", "codec"),
    [("GB2312", "gb18030"), ("gbk", "gb18030"), ("x-gbk", "gb18030"), ("cp936", "gb18030"),
     ("GB_2312-80", "gb18030"), ('"gb2312"', "gb18030"), ("UTF8", "utf-8"), ("utf-8", "utf-8"),
     ("big5", "big5"), ("no-such-charset", None), ("", None), (None, None)],
)
def test_normalize_charset(label: str | None, codec: str | None) -> None:
    assert normalize_charset(label) == codec


def test_meta_charset_without_http_charset() -> None:
    data = (HTML / "gbk_meta_gb2312.html").read_bytes()
    assert prescan_meta_charset(data) == "gb2312"
    text, codec = decode_html(data)
    assert codec == "gb18030"
    assert RARE in text


def test_http_equiv_prescan() -> None:
    data = b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=GBK"></head>'
    assert prescan_meta_charset(data) == "GBK"


def test_no_declaration_is_detected_as_gb18030() -> None:
    data = (HTML / "gbk_no_meta.html").read_bytes()
    assert prescan_meta_charset(data) is None
    text, codec = decode_html(data)
    assert codec == "gb18030"
    assert RARE in text


def test_lying_meta_utf8_on_gbk_bytes_falls_back_to_detection() -> None:
    data = (HTML / "gbk_declared_utf8.html").read_bytes()
    text, codec = decode_html(data)
    assert codec == "gb18030"
    assert RARE in text


def test_lying_http_charset_falls_back_to_meta() -> None:
    data = (HTML / "gbk_meta_gb2312.html").read_bytes()
    text, codec = decode_html(data, http_charset="utf-8")
    assert codec == "gb18030"
    assert RARE in text


def test_http_charset_is_used_first() -> None:
    data = (HTML / "gbk_no_meta.html").read_bytes()
    text, codec = decode_html(data, http_charset="GBK")
    assert codec == "gb18030"
    assert RARE in text


def test_gb_label_on_utf8_bytes_decodes_as_utf8() -> None:
    data = f'<meta charset="gb2312"><p>{RARE}</p>'.encode()
    text, codec = decode_html(data)
    assert codec == "utf-8"
    assert RARE in text


def test_utf8_bom_wins_and_is_removed() -> None:
    data = (HTML / "utf8_bom.html").read_bytes()
    text, codec = decode_html(data, http_charset="gbk")
    assert codec == "utf-8-sig"
    assert text.startswith("<!DOCTYPE html>")
    assert RARE in text


def test_undecodable_bytes_are_replaced_not_raised() -> None:
    data = b"<p>\xff\xfe\xfd\xfc abc \x80</p>" * 3
    text, _codec = decode_html(data)
    assert "abc" in text


def test_decode_text_utf8_gbk_and_utf16_bom() -> None:
    assert decode_text(RARE.encode("utf-8")) == (RARE, "utf-8")
    assert decode_text(RARE.encode("gb18030")) == (RARE, "gb18030")
    text, codec = decode_text(codecs.BOM_UTF16_LE + RARE.encode("utf-16-le"))
    assert (text, codec) == (RARE, "utf-16")
    text, codec = decode_text(codecs.BOM_UTF8 + RARE.encode("utf-8"))
    assert (text, codec) == (RARE, "utf-8-sig")
