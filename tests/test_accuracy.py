"""`python -m tools.accuracy`: every document with a hand-read expected file, through process_bytes, is exact."""

from __future__ import annotations

import pytest
import yaml

from tools import accuracy
from tools.accuracy import EXPECTED_DIR, ROOT


def _missing_cells(spec: dict) -> int:
    """Cells an expected file says no reading can give (``status: missing``, e.g. an ambiguous run of a dump)."""
    cells = [c for metrics in spec["proactive"].values() for c in metrics.values()]
    cells += [c for table in ("applications", "reviews_litigation") for values in spec[table].values() for c in values]
    return sum(1 for c in cells if isinstance(c, dict) and c.get("status") == "missing")


def _yaml_counts() -> tuple[int, int, int, int, int]:
    """(expected files, documents, their cells, pending documents) counted straight from the YAML.

    Documents and cells are those that must be exact; a pending document (``{path, pending}``: an
    acceptance fixture of an open issue) is counted apart.
    """
    files = documents = cells = pending = missing = 0
    for path in sorted(EXPECTED_DIR.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        per_document = (sum(len(metrics) for metrics in spec["proactive"].values())
                        + sum(len(values) for values in spec["applications"].values())
                        + sum(len(values) for values in spec["reviews_litigation"].values()))
        files += 1
        settled = [d for d in spec["documents"] if isinstance(d, str)]
        documents += len(settled)
        pending += len(spec["documents"]) - len(settled)
        cells += per_document * len(settled)
        missing += _missing_cells(spec) * len(settled)
    return files, documents, cells, pending, missing


def test_every_document_is_exact_and_the_counts_are_the_yaml_files(capsys):
    status, results = accuracy.run([])
    out = capsys.readouterr().out
    assert status == 0
    files, documents, cells, pending, missing = _yaml_counts()
    assert (files, documents, pending) == (23, 51, 0)
    assert len(results) == documents + pending
    assert len({r.expected_file for r in results}) == files
    settled = [r for r in results if not r.pending]
    assert len(settled) == documents
    assert sum(r.score.expected for r in settled) == cells
    assert sum(r.score.exact for r in settled) == cells
    assert sum(r.score.found for r in settled) == cells - missing
    assert sum(r.score.extra for r in settled) == 0
    assert all(r.ok and r.score.problems == [] for r in settled)
    assert not any(r.ok for r in results if r.pending)  # exact pending documents fail the run
    assert all((ROOT / r.document).is_file() for r in results)
    total = next(line for line in out.splitlines() if line.startswith("| total ("))
    assert total.split("|")[1].strip() == f"total ({documents} documents)"
    assert [c.strip() for c in total.split("|")[5:10]] == [str(cells), str(cells - missing), str(cells), "0",
                                                           "100.00%"]
    assert not any(line.startswith("| pending (") for line in out.splitlines())  # nothing is pending now
    layouts = {r.layout for r in settled}
    assert layouts == {"text_tab", "text_pipe", "text_space", "text_dump", "html", "docx", "pdf"}


def test_a_pending_document_is_run_apart_and_fails_the_run_once_exact(tmp_path, capsys):
    spec = yaml.safe_load((EXPECTED_DIR / "seed_004.yaml").read_text(encoding="utf-8"))
    spec["documents"] = [{"path": spec["documents"][0], "pending": "an open issue"}]
    (tmp_path / "seed_004.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    args = ["--expected-dir", str(tmp_path)]
    assert accuracy.main(args) == 1  # the seed is read exactly: its marker must go
    out = capsys.readouterr().out
    assert "exact now; remove its pending marker (an open issue)" in out
    assert "| samples/004_f9624be8a21e35fd.txt (pending) |" in out
    spec["applications"]["new_received"][0] += 1  # not exact: pending, the run passes
    (tmp_path / "seed_004.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert accuracy.main(args) == 0
    spec["documents"] = [{"path": "samples/004_f9624be8a21e35fd.txt"}]  # a mapping needs its reason
    (tmp_path / "seed_004.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="pending"):
        accuracy.main(args)


def test_a_wrong_value_fails_the_run_unless_no_fail(tmp_path, capsys):
    spec = yaml.safe_load((EXPECTED_DIR / "seed_004.yaml").read_text(encoding="utf-8"))
    spec["documents"] = spec["documents"][:1]
    spec["applications"]["new_received"][0] += 1  # one cell misread by hand
    spec["reviews_litigation"].pop("litigation_after_review")  # five facts the file does not list
    (tmp_path / "seed_004.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    args = ["--expected-dir", str(tmp_path)]
    assert accuracy.main(args) == 1
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| samples/004_"))
    assert [c.strip() for c in row.split("|")[5:10]] == ["193", "193", "192", "5", "99.48%"]
    assert "('applications', 'new_received', 'natural_person'): got 0.0 (reported" in out
    assert "('reviews_litigation', 'litigation_after_review', 'total'): unexpected fact" in out
    assert accuracy.main([*args, "--no-fail"]) == 0


def test_tests_use_the_same_comparison():
    from tests import expected

    assert expected.compare is accuracy.compare and expected.expected_cells is accuracy.expected_cells
