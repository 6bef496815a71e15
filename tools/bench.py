"""`make bench`: generate a synthetic corpus, ingest + build + export it, print speed, memory and accuracy.

    python -m tools.bench --n 10000 [--layouts text_tab,text_pipe,html] [--workers 2] [--out bench-out]

Accuracy compares every canonical cell of the warehouse with the generator's ground truth
(value and value_status); it must be 100% on the layouts the extractors support.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import threading
import time
from pathlib import Path

import duckdb


def peak_rss_mb() -> float:
    """Peak resident memory of the largest single process (this one or a child), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants now (Linux /proc), in kB."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, todo = 0, [root]
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class TreeMemory:
    """Samples the summed RSS of this process and its children (workers, Prefect's server) every 0.2 s."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak_kb = interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            if os.path.isdir("/proc"):
                self.peak_kb = max(self.peak_kb, _tree_rss_kb(os.getpid()))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def accuracy(db: Path, corpus: Path) -> dict[str, float]:
    """Cells expected / found / exact against ground_truth.parquet."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        truth = (corpus / "ground_truth.parquet").as_posix().replace("'", "''")
        row = con.execute(f"""
            with truth as (select * from read_parquet('{truth}')),
            got as (
                select regexp_extract(r.source_uri, '[^/]*$') as file_name, f.table_code, f.row_code, f.col_code,
                       f.value, f.value_status
                from staging.stg_facts f join staging.stg_reports r using (report_id)
            )
            select count(*) as expected,
                   count(g.file_name) as found,
                   count(*) filter (where g.value_status = t.value_status
                                    and (g.value = t.value or (g.value is null and t.value is null))) as exact
            from truth t left join got g using (file_name, table_code, row_code, col_code)
        """).fetchone()
        # identities within a report; the cross-report checks fail on random synthetic series by design
        extra = con.execute("select count(*) from dq_check_results where status = 'fail'"
                            " and severity = 'error'").fetchone()[0]
        errors = con.execute("select count(*) from ingest_errors").fetchone()[0]
    finally:
        con.close()
    expected, found, exact = row
    return {"expected": expected, "found": found, "exact": exact,
            "accuracy_pct": round(100.0 * exact / expected, 4) if expected else 0.0,
            "failed_identity_checks": extra, "ingest_errors": errors}


def run(n: int, layouts: tuple[str, ...], workers: int, out: Path, seed: int = 7, batch_size: int = 500) -> dict:
    from flows.ingest import ingest_flow
    from tools.synth import generate_corpus
    from xxgk.export import export_parquet

    shutil.rmtree(out, ignore_errors=True)
    corpus = out / "corpus"
    t0 = time.perf_counter()
    generate_corpus(corpus, n, seed=seed, layouts=layouts)
    t_gen = time.perf_counter() - t0
    db = out / "xxgk.duckdb"
    with TreeMemory() as memory:
        t1 = time.perf_counter()
        summary = ingest_flow(paths=[str(corpus)], db=str(db), workers=workers, batch_size=batch_size)
        t_ingest = time.perf_counter() - t1
        t2 = time.perf_counter()
        export_parquet(db, out / "parquet")
        t_export = time.perf_counter() - t2
    total = t_ingest + t_export
    result = {
        "reports": n,
        "layouts": ",".join(layouts),
        "workers": workers,
        "batch_size": batch_size,
        "generate_s": round(t_gen, 2),
        "extract_load_s": summary["extract_load_seconds"],
        "build_s": summary["build_seconds"],
        "ingest_flow_s": round(t_ingest, 2),
        "prefect_overhead_s": round(t_ingest - summary["extract_load_seconds"] - summary["build_seconds"], 2),
        "export_s": round(t_export, 2),
        "extract_load_reports_per_s": round(n / summary["extract_load_seconds"], 1),
        "build_reports_per_s": round(n / max(summary["build_seconds"], 1e-9), 1),
        "export_reports_per_s": round(n / t_export, 1),
        "end_to_end_reports_per_s": round(n / total, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_all_processes_mb": round(memory.peak_kb / 1024, 1),
        **accuracy(db, corpus),
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--layouts", default="text_tab,text_pipe,html")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument("--batch-size", type=int, default=500, help="files per extraction task")
    args = parser.parse_args(argv)
    result = run(args.n, tuple(args.layouts.split(",")), args.workers, args.out, batch_size=args.batch_size)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"duckdb {duckdb.__version__}")
    for key, value in result.items():
        print(f"{key:28} {value}")
    return 0 if result["accuracy_pct"] == 100.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
