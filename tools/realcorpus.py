"""A corpus of real documents for throughput: ``python -m tools.realcorpus --n 6000 --out DIR``.

The five seed texts (``samples/*.txt``) and one real CMS page (``tests/fixtures/real/pingtan_2024.html``,
109 KB with its navigation, scripts and Word markup) copied in turn to ``n`` files, each copy made
unique by a trailing line (a comment in the page, a line of text in a seed), so no copy is skipped
as bytes already loaded. Time a whole ingest of it as a process:

    /usr/bin/time -v .venv/bin/xxgk ingest DIR --db DIR.duckdb
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*sorted((ROOT / "samples").glob("*.txt")), ROOT / "tests" / "fixtures" / "real" / "pingtan_2024.html"]


def build(out: Path, n: int) -> list[Path]:
    """Write the corpus; returns the files."""
    out.mkdir(parents=True, exist_ok=True)
    sources = [(path.suffix, path.read_bytes()) for path in SOURCES]
    written = []
    for i in range(n):
        suffix, data = sources[i % len(sources)]
        tail = f"\n<!-- copy {i} -->\n" if suffix == ".html" else f"\n副本编号 {i}\n"
        path = out / f"{i:06d}{suffix}"
        path.write_bytes(data + tail.encode("utf-8"))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=6000)
    parser.add_argument("--out", type=Path, default=Path("bench-out/realcorpus"))
    args = parser.parse_args(argv)
    files = build(args.out, args.n)
    print(f"{len(files)} files in {args.out} ({sum(f.stat().st_size for f in files) / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
