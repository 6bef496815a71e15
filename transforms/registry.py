"""The template registry (transforms/registry/*.yaml): every piece of template knowledge, as data.

``common.yaml`` holds what all versions share (table 3's columns and rows, table 4, the identities,
the old-form markers); one file per template version holds its table 2, the table 3 rows it adds
or relabels and the identities it adds or replaces. The loader rejects unknown keys, so a typo in
a registry file fails loudly instead of being ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from transforms.labels import normalize_label

REGISTRY_DIR = Path(__file__).parent / "registry"
COMMON_VERSION = "common"  # the template_version of a table every version prints alike


class RegistryError(ValueError):
    """A registry file that does not say what the loader expects."""


@dataclass(frozen=True)
class ProactiveItem:
    code: str
    article: str
    labels: tuple[str, ...]
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class Term:
    """One cell of an identity: a row (for_each column) or column (otherwise) code, its sign, its side,
    and the year it is read from (0: this report, -1: last year's report of the same publisher)."""

    code: str
    sign: int
    side: str  # expected | actual
    year_offset: int = 0


@dataclass(frozen=True)
class Identity:
    """An identity of one table as declared, its group references expanded for one template version."""

    name: str
    table: str
    for_each: str  # column | row | block | item
    terms: tuple[Term, ...]
    severity: str
    infer: bool = False
    note: str | None = None

    @property
    def cross_year(self) -> bool:
        return any(t.year_offset for t in self.terms)

    @property
    def over_columns(self) -> bool:
        """True when the terms are rows and the identity holds in each column."""
        return self.for_each == "column"


@dataclass(frozen=True)
class Template:
    """One template version: table 2 items and metrics, table 3 rows, and its identities."""

    version: str
    detect: tuple[str, ...]
    metrics: dict[str, tuple[str, ...]]  # metric_code -> normalised labels
    money_metrics: frozenset[str]
    signed_metrics: frozenset[str]
    items: tuple[ProactiveItem, ...]
    application_rows: tuple[str, ...]  # outcome codes in template order
    application_labels: dict[str, tuple[str, ...]]  # outcome code -> normalised labels in this version
    identities: tuple[Identity, ...] = ()

    def item(self, code: str) -> ProactiveItem | None:
        return next((i for i in self.items if i.code == code), None)


@dataclass(frozen=True)
class Registry:
    templates: dict[str, Template]  # in version order
    tables: dict[str, str]  # table code -> section code
    unversioned: frozenset[str]  # tables every version prints alike (template_version ``common``)
    articles: tuple[str, ...]
    proactive_header: tuple[str, ...]
    app_header_markers: tuple[str, ...]
    app_columns: dict[str, tuple[str, ...]]  # applicant code -> labels, in column order
    app_rows: dict[str, tuple[str, ...]]  # outcome_code -> labels of every version
    app_row_groups: dict[str, str | None]
    app_group_labels: tuple[str, ...]
    rl_header_markers: tuple[str, ...]
    rl_blocks: dict[str, tuple[str, ...]]
    rl_results: dict[str, tuple[str, ...]]
    old_forms: dict = field(default_factory=dict)

    @property
    def applicant_codes(self) -> tuple[str, ...]:
        return tuple(self.app_columns)

    @property
    def block_codes(self) -> tuple[str, ...]:
        return tuple(self.rl_blocks)

    @property
    def result_codes(self) -> tuple[str, ...]:
        return tuple(self.rl_results)

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(self.templates)

    @cached_property
    def table_codes(self) -> tuple[str, ...]:
        return tuple(self.tables)

    def table_version(self, table: str, version: str) -> str:
        """The template_version a table's facts carry: the report's version, or ``common``."""
        return COMMON_VERSION if table in self.unversioned else version

    def identities(self, version: str | None = None) -> tuple[Identity, ...]:
        """The identities of a template version (all versions' when None: each name once, first version's)."""
        if version is not None:
            return self.templates[version].identities
        seen: dict[str, Identity] = {}
        for template in self.templates.values():
            for identity in template.identities:
                seen.setdefault(identity.name, identity)
        return tuple(seen.values())


# --- loading ----------------------------------------------------------------------------------------
_KEYS = {
    "common": {"tables", "proactive", "applications", "reviews_litigation", "identities", "old_forms"},
    "common.proactive": {"articles", "header"},
    "common.applications": {"header_markers", "columns", "rows", "group_labels"},
    "common.reviews_litigation": {"header_markers", "blocks", "results"},
    "version": {"version", "proactive", "applications", "identities"},
    "version.proactive": {"detect", "metrics", "items"},
    "version.applications": {"rows", "labels"},
    "metric": {"labels", "money", "signed"},
    "item": {"code", "article", "labels", "metrics"},
    "row": {"code", "group", "labels", "since", "until", "after"},
    "coded": {"code", "labels"},
    "identity": {"table", "for_each", "expected", "actual", "severity", "infer", "note"},
    "old_forms": {"version", "national_markers", "markers"},
    "table": {"section", "versioned"},
}
_FOR_EACH = {"column", "row", "block", "item"}


def _check(mapping, kind: str, where: str) -> dict:
    if not isinstance(mapping, dict):
        raise RegistryError(f"{where}: expected a mapping, got {type(mapping).__name__}")
    unknown = set(mapping) - _KEYS[kind]
    if unknown:
        raise RegistryError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                            f"(allowed: {', '.join(sorted(_KEYS[kind]))})")
    return mapping


def _norm(labels) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalize_label(label) for label in labels))


def _version_key(version: str) -> tuple:
    return (int(version),) if version.isdigit() else (10**9, version)


def _in_range(row: dict, version: str) -> bool:
    since, until = row.get("since"), row.get("until")
    key = _version_key(version)
    return (since is None or key >= _version_key(str(since))) and (until is None or key <= _version_key(str(until)))


def _terms(spec: dict, side: str, groups: dict[str, str | None], rows: tuple[str, ...], where: str) -> list[Term]:
    terms = []
    for entry in spec.get(side) or []:
        if isinstance(entry, dict):
            if set(entry) != {"groups"}:
                raise RegistryError(f"{where}.{side}: a term is a code or {{groups: [...]}}, got {entry}")
            terms += [Term(code, 1, side) for code in rows if groups.get(code) in entry["groups"]]
            continue
        text, sign = str(entry), 1
        if text.startswith("-"):
            text, sign = text[1:], -1
        code, _, offset = text.partition("@")
        terms.append(Term(code, sign, side, int(offset) if offset else 0))
    return terms


def _identity(name: str, spec: dict, groups: dict, rows: tuple[str, ...], where: str) -> Identity:
    _check(spec, "identity", where)
    if spec.get("for_each") not in _FOR_EACH:
        raise RegistryError(f"{where}.for_each: one of {', '.join(sorted(_FOR_EACH))}")
    if spec.get("severity") not in ("error", "warning", "info"):
        raise RegistryError(f"{where}.severity: error, warning or info")
    terms = _terms(spec, "expected", groups, rows, where) + _terms(spec, "actual", groups, rows, where)
    if not terms:
        raise RegistryError(f"{where}: an identity needs expected and actual terms")
    return Identity(name, spec["table"], spec["for_each"], tuple(terms), spec["severity"],
                    bool(spec.get("infer")), spec.get("note"))


def _load_yaml(path: Path) -> dict:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path.name}: not valid YAML ({exc})") from exc


def load_registry(directory: Path | str | None = None) -> Registry:
    """The registry in ``directory``: ``XXGK_REGISTRY_DIR`` when set (a registry of your own, e.g. with a new
    template year, without editing the package), else the one shipped in transforms/registry/."""
    return _load_named(str(directory or os.environ.get("XXGK_REGISTRY_DIR") or REGISTRY_DIR))


@lru_cache(maxsize=8)
def _load_named(directory: str) -> Registry:
    return _load(Path(directory).resolve())


@lru_cache(maxsize=8)
def _load(directory: Path) -> Registry:
    """Read common.yaml and one YAML file per template version (every other *.yaml file in ``directory``)."""
    common = _check(_load_yaml(directory / "common.yaml"), "common", "common.yaml")
    apps = _check(common["applications"], "common.applications", "common.yaml applications")
    rl = _check(common["reviews_litigation"], "common.reviews_litigation", "common.yaml reviews_litigation")
    pro = _check(common["proactive"], "common.proactive", "common.yaml proactive")
    table_specs = {code: _check(spec, "table", f"common.yaml tables.{code}") for code, spec in common["tables"].items()}
    tables = {code: spec["section"] for code, spec in table_specs.items()}
    common_rows = [_check(r, "row", f"common.yaml applications.rows[{i}]") for i, r in enumerate(apps["rows"])]
    for spec in common_rows:
        if "after" in spec:
            raise RegistryError("common.yaml applications.rows: `after` places a version's own rows only")
    specs = []
    for path in sorted(p for p in directory.glob("*.yaml") if p.name != "common.yaml"):
        spec = _check(_load_yaml(path), "version", path.name)
        specs.append((str(spec["version"]), spec, path.name))
    specs.sort(key=lambda s: _version_key(s[0]))
    all_rows: dict[str, tuple[str, ...]] = {}
    all_groups: dict[str, str | None] = {}
    templates = {}
    for version, spec, name in specs:
        vpro = _check(spec["proactive"], "version.proactive", f"{name} proactive")
        vapps = _check(spec.get("applications") or {}, "version.applications", f"{name} applications")
        rows = [r for r in common_rows if _in_range(r, version)]
        for i, extra in enumerate(vapps.get("rows") or []):
            _check(extra, "row", f"{name} applications.rows[{i}]")
            codes = [r["code"] for r in rows]
            at = codes.index(extra["after"]) + 1 if extra.get("after") in codes else len(rows)
            rows.insert(at, extra)
        relabel = vapps.get("labels") or {}
        labels = {r["code"]: _norm([*r["labels"], *relabel.get(r["code"], [])]) for r in rows}
        for r in rows:
            all_rows[r["code"]] = tuple(dict.fromkeys([*all_rows.get(r["code"], ()), *labels[r["code"]]]))
            all_groups[r["code"]] = r.get("group")
        metrics = {code: _check(m, "metric", f"{name} proactive.metrics.{code}") for code, m in vpro["metrics"].items()}
        row_codes = tuple(r["code"] for r in rows)
        groups = {r["code"]: r.get("group") for r in rows}
        identities = {key: _identity(key, value, groups, row_codes, f"common.yaml identities.{key}")
                      for key, value in (common.get("identities") or {}).items()}
        identities.update({key: _identity(key, value, groups, row_codes, f"{name} identities.{key}")
                           for key, value in (spec.get("identities") or {}).items()})
        templates[version] = Template(
            version=version,
            detect=_norm(vpro["detect"]),
            metrics={code: _norm(m["labels"]) for code, m in metrics.items()},
            money_metrics=frozenset(code for code, m in metrics.items() if m.get("money")),
            signed_metrics=frozenset(code for code, m in metrics.items() if m.get("signed")),
            items=tuple(
                ProactiveItem(i["code"], i["article"], _norm(i["labels"]), tuple(i["metrics"]))
                for i in (_check(i, "item", f"{name} proactive.items") for i in vpro["items"])
            ),
            application_rows=row_codes,
            application_labels=labels,
            identities=tuple(identities.values()),
        )
    return Registry(
        templates=templates,
        tables=tables,
        unversioned=frozenset(code for code, spec in table_specs.items() if spec.get("versioned") is False),
        articles=tuple(pro["articles"]),
        proactive_header=_norm(pro["header"]),
        app_header_markers=_norm(apps["header_markers"]),
        app_columns={c["code"]: _norm(_check(c, "coded", "common.yaml applications.columns")["labels"])
                     for c in apps["columns"]},
        app_rows=all_rows,
        app_row_groups=all_groups,
        app_group_labels=_norm(apps["group_labels"]),
        rl_header_markers=_norm(rl["header_markers"]),
        rl_blocks={b["code"]: _norm(_check(b, "coded", "common.yaml reviews_litigation.blocks")["labels"])
                   for b in rl["blocks"]},
        rl_results={r["code"]: _norm(_check(r, "coded", "common.yaml reviews_litigation.results")["labels"])
                    for r in rl["results"]},
        old_forms=_check(common.get("old_forms") or {}, "old_forms", "common.yaml old_forms"),
    )
