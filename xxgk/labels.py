"""The ``labels`` table: every code of the template tables with its Chinese label as the template prints it.

Generated from the template registry (transforms/registry/*.yaml: the first label of each code is the
template's wording, the rest are variants seen in the wild) and the template versions that print it; the
English labels come from the data dictionary (xxgk/dictionary.yaml, ``en:`` of each code). A code printed
differently by two versions (规范性文件 in 2019, 行政规范性文件 in 2021) has one row per wording.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from transforms.registry import REGISTRY_DIR, load_registry
from xxgk.dictionary import Dictionary, load_dictionary

COLUMNS = ("table_code", "code_kind", "code", "label_zh", "label_en", "template_versions", "group_code",
           "sort_order", "is_money")
# code_kind -> the dictionary's code list holding its English labels
CODE_LISTS = {"table": "table_code", "article": "article_code", "item": "item_code", "metric": "metric_code",
              "outcome": "outcome_code", "outcome_group": "outcome_group", "applicant": "applicant_code",
              "block": "block_code", "result": "result_code", "path": "path_code"}


def _registry_dir() -> Path:
    return Path(os.environ.get("XXGK_REGISTRY_DIR") or REGISTRY_DIR)


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def label_rows(dictionary: Dictionary | None = None) -> list[dict]:
    """One dict per (table, kind, code, wording): the rows of the ``labels`` table."""
    d = dictionary or load_dictionary()
    registry = load_registry()
    folder = _registry_dir()
    common = _yaml(folder / "common.yaml")
    version_specs = {v: _yaml(p) for p in sorted(folder.glob("*.yaml")) if p.name != "common.yaml"
                     for v in [str(_yaml(p).get("version"))]}
    versions = list(registry.versions)
    rows: dict[tuple, dict] = {}

    def english(kind: str, code: str) -> str | None:
        codes = d.codes.get(CODE_LISTS[kind])
        found = next((c for c in codes.codes if c.code == code), None) if codes else None
        return found.en if found and found.en else None

    def chinese(kind: str, code: str) -> str | None:
        codes = d.codes.get(CODE_LISTS[kind])
        found = next((c for c in codes.codes if c.code == code), None) if codes else None
        return found.label if found else None

    def add(table: str, kind: str, code: str, label: str | None, version: str, group: str | None = None,
            money: bool | None = None) -> None:
        key = (table, kind, code, label)
        row = rows.setdefault(key, {"table_code": table, "code_kind": kind, "code": code, "label_zh": label,
                                    "label_en": english(kind, code), "template_versions": [], "group_code": group,
                                    "sort_order": len(rows), "is_money": money})
        if version not in row["template_versions"]:
            row["template_versions"].append(version)

    for version in versions:
        for table in registry.table_codes:
            add(table, "table", table, chinese("table", table), version)
        for article in registry.articles:
            add("proactive", "article", article, chinese("article", article), version)
        template = registry.templates[version]
        spec = version_specs.get(version, {}).get("proactive", {})
        metric_labels = {code: (m.get("labels") or [None])[0] for code, m in (spec.get("metrics") or {}).items()}
        item_labels = {i["code"]: (i.get("labels") or [None])[0] for i in spec.get("items") or []}
        for item in template.items:
            add("proactive", "item", item.code, item_labels.get(item.code), version, group=item.article)
        for metric in template.metrics:
            add("proactive", "metric", metric, metric_labels.get(metric), version,
                money=metric in template.money_metrics)
        first = {r["code"]: r["labels"][0] for r in common.get("applications", {}).get("rows", [])}
        extra = version_specs.get(version, {}).get("applications", {}) or {}
        first.update({r["code"]: r["labels"][0] for r in extra.get("rows") or []})
        for code in template.application_rows:
            add("applications", "outcome", code, first.get(code), version, group=registry.app_row_groups.get(code))
        groups = dict.fromkeys(g for g in (registry.app_row_groups.get(c) for c in template.application_rows) if g)
        for group in groups:
            add("applications", "outcome_group", group, chinese("outcome_group", group), version)
        for column in common.get("applications", {}).get("columns", []):
            add("applications", "applicant", column["code"], column["labels"][0], version)
        rl = common.get("reviews_litigation", {})
        for block in rl.get("blocks", []):
            add("reviews_litigation", "block", block["code"], block["labels"][0], version)
        for result in rl.get("results", []):
            add("reviews_litigation", "result", result["code"], result["labels"][0], version)
        path_codes = d.codes.get("path_code")
        for path in path_codes.codes if path_codes else ():
            add("reviews_litigation", "path", path.code, path.label, version)
    return list(rows.values())


def load_labels(con) -> int:
    """Create ``main.labels`` in the warehouse being built; returns its row count."""
    import pyarrow as pa

    rows = label_rows()
    schema = pa.schema([("table_code", pa.string()), ("code_kind", pa.string()), ("code", pa.string()),
                        ("label_zh", pa.string()), ("label_en", pa.string()),
                        ("template_versions", pa.list_(pa.string())), ("group_code", pa.string()),
                        ("sort_order", pa.int32()), ("is_money", pa.bool_())])
    table = pa.Table.from_pylist(rows, schema=schema)
    con.register("labels_frame", table)
    con.execute("CREATE TABLE main.labels AS SELECT * FROM labels_frame ORDER BY sort_order")
    con.unregister("labels_frame")
    return len(rows)
