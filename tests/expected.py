"""Read the expected-values fixtures (tests/fixtures/expected/*.yaml); one implementation, in tools/accuracy.py."""

from __future__ import annotations

from tools.accuracy import EXPECTED_DIR, compare, documents_of, expected_cells, expected_spec

__all__ = ["EXPECTED_DIR", "compare", "documents_of", "expected_cells", "expected_spec"]
