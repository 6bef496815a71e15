"""Synthetic corpus generator: determinism, ground truth shape and identities, noise, file agreement, hostile files."""

from __future__ import annotations

import hashlib
import io
import re
import time
import zipfile
from pathlib import Path

import polars as pl
import pytest
from selectolax.lexbor import LexborHTMLParser

from tools import synth
from tools.synth import (
    build_report,
    expected_cells,
    generate_corpus,
    hostile_samples,
    iter_reports,
    render_report,
    result_codes,
)

N = 300  # reports in the shared corpus: enough for every noise kind to show up


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, pl.DataFrame]:
    out = generate_corpus(tmp_path_factory.mktemp("synth"), N, seed=5)
    return out, pl.read_parquet(out / "ground_truth.parquet")


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a = _hashes(generate_corpus(tmp_path / "a", 40, seed=3))
    b = _hashes(generate_corpus(tmp_path / "b", 40, seed=3))
    c = _hashes(generate_corpus(tmp_path / "c", 40, seed=4))
    assert a == b
    assert len(a) == 40 + 2  # reports + ground_truth.parquet + manifest.json
    assert a["ground_truth.parquet"] != c["ground_truth.parquet"]


def test_files_ground_truth_and_manifest(corpus, tmp_path: Path, monkeypatch) -> None:
    out, gt = corpus
    files = sorted(p for p in out.rglob("r*") if p.is_file())
    assert len(files) == N
    assert {p.suffix for p in files} == {".txt", ".html", ".docx"}
    assert all(re.fullmatch(r"r\d{6}_(text_tab|text_pipe|html|docx)_20(19|2[0-4])\.(txt|html|docx)", p.name)
               for p in files)
    per_report = gt.group_by("file_name", "template_version").len()
    assert per_report.height == N
    assert set(per_report.filter(pl.col("template_version") == "2019")["len"]) == {198}
    assert set(per_report.filter(pl.col("template_version") == "2021")["len"]) == {200}
    assert (expected_cells("2019"), expected_cells("2021")) == (198, 200)
    assert set(gt["table_code"]) == {"proactive", "applications", "reviews_litigation"}
    assert set(gt["value_status"]) == {"reported", "placeholder", "blank"}
    assert gt.filter(pl.col("value_status") != "reported")["value"].null_count() == \
        gt.filter(pl.col("value_status") != "reported").height
    assert gt.filter(pl.col("value_status") == "reported")["value"].null_count() == 0
    assert all((out / rp).is_file() for rp in gt["rel_path"].unique())
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert '"n": 300' in manifest and '"seed": 5' in manifest and synth.GENERATOR_VERSION in manifest
    # sub-folders hold at most FILES_PER_DIR files
    monkeypatch.setattr(synth, "FILES_PER_DIR", 10)
    small = generate_corpus(tmp_path / "small", 25, seed=1)
    assert sorted(len(list(d.iterdir())) for d in small.iterdir() if d.is_dir()) == [5, 10, 10]


def _cell(gt: pl.DataFrame, table: str) -> pl.DataFrame:
    return gt.filter(pl.col("table_code") == table)


def test_identities_hold(corpus) -> None:
    _, gt = corpus
    app = _cell(gt, "applications")
    wide = app.pivot(on="row_code", index=["file_name", "col_code"], values="value")
    bal = wide.filter((pl.col("new_received") + pl.col("carried_over"))
                      != (pl.col("total_handled") + pl.col("carried_forward")))
    assert bal.height == 0
    for tpl in ("2019", "2021"):
        files = gt.filter(pl.col("template_version") == tpl)["file_name"].unique()
        w = wide.filter(pl.col("file_name").is_in(files.implode()))
        results = w.select(pl.sum_horizontal(result_codes(tpl), ignore_nulls=False).alias("s"), "total_handled")
        # blank totals make the total column's results null: those rows are not assessable
        results = results.filter(pl.col("s").is_not_null())
        assert results.height > 0 and (results["s"] == results["total_handled"]).all()
    by_col = app.pivot(on="col_code", index=["file_name", "row_code"], values="value")
    six = ["natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org"]
    assessable = by_col.filter(pl.col("total").is_not_null())
    assert (assessable.select(pl.sum_horizontal(six))["natural_person"] == assessable["total"]).all()
    assert by_col.filter(pl.col("total").is_null()).height > 0  # blank 总计 rows exist and are skipped
    rl = _cell(gt, "reviews_litigation").pivot(on="col_code", index=["file_name", "row_code"], values="value")
    assert rl.height == 3 * N
    assert (rl.select(pl.sum_horizontal("upheld", "corrected", "other", "pending"))["upheld"]
            == rl["total"]).all()


def test_noise_kinds_appear_at_modest_rates(corpus) -> None:
    out, gt = corpus
    reports = gt.select("file_name", "layout", "noise").unique()
    for kind, rate in synth.NOISE_RATES.items():
        n = reports.filter(pl.col("noise").str.contains(rf"(^|,){kind}(,|$)")).height
        assert n >= 1, kind
        assert n / N <= max(0.3, rate * 2), (kind, n)
    raw = set(gt["raw_text"])
    assert {"-", "—", "/", "无"} & set(gt.filter(pl.col("value_status") == "placeholder")["raw_text"])
    assert any(re.fullmatch(r"\+\d+", x) for x in raw)
    assert any(re.fullmatch(r"\d+（[增减]）", x) for x in raw)
    assert any(x.endswith("万元") for x in raw) and any(x.endswith("元") and not x.endswith("万元") for x in raw)
    assert any(re.fullmatch(r"\d+项", x) for x in raw)
    assert any(re.search("[０-９]", x) for x in raw) and any(x.startswith("\u3000") for x in raw)
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+", x) for x in raw)
    assert set(gt.filter(pl.col("value_status") == "blank")["col_code"]) == {"total"}
    units = gt.filter(pl.col("unit").is_not_null())
    assert set(units["unit"]) == {"万元", "元", "项"}
    # label noise is in the files
    texts = {p.name: p.read_bytes() for p in out.rglob("*.txt")}
    joined = b"".join(texts.values()).decode("utf-8", "replace")
    assert "危机“三安全一稳定”" in joined or "属于行政法案卷" in joined or "上年结转政府信息公开数量" in joined
    assert "商 业 企 业" in joined and "\t三、\n本\n年\n度" in joined and "事项数）" in joined


def _value_rows(rows: list[list[str]]) -> list[list[str]]:
    """Value cells of each data row, in table order (origin cells only, labels first)."""
    out = []
    for row in rows:
        if not row or any("申请人情况" in c or "法人或其他组织" in c or c == "行政复议" for c in row):
            continue  # header rows of tables 3 and 4
        if len(row) == 15:  # table 4 values
            out.append(row)
        elif len(row) >= 8 and not row[0].startswith("结果"):  # table 3 data rows
            out.append(row[-7:])
        elif 2 <= len(row) <= 4 and not row[0].startswith("信息内容"):  # table 2 item rows
            out.append(row[1:])
    return out


def _rows_html(data: bytes) -> list[list[str]]:
    charset = "gbk" if b'charset="gbk"' in data[:200] else "utf-8"
    tree = LexborHTMLParser(data.decode(charset))
    return [[td.text().strip() for td in tr.css("td")] for tr in tree.css("tr")]


def _rows_docx(data: bytes) -> list[list[str]]:
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")
    rows = []
    for tr in re.findall(r"<w:tr>(.*?)</w:tr>", xml):
        cells = []
        for tc in re.findall(r"<w:tc>(.*?)</w:tc>", tr):
            if "<w:vMerge/>" in tc:
                continue  # covered by a row span from above
            cells.append("\n".join("".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", p))
                                   for p in re.findall(r"<w:p>.*?</w:p>|<w:p/>", tc)).strip())
        rows.append(cells)
    return rows


def _rows_text_tab(text: str) -> list[list[str]]:
    rows, cur = [], []
    for line in text.splitlines():
        if line.startswith("\t"):
            cur.append(line[1:])
        elif line == "":
            if cur:
                rows.append(cur)
            cur = []
        elif cur:
            cur[-1] += "\n" + line  # wrapped cell text
    # covered-slot placeholders are empty cells that precede labels; drop them from the front
    return [r[next((i for i, c in enumerate(r) if c), 0):] for r in rows]


def _rows_pipe(text: str) -> list[list[str]]:
    return [re.sub(r" \|(?: \|+)?$", "", line).split(" | ") for line in text.splitlines() if line.endswith("|")]


def test_files_agree_with_ground_truth(corpus) -> None:
    out, gt = corpus
    checked = {"text_tab": 0, "text_pipe": 0, "html": 0, "docx": 0}
    by_file = {k[0]: v for k, v in gt.partition_by("file_name", as_dict=True).items()}
    for name, cells in list(by_file.items())[:120]:
        path = out / cells["rel_path"][0]
        data = path.read_bytes()
        layout = cells["layout"][0]
        if layout == "html":
            rows = _rows_html(data)
        elif layout == "docx":
            rows = _rows_docx(data)
        elif layout == "text_tab":
            rows = _rows_text_tab(data.decode("utf-8-sig"))
        else:
            rows = _rows_pipe(data.decode("utf-8-sig"))
        got = [c.strip() for row in _value_rows(rows) for c in row]
        want = [x.strip() for x in cells["raw_text"]]
        assert got == want, name
        checked[layout] += 1
        # the narrative agrees with the table
        text = data.decode("gbk" if b'charset="gbk"' in data[:200] else "utf-8-sig", "replace") \
            if layout != "docx" else zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
        total = cells.filter((pl.col("row_code") == "new_received") & (pl.col("col_code") == "total"))["value"][0]
        assert f"全年共收到政府信息公开申请{int(total)}件" in text
        assert cells["publisher_name"][0] in text
    assert min(checked.values()) >= 10, checked


def test_canonical_labels_in_clean_report() -> None:
    for i in range(200):
        report, blocks = build_report(i, seed=9, layouts=("text_tab",), templates=("2021",))
        if not report.noise:
            break
    text = render_report(report, blocks).decode("utf-8")
    for label in ["3.危及“三安全一稳定”", "7.属于行政执法案卷", "二、上年结转政府信息公开申请数量", "本年收费金额（单位：万元）",
                  "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "（七）总计",
                  "四、结转下年度继续办理", "未经复议直接起诉", "行政规范性文件", "本年制发件数", "现行有效件数"]:
        assert "\t" + label + "\n" in text, label
    title = text.splitlines()[0]
    assert title in (f"{report.publisher}{report.year}年政府信息公开工作年度报告",
                     f"{report.short_name}{report.year}年政府信息公开工作年度报告")


def test_docx_opens_with_python_docx_and_keeps_merges() -> None:
    import docx

    report, blocks = build_report(0, seed=2, layouts=("docx",), templates=("2019",))
    doc = docx.Document(io.BytesIO(render_report(report, blocks)))
    assert len(doc.tables) in (3, 4)
    t3 = doc.tables[1]
    first_col = [row.cells[0]._tc for row in t3.rows[5:]]
    assert len({id(tc) for tc in first_col[:20]}) < 20  # vMerge: 三、本年度办理结果 spans rows
    assert doc.tables[-1].rows[-1].cells[-1].text == report.truth("reviews_litigation",
                                                                   "litigation_after_review", "total").raw_text


def test_generation_speed_1000_reports(tmp_path: Path) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    generate_corpus(tmp_path, 1000, seed=0, layouts=("text_tab", "text_pipe", "html"))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"\nsynth: 1000 text/html reports in {wall:.2f}s wall ({1000 / wall:.0f}/s), "
          f"{cpu:.2f}s cpu ({1000 / cpu:.0f}/s)")
    started = time.perf_counter()
    n = sum(1 for _ in iter_reports(200, seed=0, layouts=("docx",)))
    print(f"synth: docx {n / (time.perf_counter() - started):.0f}/s (in memory)")
    assert 1000 / wall > 200  # a regression guard on a shared machine, not the target (>= 2000/s)


def test_hostile_samples(tmp_path: Path) -> None:
    paths = hostile_samples(tmp_path, big_html_bytes=3 * 1024 * 1024)
    by = {p.name: p for p in paths}
    assert by["empty.html"].stat().st_size == 0 and by["empty.pdf"].stat().st_size == 0
    bomb = zipfile.ZipFile(by["zip_bomb.docx"])
    info = bomb.getinfo("word/document.xml")
    assert info.file_size > 1 << 30 and by["zip_bomb.docx"].stat().st_size < 4 << 20
    with bomb.open(info) as fh:
        assert fh.read(64).startswith(b'<?xml version="1.0"')
    assert by["big.html"].stat().st_size >= 3 * 1024 * 1024
    assert by["big.html"].read_bytes().rstrip().endswith(b"</html>")
    real = synth.FIXTURE_PDF.read_bytes()
    trunc = by["truncated.pdf"].read_bytes()
    assert real.startswith(trunc) and len(trunc) < len(real) and b"%%EOF" not in trunc[-1024:]
    lying = by["lying_encoding.html"].read_bytes()
    assert b'charset="utf-8"' in lying
    with pytest.raises(UnicodeDecodeError):
        lying.decode("utf-8")
    assert "政府信息公开" in lying.decode("gbk")
    assert _rows_html(by["missing_table3.html"].read_bytes()) and \
        by["missing_table3.html"].read_text(encoding="utf-8").count("<table") == 2
    extra = by["extra_rows_cols.html"].read_text(encoding="utf-8")
    assert "其他主动公开文件" in extra and "备注" in extra
    odd = by["odd_numbers.html"].read_text(encoding="utf-8")
    assert all(x in odd for x in ("1e308", "12,34,5", "０１２"))
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(by["truncated.docx"])


def test_pdf_layout_has_text_layer_and_ruled_tables(tmp_path: Path) -> None:
    import pdfplumber

    out = generate_corpus(tmp_path, 6, seed=1, layouts=("pdf",))
    gt = pl.read_parquet(out / "ground_truth.parquet")
    pages_seen = 0
    for name, cells in gt.partition_by("file_name", as_dict=True).items():
        path = out / cells["rel_path"][0]
        assert path.read_bytes().startswith(b"%PDF-1.4") and path.suffix == ".pdf"
        with pdfplumber.open(path) as pdf:
            text = "".join(p.extract_text() for p in pdf.pages).replace("\n", "")
            tables = [t for p in pdf.pages for t in p.extract_tables()]
            pages_seen += len(pdf.pages)
        total = cells.filter((pl.col("row_code") == "new_received") & (pl.col("col_code") == "total"))["value"][0]
        assert f"全年共收到政府信息公开申请{int(total)}件" in text, name
        t4 = cells.filter(pl.col("table_code") == "reviews_litigation")["raw_text"].to_list()
        assert [c.strip() for c in tables[-1][-1]] == [x.strip() for x in t4]
        assert len(tables) >= 3
    assert pages_seen > 6  # tables run over page breaks
