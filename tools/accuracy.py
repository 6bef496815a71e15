"""Accuracy against the hand-read expected values: ``python -m tools.accuracy [--no-fail]``.

Each file in tests/fixtures/expected/*.yaml holds the values of one report read by hand (the
seeds, real published reports) and names, under ``documents:``, every fixture file whose
facts must equal them (the report itself and its renderings in other layouts, repo-relative
paths). A document the pipeline does not read exactly yet is listed as
``{path: …, pending: <why>}`` (the acceptance fixtures of an open issue): it is run and printed
like the others but counted apart, and it fails the run once it is exact, so that the marker is
removed (the counterpart of a strict ``xfail``). Every document goes through the real pipeline (``xxgk.process.process_bytes``: format
sniffing, extraction, mapping or segmentation, inference) and is compared cell by cell: value,
value_status and, where the file gives one, the unit.

Printed per document: layout, template, cells expected / found (a fact that is not
``missing``) / exact, extra facts (not in the expected file) and accuracy = exact / expected.
The exit status is 1 when any document is not exact (every cell exact, no extra fact, the
template the file names) or a pending document is, unless ``--no-fail``.

The comparison functions here are also what the tests use (tests/expected.py imports them).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from transforms.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]
EXPECTED_DIR = ROOT / "tests" / "fixtures" / "expected"

Key = tuple[str, str, str]  # (table_code, row_code, col_code)


# --- the expected files --------------------------------------------------------------------------
def expected_spec(name: str, expected_dir: Path = EXPECTED_DIR) -> dict:
    """One expected-values file as YAML (``name`` is a file name in ``expected_dir``)."""
    return yaml.safe_load((expected_dir / name).read_text(encoding="utf-8"))


def _cell(spec) -> dict:
    if isinstance(spec, dict):
        return {"value": spec.get("value"), "status": spec.get("status", "reported"), "unit": spec.get("unit")}
    return {"value": spec, "status": "reported", "unit": None}


def cells_of(spec: dict) -> dict[Key, dict]:
    """(table_code, row_code, col_code) → {value, status, unit} from a loaded expected file."""
    cells: dict[Key, dict] = {}
    for item, metrics in (spec.get("proactive") or {}).items():
        for metric, value in metrics.items():
            cells[("proactive", item, metric)] = _cell(value)
    for outcome, values in (spec.get("applications") or {}).items():
        for applicant, value in zip(load_registry().applicant_codes, values, strict=True):
            cells[("applications", outcome, applicant)] = _cell(value)
    for block, values in (spec.get("reviews_litigation") or {}).items():
        for result, value in zip(load_registry().result_codes, values, strict=True):
            cells[("reviews_litigation", block, result)] = _cell(value)
    return cells


def expected_cells(name: str, expected_dir: Path = EXPECTED_DIR) -> dict[Key, dict]:
    """The cells of one expected-values file, by name."""
    return cells_of(expected_spec(name, expected_dir))


# --- comparison ------------------------------------------------------------------------------------
def _get(fact, name: str):
    """Facts are mapper ``Fact`` objects or the dict rows ``process_bytes`` returns."""
    return fact[name] if isinstance(fact, dict) else getattr(fact, name)


def _key(fact) -> Key:
    return (_get(fact, "table_code"), _get(fact, "row_code"), _get(fact, "col_code"))


@dataclass
class Score:
    expected: int = 0
    found: int = 0  # expected cells with a fact that is not missing
    exact: int = 0  # expected cells whose value, status (and unit, when given) are equal
    extra: int = 0  # facts of cells the expected file does not list
    problems: list[str] = field(default_factory=list)


def score_facts(facts, expected: dict[Key, dict]) -> Score:
    """Count and describe the differences between facts and expected cells."""
    got = {_key(f): f for f in facts}
    score = Score(expected=len(expected))
    for key, want in expected.items():
        fact = got.get(key)
        if fact is None:
            score.problems.append(f"{key}: not found")
            continue
        value, status = _get(fact, "value"), _get(fact, "value_status")
        if status != "missing":
            score.found += 1
        if value != want["value"] or status != want["status"]:
            score.problems.append(f"{key}: got {value!r} ({status}, raw {_get(fact, 'raw_text')!r}), "
                                  f"want {want['value']!r} ({want['status']})")
        elif want["unit"] and _get(fact, "unit") != want["unit"]:
            score.problems.append(f"{key}: unit {_get(fact, 'unit')!r}, want {want['unit']!r}")
        else:
            score.exact += 1
    for key in sorted(got.keys() - expected.keys()):
        score.extra += 1
        score.problems.append(f"{key}: unexpected fact")
    return score


def compare(facts, name: str, expected_dir: Path = EXPECTED_DIR) -> list[str]:
    """Differences between facts and an expected-values file (empty list: all exact)."""
    return score_facts(facts, expected_cells(name, expected_dir)).problems


# --- running the pipeline over the fixtures --------------------------------------------------------
@dataclass
class DocumentResult:
    document: str  # repo-relative path
    expected_file: str
    source_format: str | None
    layout: str | None
    template: str | None  # table 2's template, "/" table 3's when they differ (hybrids)
    status: str
    score: Score
    pending: str | None = None  # why the document is not expected to be exact yet (``pending:`` in the file)

    @property
    def ok(self) -> bool:
        return self.score.exact == self.score.expected and not self.score.problems

    @property
    def accuracy(self) -> float:
        return self.score.exact / self.score.expected if self.score.expected else 1.0


def documents_of(spec: dict, name: str) -> list[tuple[str, str | None]]:
    """(path, pending) of each document: a path, or a mapping ``{path: …, pending: why}``."""
    documents = spec.get("documents")
    if not documents:
        raise ValueError(f"{name}: no documents listed (key 'documents:', repo-relative paths)")
    out = []
    for entry in documents:
        if isinstance(entry, str):
            out.append((entry, None))
        elif isinstance(entry, dict) and isinstance(entry.get("path"), str) and entry.get("pending"):
            out.append((entry["path"], str(entry["pending"])))
        else:
            raise ValueError(f"{name}: a document is a path or {{path: …, pending: why}}, not {entry!r}")
    return out


def evaluate_document(path: Path, spec: dict, name: str, root: Path = ROOT,
                      pending: str | None = None) -> DocumentResult:
    """Run one fixture through process_bytes and score it against its expected file."""
    from xxgk.process import process_bytes
    from xxgk.records import SourceItem, source_uri_for

    records = process_bytes(path.read_bytes(), SourceItem(source_uri=source_uri_for(path), path=str(path)))
    report = records.report
    score = score_facts(records.facts, cells_of(spec))
    proactive, applications = report.get("proactive_template"), report.get("applications_template")
    template = report.get("template_version")
    if applications and proactive and applications != proactive:
        template = f"{proactive}/{applications}"
    for field_name, key in (("template_version", "proactive_template"),
                            ("applications_template", "applications_template")):
        want = spec.get(field_name)
        if want is not None and str(want) != str(report.get(key)):
            score.problems.append(f"{key}: got {report.get(key)!r}, want {str(want)!r}")
    if report["status"] == "failed":
        score.problems.append(f"failed: {report.get('status_reason')}")
    return DocumentResult(
        document=path.resolve().relative_to(root.resolve()).as_posix() if path.resolve().is_relative_to(root.resolve())
        else str(path),
        expected_file=name, source_format=report.get("source_format"), layout=report.get("layout"),
        template=template, status=report["status"], score=score, pending=pending,
    )


def evaluate(expected_dir: Path = EXPECTED_DIR, root: Path = ROOT) -> list[DocumentResult]:
    """Every document of every expected file, in file order."""
    results = []
    for spec_path in sorted(expected_dir.glob("*.yaml")):
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        for document, pending in documents_of(spec, spec_path.name):
            path = root / document
            if not path.is_file():
                raise FileNotFoundError(f"{spec_path.name}: document {document} does not exist")
            results.append(evaluate_document(path, spec, spec_path.name, root, pending))
    return results


def format_table(results: list[DocumentResult]) -> str:
    """A Markdown table (aligned, readable in a terminal), one line per document and a total.

    Pending documents follow, marked, with a total of their own.
    """
    header = ("document", "expected file", "format/layout", "template", "expected", "found", "exact", "extra",
              "accuracy")
    settled = [r for r in results if not r.pending]
    pending = [r for r in results if r.pending]
    rows = [_row(r) for r in settled]
    rows.append(_total(f"total ({len(settled)} documents)", settled))
    if pending:
        rows.extend(_row(r) for r in pending)
        rows.append(_total(f"pending ({len(pending)} documents)", pending))
    numeric = {4, 5, 6, 7, 8}
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells) -> str:
        padded = [(" " * (w - _width(c)) + c) if i in numeric else (c + " " * (w - _width(c)))
                  for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in numeric else ("-" * (w + 2))
                          for i, w in enumerate(widths)) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _row(r: DocumentResult) -> tuple[str, ...]:
    return (r.document + (" (pending)" if r.pending else ""), r.expected_file, f"{r.source_format}/{r.layout}",
            r.template or "-", str(r.score.expected), str(r.score.found), str(r.score.exact), str(r.score.extra),
            f"{100 * r.accuracy:.2f}%")


def _total(label: str, results: list[DocumentResult]) -> tuple[str, ...]:
    expected = sum(r.score.expected for r in results)
    exact = sum(r.score.exact for r in results)
    return (label, f"{len({r.expected_file for r in results})} files", "", "", str(expected),
            str(sum(r.score.found for r in results)), str(exact), str(sum(r.score.extra for r in results)),
            f"{100 * exact / expected if expected else 100:.2f}%")


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def main(argv: list[str] | None = None) -> int:
    return run(argv)[0]


def run(argv: list[str] | None = None) -> tuple[int, list[DocumentResult]]:
    """What ``main`` does, also returning the results (the test runs it in-process once)."""
    parser = argparse.ArgumentParser(prog="python -m tools.accuracy", description=__doc__.splitlines()[0])
    parser.add_argument("--no-fail", action="store_true", help="print the table and exit 0 even when not exact")
    parser.add_argument("--expected-dir", type=Path, default=EXPECTED_DIR, help="folder of expected *.yaml files")
    parser.add_argument("--root", type=Path, default=ROOT, help="folder the documents' paths are relative to")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every difference")
    args = parser.parse_args(argv)
    results = evaluate(args.expected_dir, args.root)
    print(format_table(results))
    failing = [r for r in results if not r.ok and not r.pending]
    for r in failing:
        print(f"\n{r.document} ({r.expected_file}): {len(r.score.problems)} differences")
        for problem in r.score.problems[: None if args.verbose else 10]:
            print(f"  {problem}")
    settled = [r for r in results if r.pending and r.ok]
    for r in settled:
        print(f"\n{r.document} ({r.expected_file}): exact now; remove its pending marker ({r.pending})")
    failing += settled
    if args.verbose:
        for r in results:
            if r.pending and not r.ok:
                print(f"\n{r.document} ({r.expected_file}, pending: {r.pending}): "
                      f"{len(r.score.problems)} differences, status {r.status}")
                for problem in r.score.problems:
                    print(f"  {problem}")
    return (1 if failing and not args.no_fail else 0), results


if __name__ == "__main__":
    sys.exit(main())
