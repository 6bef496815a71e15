"""A template year is one YAML file: a made-up 2027 template (a renamed metric and row label, two new
rows of table 3, a changed identity) gives exact facts, its detected version, inference by its own
identity and the generated SQL checks, with no Python edited (README: Adding a template year)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from transforms.registry import REGISTRY_DIR, load_registry

TEMPLATE_2027 = """\
# A made-up template year for tests/test_template_year.py (not a real national template).
version: "2027"
proactive:
  detect: [本年印发件数, 本年废止件数, 现行有效件数, 本年处理决定数量, 本年收费金额]
  metrics:
    issued: {labels: [本年印发件数]}            # renamed (2021: 本年制发件数)
    repealed: {labels: [本年废止件数]}
    in_force: {labels: [现行有效件数]}
    decisions: {labels: [本年处理决定数量]}
    fee_amount: {labels: [本年收费金额], money: true}
  items:
    - {code: rules, article: art20_1, labels: [规章], metrics: [issued, repealed, in_force]}
    - {code: normative_docs, article: art20_1, labels: [行政规范性文件], metrics: [issued, repealed, in_force]}
    - {code: licensing, article: art20_5, labels: [行政许可], metrics: [decisions]}
    - {code: penalties, article: art20_6, labels: [行政处罚], metrics: [decisions]}
    - {code: coercion, article: art20_6, labels: [行政强制], metrics: [decisions]}
    - {code: fees, article: art20_8, labels: [行政事业性收费], metrics: [fee_amount]}
applications:
  rows:                                          # new rows, in place
    - {code: withheld_generated, group: withheld, after: withheld_inquiry, labels: [属于人工智能生成信息]}
    - {code: transferred, after: carried_forward, labels: [移送其他机关办理]}
  labels:                                        # a row renamed
    carried_over: [上年度结转申请数量]
identities:
  app_balance:                                   # changed: what was transferred leaves the balance too
    table: applications
    for_each: column
    expected: [new_received, carried_over]
    actual: [total_handled, carried_forward, transferred]
    severity: error
    infer: true
"""

ZERO = "| 0 | 0 | 0 | 0 | 0 | 0 | 0 |"
ROWS_2027 = [
    ("一、本年新收政府信息公开申请数量", "| 10 | 2 | 0 | 0 | 0 | 0 | 12 |"),
    ("二、上年度结转申请数量", "| 1 | 0 | 0 | 0 | 0 | 0 | 1 |"),
    ("三、本年度办理结果 （一）予以公开", "| 5 | 1 | 0 | 0 | 0 | 0 | 6 |"),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "| 1 | 0 | 0 | 0 | 0 | 0 | 1 |"),
    ("（三）不予公开 1.属于国家秘密", ZERO), ("2.其他法律行政法规禁止公开", ZERO),
    ("3.危及“三安全一稳定”", ZERO), ("4.保护第三方合法权益", ZERO), ("5.属于三类内部事务信息", ZERO),
    ("6.属于四类过程性信息", ZERO), ("7.属于行政执法案卷", ZERO), ("8.属于行政查询事项", ZERO),
    ("9.属于人工智能生成信息", "| 1 | 0 | 0 | 0 | 0 | 0 | 1 |"),
    ("（四）无法提供 1.本机关不掌握相关政府信息", "| 1 | 1 | 0 | 0 | 0 | 0 | 2 |"),
    ("2.没有现成信息需要另行制作", ZERO), ("3.补正后申请内容仍不明确", ZERO),
    ("（五）不予处理 1.信访举报投诉类申请", ZERO), ("2.重复申请", ZERO), ("3.要求提供公开出版物", ZERO),
    ("4.无正当理由大量反复申请", ZERO), ("5.要求行政机关确认或重新出具已获取信息", ZERO),
    ("（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", ZERO),
    ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", ZERO), ("3.其他", ZERO),
    ("（七）总计", "| 8 | 2 | 0 | 0 | 0 | 0 | 10 |"),
    # 四、结转下年度继续办理 is not printed: the 2027 balance gives it back (11 = 8 + ? + 2)
    ("五、移送其他机关办理", "| 2 | 0 | 0 | 0 | 0 | 0 | 2 |"),
]


def report_2027() -> str:
    lines = [
        "测试县人民政府2027年政府信息公开工作年度报告",
        "一、总体情况", "本报告为测试用合成样本（synthetic），按虚构的2027年模板编写。",
        "二、主动公开政府信息情况",
        "| 第二十条第（一）项 | | | |", "| 信息内容 | 本年印发件数 | 本年废止件数 | 现行有效件数 |",
        "| 规章 | 1 | 0 | 5 |", "| 行政规范性文件 | 12 | 3 | 80 |",
        "| 第二十条第（五）项 | |", "| 信息内容 | 本年处理决定数量 |", "| 行政许可 | 300 |",
        "| 第二十条第（六）项 | |", "| 信息内容 | 本年处理决定数量 |", "| 行政处罚 | 50 |", "| 行政强制 | 2 |",
        "| 第二十条第（八）项 | |", "| 信息内容 | 本年收费金额（单位：万元） |", "| 行政事业性收费 | 12.5 |",
        "三、收到和处理政府信息公开申请情况",
        "| （本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项加第五项之和） | 申请人情况 | | | | | | |",
        "| | 自然人 | 法人或其他组织 | | | | | 总计 |",
        "| | | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | |",
        *(f"| {label} {values}" for label, values in ROWS_2027),
        "四、政府信息公开行政复议、行政诉讼情况",
        "| 行政复议 | | | | | 行政诉讼 | | | | | | | | | |",
        "| | | | | | 未经复议直接起诉 | | | | | 复议后起诉 | | | | |",
        "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |"
        " 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |",
        "| 1 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
        "五、政府信息公开工作存在的主要问题及改进情况", "无。", "六、其他需要报告的事项", "本年度未收取信息处理费。",
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def registry_2027(tmp_path, monkeypatch) -> Path:
    """The shipped registry plus 2027.yaml, in a folder of its own named by XXGK_REGISTRY_DIR."""
    folder = tmp_path / "registry"
    shutil.copytree(REGISTRY_DIR, folder)
    (folder / "2027.yaml").write_text(TEMPLATE_2027, encoding="utf-8")
    monkeypatch.setenv("XXGK_REGISTRY_DIR", str(folder))
    return folder


def test_a_template_year_is_one_yaml_file(registry_2027, tmp_path):
    from xxgk import staging
    from xxgk.build import build_warehouse
    from xxgk.process import process_item
    from xxgk.records import SourceItem, source_uri_for

    registry = load_registry()
    assert registry.versions == ("2019", "2021", "2027")
    template = registry.templates["2027"]
    assert template.application_rows[template.application_rows.index("withheld_inquiry") + 1] == "withheld_generated"
    assert template.application_rows[-2:] == ("carried_forward", "transferred")

    path = tmp_path / "report_2027.txt"
    path.write_text(report_2027(), encoding="utf-8")
    records = process_item(SourceItem(source_uri_for(path), str(path)))
    report = records.report
    assert (report["template_version"], report["proactive_template"], report["applications_template"]) == (
        "2027", "2027", "2027")
    facts = {(f["table_code"], f["row_code"], f["col_code"]): f for f in records.facts}
    applicants = registry.applicant_codes

    def row(code: str) -> list:
        return [facts[("applications", code, a)]["value"] for a in applicants]

    assert facts[("proactive", "rules", "issued")]["value"] == 1  # the renamed metric
    assert facts[("proactive", "fees", "fee_amount")]["amount_yuan"] == "125000.0"
    assert row("carried_over") == [1, 0, 0, 0, 0, 0, 1]  # the renamed row
    assert row("withheld_generated") == [1, 0, 0, 0, 0, 0, 1]  # a new row, in its group
    assert facts[("applications", "withheld_generated", "total")]["outcome_group"] == "withheld"
    assert row("transferred") == [2, 0, 0, 0, 0, 0, 2]  # a new row
    # the changed identity infers the row that was not printed: 11 = 8 + 1 + 2 (2021's balance would give 3)
    forward = [facts[("applications", "carried_forward", a)] for a in applicants]
    assert [f["value"] for f in forward] == [1, 0, 0, 0, 0, 0, 1]
    assert {f["value_status"] for f in forward} == {"inferred"}
    assert all(f["note"] == "row not found in table 3; inferred from app_balance" for f in forward)
    assert report["status"] == "partial" and report["status_reason"].startswith("7 cells inferred")

    db = tmp_path / "w.duckdb"
    con = staging.connect(staging.staging_path(db))
    staging.load_batch(con, [records])
    con.close()
    build_warehouse(db)
    with duckdb.connect(str(db), read_only=True) as con:
        terms = con.execute("select term_code, side from checks.identity_terms where check_code = 'app_balance'"
                            " and template_version = '2027' order by side, term_code").fetchall()
        assert terms == [("carried_forward", "actual"), ("total_handled", "actual"), ("transferred", "actual"),
                         ("carried_over", "expected"), ("new_received", "expected")]
        checks = dict(con.execute("select check_code || ' ' || scope, status from dq_check_results").fetchall())
    # the generated checks: table 3's results include the new row (8 = 5 + 1 + 1 + 1), the balance of a column
    # with an inferred term is not assessable, and each row's total is its six columns
    assert checks["app_results_sum column:natural_person"] == "pass"
    assert checks["app_results_sum column:total"] == "pass"
    assert checks["app_balance column:natural_person"] == "not_assessable"
    assert checks["app_applicant_sum row:withheld_generated"] == "pass"
    assert checks["app_applicant_sum row:transferred"] == "pass"
    assert checks["rl_sum block:admin_review"] == "pass"
    assert len([k for k in checks if k.startswith("app_applicant_sum row:")]) == len(template.application_rows)


def test_without_the_yaml_file_the_new_rows_are_not_template_rows(tmp_path):
    """The same report read with the shipped registry: no 2027, the new rows are kept aside, not mapped."""
    from xxgk.process import process_item
    from xxgk.records import SourceItem, source_uri_for

    path = tmp_path / "report_2027.txt"
    path.write_text(report_2027(), encoding="utf-8")
    records = process_item(SourceItem(source_uri_for(path), str(path)))
    assert records.report["applications_template"] == "2021"
    assert {u["label_text"] for u in records.unmapped} >= {"9.属于人工智能生成信息", "五、移送其他机关办理"}


def test_the_loader_rejects_unknown_keys(tmp_path):
    from transforms.registry import RegistryError

    folder = tmp_path / "registry"
    shutil.copytree(REGISTRY_DIR, folder)
    (folder / "2027.yaml").write_text(TEMPLATE_2027.replace("  labels:                                        #",
                                                            "  lables:                                        #"),
                                      encoding="utf-8")
    with pytest.raises(RegistryError, match="2027.yaml applications: unknown key"):
        load_registry(folder)
