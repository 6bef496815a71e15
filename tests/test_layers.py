"""The layers and what never crosses them (README, Architecture): an ``ast`` walk over every import.

    tools/      developer tools                              nothing of the product imports it
    xxgk/cli.py the face                                      may import flows/
    flows/      Prefect tasks and flows, wiring only          -> xxgk/, common/
    xxgk/       reading, process, records, executor, staging, build, export (+ xxgk/crawl/)
    xxgk/crawl/ sources, http, robots, raw store, crawler     -> common/ only
    extractors/ bytes -> Document                             -> common/ only
    transforms/ registry, labels, mapping, flat runs, ...     -> common/ only
    common/     document model, errors, values, text          -> nothing of ours

And no product module grows past MAX_MODULE_LINES: small modules named for what they hold.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = ("common", "extractors", "transforms", "xxgk", "flows", "tools", "tests")
# package (a folder, or a module path) → the packages of ours it may import; the most specific key wins
ALLOWED: dict[str, set[str]] = {
    "common": {"common"},
    "extractors": {"common", "extractors"},
    "transforms": {"common", "transforms"},
    "xxgk/crawl": {"common", "xxgk.crawl"},
    "xxgk": {"common", "extractors", "transforms", "xxgk"},
    "xxgk/cli.py": {"common", "extractors", "transforms", "xxgk", "flows"},
    "flows": {"common", "xxgk", "flows"},
}
PREFECT_ALLOWED = ("flows", "xxgk/cli.py")  # rule 3: nothing below flows/ imports Prefect
PRODUCT = ("common", "extractors", "transforms", "xxgk", "flows")
MAX_MODULE_LINES = 500


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in a file, at any depth (imports inside functions count too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _rule_for(rel: str) -> tuple[str, set[str]] | None:
    keys = [k for k in ALLOWED if rel == k or rel.startswith(k + "/")]
    if not keys:
        return None
    key = max(keys, key=len)
    return key, ALLOWED[key]


def _is_ours(module: str) -> bool:
    return module.split(".")[0] in OURS


def _allowed(module: str, allowed: set[str]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed)


def violations(root: Path = ROOT) -> list[str]:
    """Every import that crosses a layer the wrong way, as ``file:line imports module (layer rule)``."""
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith((".venv/", "build/")) or "/.venv/" in rel:
            continue
        rule = _rule_for(rel)
        if rule is None:
            continue
        key, allowed = rule
        seen = set()
        for line, module in _imports(path):
            top = module.split(".")[0]
            if top == "prefect" and not rel.startswith(PREFECT_ALLOWED) and (line, "prefect") not in seen:
                seen.add((line, "prefect"))
                out.append(f"{rel}:{line} imports {module} (only flows/ and the CLI use Prefect)")
            if not _is_ours(module) or _allowed(module, allowed):
                continue
            # ``from xxgk import staging`` names a module of the package: judge the package, not the name
            if (line, top) in seen:
                continue
            seen.add((line, top))
            out.append(f"{rel}:{line} imports {module} ({key}/ may import only {', '.join(sorted(allowed))})")
    return out


def test_no_import_crosses_a_layer():
    assert violations() == []


def test_a_wrong_import_is_caught(tmp_path):
    """A copy of the product with one deliberately wrong import per rule fails the check, file and line named."""
    for package in ("common", "extractors", "transforms", "xxgk", "flows"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    assert violations(tmp_path) == []
    wrong = {
        "common/wrong_probe.py": "from transforms.labels import normalize_label\n",  # rule 1
        "extractors/wrong_probe.py": "def f():\n    from transforms.registry import load_registry\n",  # rule 2
        "transforms/wrong_probe.py": "import extractors.html\n",  # rule 2
        "xxgk/wrong_probe.py": "from flows.ingest import ingest_flow\nimport prefect\n",  # rule 3
        "xxgk/crawl/wrong_probe.py": "from extractors.detect import sniff_format\n",  # rule 4
        "xxgk/wrong_tools.py": "from tools.synth import build_report\n",  # rule 8
    }
    for rel, source in wrong.items():
        (tmp_path / rel).write_text(source, encoding="utf-8")
    found = violations(tmp_path)
    assert [v.split(" ")[0] for v in found] == [
        "common/wrong_probe.py:1", "extractors/wrong_probe.py:2", "transforms/wrong_probe.py:1",
        "xxgk/crawl/wrong_probe.py:1", "xxgk/wrong_probe.py:1", "xxgk/wrong_probe.py:2", "xxgk/wrong_tools.py:1",
    ], found
    assert "only flows/ and the CLI use Prefect" in found[5]



def oversized_modules(root: Path = ROOT, limit: int = MAX_MODULE_LINES) -> list[str]:
    """Every product module over ``limit`` lines, as ``file: N lines``."""
    out = []
    for package in PRODUCT:
        for path in sorted((root / package).rglob("*.py")):
            n = len(path.read_text(encoding="utf-8").splitlines())
            if n > limit:
                out.append(f"{path.relative_to(root).as_posix()}: {n} lines")
    return out


def test_no_product_module_is_over_500_lines():
    offenders = oversized_modules()
    assert offenders == [], f"split these modules (at most {MAX_MODULE_LINES} lines each): {', '.join(offenders)}"


def test_a_long_module_is_caught(tmp_path):
    for package in PRODUCT:
        (tmp_path / package / "sub").mkdir(parents=True)
    (tmp_path / "transforms" / "sub" / "long.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1), encoding="utf-8")
    (tmp_path / "xxgk" / "fits.py").write_text("x = 1\n" * MAX_MODULE_LINES, encoding="utf-8")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "long.py").write_text("x = 1\n" * 1000, encoding="utf-8")  # tools/ is not product
    assert oversized_modules(tmp_path) == [f"transforms/sub/long.py: {MAX_MODULE_LINES + 1} lines"]


# SQL layers (DESIGN rule 7): staging reads the raw tables; core reads staging (and the tables the build
# writes itself); checks read core; marts read core and checks. Nothing reads a layer above its own.
SQL_READS = {
    "staging": {"raw", "crawl_state", "staging"},
    "core": {"staging", "core", "built"},
    "checks": {"core", "checks", "built"},
    "marts": {"core", "checks", "marts", "built"},
}


def sql_layer_violations(models) -> list[str]:
    from xxgk.build import BUILT_TABLES

    layer_of = {m.name: m.layer for m in models}
    out = []
    for model in models:
        for dep in sorted(model.depends):
            source = dep.split(".")[0] if "." in dep else ("built" if dep in BUILT_TABLES else layer_of[dep])
            if source not in SQL_READS[model.layer]:
                out.append(f"{model.layer}/{model.name} reads {dep} ({source})")
    return out


def test_sql_layers():
    from xxgk.build import load_models

    assert sql_layer_violations(load_models()) == []


def test_a_sql_model_reading_the_wrong_layer_is_caught(tmp_path):
    from xxgk.build import SQL_DIR, load_models

    shutil.copytree(SQL_DIR, tmp_path / "sql")
    (tmp_path / "sql" / "checks" / "chk_wrong_probe.sql").write_text("-- probe\nselect * from staging.stg_facts\n")
    (tmp_path / "sql" / "marts" / "v_wrong_probe.sql").write_text("-- probe\nselect * from raw.raw_facts\n")
    (tmp_path / "sql" / "marts" / "v_wrong_schema.sql").write_text(
        "-- probe\nselect * from checks.facts join staging.stg_reports using (report_id)\n")
    assert sorted(sql_layer_violations(load_models(tmp_path / "sql"))) == [
        "checks/chk_wrong_probe reads stg_facts (staging)", "marts/v_wrong_probe reads raw.raw_facts (raw)",
        "marts/v_wrong_schema reads stg_reports (staging)"]


def test_models_name_other_schemas_by_their_qualified_name(tmp_path):
    """The dependency finder follows ``schema.name``; a model of another schema named bare, or named in a schema
    it is not in, is an error before anything is built (it would not be found at build time)."""
    import pytest

    from xxgk.build import SQL_DIR, ModelError, load_models

    models = {m.name: m for m in load_models()}
    assert models["chk_identities"].schema == "checks" and "facts" in models["chk_identities"].depends
    assert models["v_dispute_metrics"].depends >= {"facts", "dim_reports", "dim_publishers"}
    assert (models["fetch_log"].schema, models["stg_facts"].schema, models["dq_check_results"].schema) == (
        "crawl", "staging", "main")
    assert "crawl_state.fetch_log" in models["stg_fetch_log"].depends
    for body, message in [("select * from stg_facts", "names stg_facts without its schema: write staging.stg_facts"),
                          ("select * from main.facts", "reads main.facts: no model or built table facts in schema "
                                                       "main (it is in checks)")]:
        shutil.rmtree(tmp_path / "sql", ignore_errors=True)
        shutil.copytree(SQL_DIR, tmp_path / "sql")
        (tmp_path / "sql" / "marts" / "v_probe.sql").write_text(f"-- probe\n{body}\n")
        with pytest.raises(ModelError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_models(tmp_path / "sql")
