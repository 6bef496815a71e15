"""Read the expected-values fixtures (tests/fixtures/expected/*.yaml); one implementation, in xxgk/accuracy.py."""

from __future__ import annotations

from xxgk.accuracy import EXPECTED_DIR, compare, expected_cells, expected_spec

__all__ = ["EXPECTED_DIR", "compare", "expected_cells", "expected_spec"]
