"""Per-fixture accuracy of the OCR reader: ``python -m tools.ocr_accuracy [--only PART] [--fail-on-silent]``.

Every fixture of tests/fixtures/ocr/manifest.yaml (built by tools/ocr_fixtures.py) goes through the
whole pipeline (``xxgk.process.process_item``) and each expected cell of its expected file is
counted once:

- **exact**: accepted with the expected value (an ``ocr`` number the identities verified, or a
  blank cell read blank in a report that is not ``unverified``);
- **corrected**: the expected value, ``inferred`` from the engine's alternatives by the identities;
- **flagged**: not accepted: ``ocr`` unverified (table 2 has no identity: its cells are always
  here), ``text``, ``missing``; ``flagged right`` says how many of these OCR had read right anyway;
- **silent**: accepted with a wrong value (or accepted blank where a number was printed): must be 0.

Prints a Markdown table (and the OCR seconds per page); exits 1 with ``--fail-on-silent`` on any silent cell.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from tools.accuracy import EXPECTED_DIR, ROOT, _key, cells_of

MANIFEST = ROOT / "tests" / "fixtures" / "ocr" / "manifest.yaml"


@dataclass
class Result:
    fixture: str
    rendering: str
    status: str
    pages: int
    seconds: float
    exact: int = 0
    corrected: int = 0
    flagged: int = 0
    flagged_right: int = 0
    silent: int = 0
    silent_cells: tuple[str, ...] = ()


def entries(manifest: Path = MANIFEST) -> list[dict]:
    return yaml.safe_load(manifest.read_text(encoding="utf-8"))


def _same(fact: dict, want: dict) -> bool:
    if want.get("value") is None:
        return fact["value"] is None and fact["value_status"] in ("blank", "placeholder")
    return fact["value"] is not None and abs(fact["value"] - float(want["value"])) < 1e-9


def _accepted(fact: dict, report_status: str) -> bool:
    status, note = fact["value_status"], fact.get("note") or ""
    if status == "ocr":
        return "verified by" in note and "unverified" not in note
    if status == "inferred":
        return True
    if status in ("blank", "placeholder"):
        return report_status != "unverified"
    return status == "reported"


def score(records, expected: dict) -> Result:
    report = records.report
    facts = {_key(f): f for f in records.facts}
    out = Result("", "", report["status"], 0, 0.0)
    silent = []
    for key, want in expected.items():
        fact = facts.get(key)
        if fact is None:
            out.flagged += 1
            continue
        right = _same(fact, want)
        if not _accepted(fact, report["status"]):
            out.flagged += 1
            out.flagged_right += right
        elif right:
            if fact["value_status"] == "inferred" and (fact.get("note") or "").startswith("OCR confidence"):
                out.corrected += 1
            else:
                out.exact += 1
        else:
            out.silent += 1
            silent.append(f"{'/'.join(key)}: {fact['raw_text']!r} as {fact['value']} ({fact['value_status']})"
                          f" want {want.get('value')}")
    out.silent_cells = tuple(silent)
    return out


def run_one(entry: dict) -> Result:
    from xxgk.process import process_item
    from xxgk.records import SourceItem

    path = MANIFEST.parent / entry["fixture"]
    spec = yaml.safe_load((EXPECTED_DIR / entry["expected"]).read_text(encoding="utf-8"))
    started = time.monotonic()
    records = process_item(SourceItem(source_uri=f"file://{path}", path=str(path)))
    seconds = time.monotonic() - started
    result = score(records, cells_of(spec))
    result.fixture, result.rendering, result.seconds = entry["fixture"], entry["rendering"], seconds
    warnings = json.loads(records.report.get("warnings") or "[]")
    result.pages = next((int(w.split()[1]) for w in warnings if w.startswith("ocr: ")), 0)
    return result


def table(results: list[Result]) -> str:
    head = ("fixture", "rendering", "status", "pictures", "s/picture", "exact", "corrected", "flagged",
            "flagged right", "silent")
    rows = [(r.fixture, r.rendering, r.status, str(r.pages), f"{r.seconds / max(r.pages, 1):.1f}", str(r.exact),
             str(r.corrected), str(r.flagged), str(r.flagged_right), str(r.silent)) for r in results]
    pages = sum(r.pages for r in results)
    rows.append((f"total ({len(results)} fixtures)", "", "", str(pages),
                 f"{sum(r.seconds for r in results) / max(pages, 1):.1f}",
                 *(str(sum(getattr(r, k) for r in results)) for k in ("exact", "corrected", "flagged",
                                                                       "flagged_right", "silent"))))
    widths = [max(len(row[i]) for row in (head, *rows)) for i in range(len(head))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) if i < 3 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w)
                                       in enumerate(zip(row, widths, strict=True))) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="fixtures whose name contains this")
    parser.add_argument("--fail-on-silent", action="store_true")
    args = parser.parse_args(argv)
    selected = [e for e in entries() if not args.only or args.only in e["fixture"]]
    results = [run_one(e) for e in selected]
    print(table(results))
    silent = [f"{r.fixture}: {cell}" for r in results for cell in r.silent_cells]
    if silent:
        print("\nsilently wrong:\n" + "\n".join(silent))
    return 1 if args.fail_on_silent and silent else 0


if __name__ == "__main__":
    sys.exit(main())
