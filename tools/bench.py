"""`make bench`: build a corpus, time ``xxgk ingest --export`` on it as a whole process, print speed, CPU per
stage, memory and accuracy.

    python -m tools.bench --n 10000 [--corpus synth|real] [--layouts text_tab,text_pipe,html] [--workers 2]
                          [--out bench-out] [--prefect]

``--corpus synth`` (default): generated reports (tools/synth.py), the HTML ones inside real CMS page shells
(tools/synth_cms.py: 100-250 KB of navigation, scripts, styles and footer around the report); accuracy
compares every canonical cell of the warehouse with the generator's ground truth (value and value_status)
and must be 100%. ``--corpus real``: the five seed texts and the real CMS page ``pingtan_2024.html`` copied
in turn to N unique files (tools/realcorpus.py). The ingest runs as ``xxgk ingest`` does without a Prefect
API (``--prefect``: as a Prefect flow with its temporary API server); its CPU is the whole process tree's
(``os.wait4``), split by stage from the run's own figures (xxgk/ingest.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

from xxgk.build import describe_build


def peak_rss_mb() -> float:
    """Peak resident memory of the largest single process (this one or a child), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _tree_rss_kb(root: int) -> dict[str, int]:
    """Resident memory of ``root`` and all its descendants now (Linux /proc), in kB, by process (``name pid``)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                head, fields = f.read().rsplit(b")", 1)
        except OSError:
            continue
        fields = fields.split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        names[pid] = head.split(b"(", 1)[-1].decode(errors="replace")
    found, todo = {}, [root]
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    while todo:
        pid = todo.pop()
        found[f"{'bench' if pid == root else names.get(pid, '?')} {pid}"] = rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return found


class TreeMemory:
    """Samples the summed RSS of this process and its children (workers, Prefect's server) every 0.2 s, and
    keeps each process's share at the peak."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak_kb, self.at_peak, self.peak_s = interval, 0, {}, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started = time.perf_counter()
        while not self._stop.is_set():
            if os.path.isdir("/proc"):
                now = _tree_rss_kb(os.getpid())
                if sum(now.values()) > self.peak_kb:
                    self.peak_kb, self.at_peak, self.peak_s = sum(now.values()), now, time.perf_counter() - started
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


def _ingest_process(paths: list[Path], db: Path, parquet: Path, workers: int, batch_size: int,
                    prefect: bool) -> tuple[dict, float, float]:
    """``xxgk ingest PATHS --export PARQUET --json`` as a whole process: (its summary, wall seconds, CPU seconds
    of the process and every child it waited for: workers, Prefect's temporary server)."""
    xxgk = Path(sys.executable).with_name("xxgk")
    command = [str(xxgk), "ingest", *map(str, paths), "--db", str(db), "--export", str(parquet), "--json",
               "--workers", str(workers), "--batch-size", str(batch_size)] + (["--prefect"] if prefect else [])
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"xxgk ingest failed ({status}):\n{err.read().decode(errors='replace')[-3000:]}")
        summary = json.loads(out.read().decode().strip().splitlines()[-1])
    return summary, wall, usage.ru_utime + usage.ru_stime


def stage_table(summary: dict, n: int, cpu_total: float) -> dict[str, float]:
    """CPU ms per report by stage (xxgk/ingest.py says what each covers); ``prefect / other``: the rest of the
    whole process tree's CPU (Prefect's engine and temporary API server when the run is a flow)."""
    cpu = summary["cpu"]
    extract = cpu.get("extract", {})
    stages = {
        "start-up": cpu.get("startup", 0) + cpu.get("worker_startup", 0),
        **{f"extraction {layout}": seconds for layout, seconds in sorted(extract.items())},
        "spool (Arrow + IPC)": cpu.get("arrow", 0) + cpu.get("spool", 0),
        "writer": cpu.get("writer", 0),
        "build": cpu.get("build", 0),
        "export": cpu.get("export", 0),
    }
    stages["prefect / other"] = max(cpu_total - sum(stages.values()), 0.0)
    table = {name: round(1000 * seconds / n, 3) for name, seconds in stages.items()}
    table |= {f"  (per {layout} report)": round(1000 * seconds / max(cpu.get("reports", {}).get(layout, 0), 1), 2)
              for layout, seconds in sorted(extract.items())}
    table["total"] = round(1000 * cpu_total / n, 3)
    return table


def run(n: int, layouts: tuple[str, ...], workers: int, out: Path, seed: int = 7, batch_size: int = 500,
        corpus_kind: str = "synth", prefect: bool = False, nightly: int = 0, cms: bool = True) -> dict:
    from tools.realcorpus import build as build_real
    from tools.synth import generate_corpus

    shutil.rmtree(out, ignore_errors=True)
    corpus = out / "corpus"
    t0 = time.perf_counter()
    if corpus_kind == "real":
        build_real(corpus, n)
    else:
        generate_corpus(corpus, n, seed=seed, layouts=layouts, cms=cms)
    t_gen = time.perf_counter() - t0
    db = out / "xxgk.duckdb"
    with TreeMemory() as memory:
        summary, wall, cpu_total = _ingest_process([corpus], db, out / "parquet", workers, batch_size, prefect)
    result = {
        "corpus": corpus_kind + ("" if corpus_kind == "real" or cms else " (bare HTML)"),
        "reports": n,
        "layouts": ",".join(sorted(summary["cpu"].get("reports", {}))),
        "corpus_mb": round(sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file()) / 2**20, 1),
        "workers": workers,
        "batch_size": batch_size,
        "orchestration": "prefect flow (temporary API server)" if prefect else "plain (no Prefect API configured)",
        "generate_s": round(t_gen, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu_total, 2),
        "extract_load_s": summary["extract_load_seconds"],
        "build_s": summary["build_seconds"],
        "end_to_end_reports_per_s": round(n / wall, 1),
        "cpu_ms_per_report": round(1000 * cpu_total / n, 3),
        "reports_per_cpu_s": round(n / cpu_total, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_all_processes_mb": round(memory.peak_kb / 1024, 1),
        "at_that_peak_mb": f"after {memory.peak_s:.0f} s: " + ", ".join(f"{name} {kb / 1024:.0f}" for name, kb in
                                     sorted(memory.at_peak.items(), key=lambda item: -item[1]) if kb > 10 * 1024),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "stages_cpu_ms_per_report": stage_table(summary, n, cpu_total),
        "statuses": {k: summary[k] for k in ("loaded", "partial", "no_tables", "inconsistent", "failed") if summary[k]},
    }
    if corpus_kind == "synth":
        result |= accuracy(db, corpus)
    if nightly:
        result["nightly"] = nightly_run(corpus, db, out / "parquet", nightly, workers, batch_size, prefect)
        result["nightly_latest_year"] = nightly_run(corpus, db, out / "parquet", nightly, workers, batch_size,
                                                    prefect, latest_year=True)
    return result


def nightly_run(corpus: Path, db: Path, parquet: Path, n_changed: int, workers: int, batch_size: int,
                prefect: bool, latest_year: bool = False) -> dict:
    """The next night: ``n_changed`` reports spread over the corpus (``latest_year``: over the warehouse's latest
    report year, as a night of newly published reports) get new bytes (a trailing line, as a republished page
    would) and only they are ingested into the warehouse just built, as the crawler hands over what changed;
    timed as a whole process (ingest, the build it triggers, the Parquet export)."""
    if latest_year:  # a night of new reports: the warehouse's latest year only
        from xxgk.sources_local import as_path

        con = duckdb.connect(str(db), read_only=True)
        try:
            files = sorted(as_path(uri) for (uri,) in con.execute(
                "SELECT source_uri FROM dim_reports WHERE report_year = (SELECT max(report_year) FROM dim_reports)"
            ).fetchall())
        finally:
            con.close()
    else:
        files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix not in (".parquet", ".json"))
    step = max(len(files) // n_changed, 1)
    changed = files[::step][:n_changed]
    for path in changed:
        tail = b"\n<!-- republished -->\n" if path.suffix in (".html", ".htm") else "\n重新发布\n".encode()
        path.write_bytes(path.read_bytes() + tail)
    summary, wall, cpu_total = _ingest_process(changed, db, parquet, workers, batch_size, prefect)
    con = duckdb.connect(str(db), read_only=True)
    try:
        in_warehouse = con.execute("select count(*) from dim_reports").fetchone()[0]
        changed_years = con.execute("select changed_years from meta.build_info").fetchone()[0]
    finally:
        con.close()
    return {"reports_changed": len(changed), "warehouse_reports": in_warehouse, "wall_s": round(wall, 2),
            "cpu_s": round(cpu_total, 2), "build": describe_build(summary["build"]),
            "build_s": summary["build_seconds"], "export_cpu_s": summary["cpu"].get("export", 0),
            "years_changed": changed_years}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--corpus", choices=("synth", "real"), default="synth",
                        help="synth: generated reports, HTML in CMS page shells; real: the seed texts and a real "
                             "CMS page copied to N unique files (tools/realcorpus.py)")
    parser.add_argument("--layouts", default="text_tab,text_pipe,html")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument("--batch-size", type=int, default=500, help="files per extraction task")
    parser.add_argument("--prefect", action="store_true", help="run the ingest as a Prefect flow (temporary API server)")
    parser.add_argument("--nightly", type=int, default=0, metavar="K",
                        help="then change K reports and time the next night's ingest of them (incremental build)")
    parser.add_argument("--bare-html", action="store_true",
                        help="synthetic HTML reports without the CMS page shell (the corpus of earlier benchmarks)")
    args = parser.parse_args(argv)
    result = run(args.n, tuple(args.layouts.split(",")), args.workers, args.out, batch_size=args.batch_size,
                 corpus_kind=args.corpus, prefect=args.prefect, nightly=args.nightly, cms=not args.bare_html)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"duckdb {duckdb.__version__}")
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for name, figure in value.items():
                print(f"  {name:30} {figure}")
        else:
            print(f"{key:28} {value}")
    return 0 if result.get("accuracy_pct", 100.0) == 100.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
