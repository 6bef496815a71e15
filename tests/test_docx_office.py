"""DOC / WPS through LibreOffice headless: real conversions (slow) and the routing around them.

The slow tests need LibreOffice (Debian: apt-get install -y --no-install-recommends
libreoffice-writer-nogui); without it they fail with ExtractionError("converter_missing").
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common.errors import ExtractionError
from extractors import office
from extractors.office import convert, convert_to_docx, extract_word
from tests.conftest import load_module

FIXTURES = Path(__file__).parent / "fixtures" / "docx"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


build_report = load_module(FIXTURES / "build_report.py")
docx_tests = load_module(Path(__file__).with_name("test_docx_extractor.py"))


@pytest.fixture(scope="module")
def report_doc() -> bytes:
    """Seed 000's synthetic DOCX saved as a Word 97 .doc by LibreOffice."""
    data = convert(build_report.build_report_docx(), ".docx", target="doc")
    assert data.startswith(OLE_MAGIC)
    return data


@pytest.mark.slow
def test_doc_round_trip_keeps_merged_cells(report_doc: bytes) -> None:
    doc = extract_word(report_doc, ".doc")
    assert doc.layout == "doc"
    assert doc.meta["converted_by"] == "libreoffice" and doc.meta["source_container"] == "ole"
    docx_tests.assert_seed_000_tables(doc)
    assert doc.title == "常州市武进区人民政府2020年政府信息公开工作年度报告"
    lines = doc.text.split("\n")
    assert [line for line in lines if not line.startswith("\t")] == build_report.narrative_paragraphs()


@pytest.mark.slow
def test_wps_named_file_is_read_as_wps(report_doc: bytes) -> None:
    # Kingsoft WPS Writer .wps files are OLE compound files like .doc; the suffix sets the layout.
    doc = extract_word(report_doc, "WPS")
    assert doc.layout == "wps"
    assert [(t.n_rows, t.n_cols) for t in doc.tables] == [(18, 4), (26, 10), (4, 15)]
    assert doc.tables[1].grid()[24][3].text == "181"


@pytest.mark.slow
def test_html_saved_as_doc_is_converted() -> None:
    # Sites often serve Word-exported HTML with a .doc name; LibreOffice reads it, spans included.
    html = (
        "<html><head><meta charset='utf-8'></head><body><p>三、收到和处理政府信息公开申请情况</p>"
        "<table border=1><tr><td rowspan=2>自然人</td><td colspan=2>法人或其他组织</td></tr>"
        "<tr><td>商业企业</td><td>科研机构</td></tr><tr><td>190</td><td>12</td><td>0</td></tr></table>"
        "</body></html>"
    ).encode()
    doc = extract_word(html, ".doc")
    assert doc.layout == "doc" and doc.meta["source_container"] == "html"
    assert docx_tests.texts(doc.tables[0]) == [
        ["自然人", "法人或其他组织", "法人或其他组织"],
        ["自然人", "商业企业", "科研机构"],
        ["190", "12", "0"],
    ]
    assert doc.text.startswith("三、收到和处理政府信息公开申请情况\n")


@pytest.mark.slow
def test_conversion_timeout_kills_libreoffice() -> None:
    with pytest.raises(ExtractionError) as info:
        convert_to_docx(OLE_MAGIC + b"\x00" * 4096, ".doc", timeout=0.05)
    assert info.value.code == "conversion_timeout"
    leftovers = []
    for pid in os.listdir("/proc"):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if b"xxgk-soffice-" in cmdline:
            leftovers.append(pid)
    assert leftovers == []


@pytest.mark.slow
def test_unloadable_doc_is_conversion_failed() -> None:
    # An OLE header naming a WordDocument stream with nothing behind it: LibreOffice writes no DOCX.
    junk = OLE_MAGIC + b"\xff" * 512 + "WordDocument".encode("utf-16-le") + b"\x00" * 512
    with pytest.raises(ExtractionError) as info:
        extract_word(junk, ".doc")
    assert info.value.code == "conversion_failed"
    assert "produced no docx" in info.value.message


def test_missing_libreoffice_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("XXGK_SOFFICE", raising=False)
    with pytest.raises(ExtractionError) as info:
        convert_to_docx(OLE_MAGIC + b"\x00" * 100, ".doc")
    assert info.value.code == "converter_missing"
    assert "apt-get install -y --no-install-recommends libreoffice-writer-nogui" in info.value.message


def test_docx_renamed_to_doc_skips_conversion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no LibreOffice needed for a zip
    doc = extract_word((FIXTURES / "report_000.docx").read_bytes(), ".doc")
    assert doc.layout == "docx" and doc.meta["declared_suffix"] == ".doc"
    docx_tests.assert_seed_000_tables(doc)


@pytest.mark.parametrize(
    ("data", "suffix", "code"),
    [
        (b"plain text, not a Word file " * 20, ".doc", "doc_unreadable"),
        (b"\x00\x01\x02garbage" * 50, ".wps", "wps_unreadable"),
        (b"", ".doc", "doc_unreadable"),
        (OLE_MAGIC, ".pdf", "conversion_failed"),
        (OLE_MAGIC + b"\xff" * 1024, ".doc", "doc_unreadable"),  # no WordDocument stream
        (OLE_MAGIC + "EncryptedPackage".encode("utf-16-le"), ".doc", "doc_unreadable"),
    ],
)
def test_unrecognised_bytes_are_refused_before_libreoffice(data: bytes, suffix: str, code: str) -> None:
    with pytest.raises(ExtractionError) as info:
        extract_word(data, suffix)
    assert info.value.code == code


def test_oversized_input_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "MAX_INPUT_BYTES", 1000)
    with pytest.raises(ExtractionError) as info:
        convert_to_docx(OLE_MAGIC + b"\x00" * 2000, ".doc")
    assert info.value.code == "too_large"
