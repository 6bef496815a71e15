"""Load the template registries (transforms/registry/*.yaml): layout knowledge kept as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from transforms.labels import normalize_label

REGISTRY_DIR = Path(__file__).parent / "registry"
APPLICANT_ORDER = ["natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total"]
RESULT_ORDER = ["upheld", "corrected", "other", "pending", "total"]
BLOCK_ORDER = ["admin_review", "litigation_direct", "litigation_after_review"]


@dataclass(frozen=True)
class ProactiveItem:
    code: str
    article: str
    labels: tuple[str, ...]
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    """One template version: table 2 items and metrics, table 3 rows."""

    version: str
    detect: tuple[str, ...]
    metrics: dict[str, tuple[str, ...]]  # metric_code -> normalised labels
    money_metrics: frozenset[str]
    items: tuple[ProactiveItem, ...]
    application_rows: tuple[str, ...]  # outcome codes in template order

    def item(self, code: str) -> ProactiveItem | None:
        return next((i for i in self.items if i.code == code), None)

    def cell_count(self) -> dict[str, int]:
        return {
            "proactive": sum(len(i.metrics) for i in self.items),
            "applications": len(self.application_rows) * len(APPLICANT_ORDER),
            "reviews_litigation": len(BLOCK_ORDER) * len(RESULT_ORDER),
        }


@dataclass(frozen=True)
class Registry:
    templates: dict[str, Template]
    articles: tuple[str, ...]
    proactive_header: tuple[str, ...]
    app_header_markers: tuple[str, ...]
    app_columns: dict[str, tuple[str, ...]]
    app_rows: dict[str, tuple[str, ...]]  # outcome_code -> normalised labels
    app_row_groups: dict[str, str | None]
    app_row_versions: dict[str, tuple[str, ...] | None]
    app_group_labels: tuple[str, ...]
    rl_header_markers: tuple[str, ...]
    rl_blocks: dict[str, tuple[str, ...]]
    rl_results: dict[str, tuple[str, ...]]
    identities: dict[str, dict] = field(default_factory=dict)


def _norm(labels) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalize_label(label) for label in labels))


@lru_cache(maxsize=1)
def load_registry(directory: Path = REGISTRY_DIR) -> Registry:
    """Read common.yaml and one YAML file per template version."""
    common = yaml.safe_load((directory / "common.yaml").read_text(encoding="utf-8"))
    apps = common["applications"]
    app_rows = {r["code"]: _norm(r["labels"]) for r in apps["rows"]}
    versions = {r["code"]: tuple(r["versions"]) if r.get("versions") else None for r in apps["rows"]}
    templates = {}
    for path in sorted(directory.glob("[0-9]*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        version = str(spec["version"])
        pro = spec["proactive"]
        templates[version] = Template(
            version=version,
            detect=_norm(pro["detect"]),
            metrics={code: _norm(m["labels"]) for code, m in pro["metrics"].items()},
            money_metrics=frozenset(code for code, m in pro["metrics"].items() if m.get("money")),
            items=tuple(
                ProactiveItem(i["code"], i["article"], _norm(i["labels"]), tuple(i["metrics"]))
                for i in pro["items"]
            ),
            application_rows=tuple(
                code for code in app_rows if versions[code] is None or version in versions[code]
            ),
        )
    rl = common["reviews_litigation"]
    return Registry(
        templates=templates,
        articles=tuple(common["articles"]),
        proactive_header=_norm(common["proactive_header"]),
        app_header_markers=_norm(apps["header_markers"]),
        app_columns={c["code"]: _norm(c["labels"]) for c in apps["columns"]},
        app_rows=app_rows,
        app_row_groups={r["code"]: r.get("group") for r in apps["rows"]},
        app_row_versions=versions,
        app_group_labels=_norm(apps["group_labels"]),
        rl_header_markers=_norm(rl["header_markers"]),
        rl_blocks={b["code"]: _norm(b["labels"]) for b in rl["blocks"]},
        rl_results={r["code"]: _norm(r["labels"]) for r in rl["results"]},
        identities=common.get("identities", {}),
    )
