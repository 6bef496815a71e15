"""What an ingest or a crawl did, counted apart: the summaries ``xxgk ingest`` and ``xxgk crawl`` print.

Every file an ingest meets ends in exactly one outcome: read, with the status of its report
(``loaded`` · ``partial`` · ``no_tables`` · ``inconsistent`` · ``not_report`` · ``failed``), or not
read: ``unchanged`` (staging holds these bytes for this URI), ``same_bytes`` (a loaded report
holds these bytes under another URI: recorded as its alias) or ``skipped`` (found in a folder but
not a report file: the reason is listed). A crawl's outcome per URL: ``fetched`` (new or changed
bytes), ``unchanged`` (304 or the same bytes), ``refused`` (robots.txt or a host outside the
source's allowed hosts) or ``failed`` (by error code).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from xxgk.dictionary import load_dictionary

# the report statuses a file read can end in: the data dictionary's code list (one declaration)
READ_STATUSES = tuple(code.code for code in load_dictionary().codes["report_status"].codes)
NOT_READ = ("unchanged", "same_bytes", "skipped")
OUTCOMES = READ_STATUSES + NOT_READ
REFUSED = ("robots_disallowed", "robots_unavailable", "offsite_link", "offsite_redirect")


@dataclass
class IngestOutcome:
    """Counts and the lists a user needs to act on (failed, not reports, copies, skipped files)."""

    counts: Counter = field(default_factory=Counter)
    failed_files: list[dict] = field(default_factory=list)
    not_reports: list[str] = field(default_factory=list)
    same_bytes_files: list[dict] = field(default_factory=list)
    skipped_files: list[dict] = field(default_factory=list)

    def add_plan(self, plan) -> None:
        """The files a plan does not read: copies of loaded reports and skipped files."""
        self.counts["same_bytes"] += len(plan.same_bytes)
        self.same_bytes_files += [{"source_uri": a["source_uri"], "same_as": a["same_as"]} for a in plan.same_bytes]
        self.counts["skipped"] += len(plan.skipped)
        self.skipped_files += [{"path": s.path, "reason": s.reason} for s in plan.skipped]

    def add_batch(self, batch) -> None:
        """One loaded batch (xxgk/batch.py ExtractedBatch): its reports by status, and its unchanged files."""
        self.counts["unchanged"] += batch.unchanged
        if not batch.frames:
            return
        reports = batch.frames["raw_reports"].select(["source_uri", "status", "status_reason"]).to_pylist()
        for row in reports:
            self.counts[row["status"]] += 1
            if row["status"] == "failed":
                self.failed_files.append({"source_uri": row["source_uri"], "reason": row["status_reason"]})
            elif row["status"] == "not_report":
                self.not_reports.append(row["source_uri"])

    @property
    def read(self) -> int:
        return sum(n for status, n in self.counts.items() if status not in NOT_READ)

    def as_dict(self) -> dict:
        """The machine summary: every outcome's count (zeros included), then the lists."""
        counts = {name: self.counts.get(name, 0) for name in OUTCOMES}
        counts |= {name: n for name, n in self.counts.items() if name not in counts}  # a status added later
        files = sum(n for name, n in counts.items() if name != "skipped")
        return {"files": files, "read": self.read, **counts, "failed_files": self.failed_files,
                "not_reports": self.not_reports, "same_bytes_files": self.same_bytes_files,
                "skipped_files": self.skipped_files}


def _listed(title: str, rows: list[str], limit: int) -> list[str]:
    if not rows:
        return []
    more = [f"  … and {len(rows) - limit} more (xxgk ingest --json lists them all)"] if len(rows) > limit else []
    return [title, *(f"  {row}" for row in rows[:limit]), *more]


def render_ingest(summary: dict, limit: int = 20) -> str:
    """The ingest summary for people: one line of counts per outcome, then what needs a look."""
    lines = [f"ingest: {summary['files']} files ({summary['read']} read), {summary['skipped']} skipped"]
    width = max(len(name) for name in OUTCOMES)
    lines += [f"  {name:{width}} {summary.get(name, 0):>7}" for name in OUTCOMES]
    lines += _listed("failed:", [f"{f['source_uri']}  {f['reason']}" for f in summary["failed_files"]], limit)
    lines += _listed("not a report (no publisher, not counted):", summary["not_reports"], limit)
    lines += _listed("same bytes as a loaded report (recorded as its alias, not read):",
                     [f"{a['source_uri']}  = {a['same_as']}" for a in summary["same_bytes_files"]], limit)
    lines += _listed("skipped:", [f"{s['path']}  {s['reason']}" for s in summary["skipped_files"]], limit)
    return "\n".join(lines)


def summarize_crawl(result) -> dict:
    """A crawl's outcome (xxgk/crawl/crawler.py CrawlResult): documents fetched or unchanged, URLs refused
    or failed, by reason and by source."""
    sources: dict[str, Counter] = {}
    for doc in result.documents:
        sources.setdefault(doc.publisher, Counter())["fetched" if doc.changed else "unchanged"] += 1
    refused, failed = Counter(), Counter()
    for failure in result.failures:
        kind = "refused" if failure.error_code in REFUSED else "failed"
        (refused if kind == "refused" else failed)[failure.error_code] += 1
        sources.setdefault(failure.publisher, Counter())[kind] += 1
    fetched = sum(1 for d in result.documents if d.changed)
    return {
        "documents": len(result.documents), "fetched": fetched, "unchanged": len(result.documents) - fetched,
        "refused": sum(refused.values()), "failed": sum(failed.values()),
        "refused_by_reason": dict(sorted(refused.items())), "failed_by_reason": dict(sorted(failed.items())),
        "listing_pages": len(result.listing_pages),
        "sources": {name: {k: c.get(k, 0) for k in ("fetched", "unchanged", "refused", "failed")}
                    for name, c in sorted(sources.items())},
        "failures": [{"uri": f.uri, "publisher": f.publisher, "kind": f.kind, "error_code": f.error_code,
                      "http_status": f.http_status, "message": f.message} for f in result.failures],
    }


def render_crawl(summary: dict, limit: int = 20) -> str:
    """The crawl summary for people."""
    lines = [f"crawl: {summary['fetched']} fetched (new or changed), {summary['unchanged']} unchanged, "
             f"{summary['refused']} refused, {summary['failed']} failed ({summary['listing_pages']} listing pages)"]
    for label in ("refused", "failed"):
        reasons = summary[f"{label}_by_reason"]
        if reasons:
            lines.append(f"  {label} by reason: " + ", ".join(f"{code} {n}" for code, n in reasons.items()))
    for name, counts in summary["sources"].items():
        lines.append(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    rows = [f"{f['error_code']:18} {f['uri']}" + (f" (HTTP {f['http_status']})" if f["http_status"] else "")
            + (f"  {f['message']}" if f["message"] and f["message"] != f"HTTP {f['http_status']}" else "")
            for f in summary["failures"]]
    lines += _listed("refused or failed:", rows, limit)
    return "\n".join(lines)
