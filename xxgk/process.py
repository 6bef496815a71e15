"""One source file → the staging records of one report (pure Python: no database, no Prefect).

This is what the extraction workers run; a batch of results is loaded by one writer
(xxgk/staging.py). Nothing here raises for bad input: an unreadable file becomes a report with
status ``failed`` and an error record saying why.
"""

from __future__ import annotations

import faulthandler
import hashlib
import json
import operator
import os
import signal
import stat
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from common.document import Document
from common.errors import ExtractionError, too_large
from common.sections import split_sections
from transforms.facts import MappedReport
from transforms.identities import evaluate
from transforms.infer import infer_missing
from transforms.mapper import map_document
from transforms.metadata import extract_meta
from transforms.narrative import find_claims
from transforms.ocr_accept import OcrSummary, accept_ocr
from transforms.pre2019 import is_pre2019
from transforms.registry import load_registry
from transforms.report_kind import NOT_REPORT_REASON, is_not_report
from xxgk.reading import read_bytes
from xxgk.records import FAILED_REPORT, SCHEMA, ReportRecords, SourceItem, report_id_for

EXTRACTOR_VERSION = "0.4.0"  # bump when extraction or mapping changes: every report is then read again
FILE_SECONDS = 120  # one file's extraction budget in a worker; past it the file is an ingest error ``timeout``
_HARD_LIMIT = False  # set in pool workers (xxgk/executor.py): a native watchdog ends a worker stuck in C code
_DEVNULL = None


def file_seconds() -> float:
    """The per-file budget: ``XXGK_FILE_SECONDS`` from the environment (seen by spawned workers too), else
    ``FILE_SECONDS``."""
    value = os.environ.get("XXGK_FILE_SECONDS", "").strip()
    try:
        return float(value) if value and float(value) > 0 else float(FILE_SECONDS)
    except ValueError:
        return float(FILE_SECONDS)


def hard_seconds(budget: float) -> float:
    """When the native watchdog ends a worker: the budget, plus a quarter of it (at least 1 s) for the
    Python time limit to end the file cleanly first."""
    return budget + max(1.0, budget / 4)


def enable_hard_limit() -> None:
    """Arm the native watchdog per file in this process (a pool worker: dying costs only this file)."""
    global _HARD_LIMIT, _DEVNULL
    _HARD_LIMIT = True
    if _DEVNULL is None:
        _DEVNULL = open(os.devnull, "w")  # noqa: SIM115 - kept open for the watchdog's whole life


@contextmanager
def hard_limit(seconds: float):
    """In a pool worker, end the process after ``seconds`` even inside C code (faulthandler's watchdog runs
    in a native thread that needs no GIL and no signal handler); elsewhere nothing."""
    if not _HARD_LIMIT:
        yield
        return
    faulthandler.dump_traceback_later(seconds, repeat=False, file=_DEVNULL, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
FACT_COLUMNS = tuple(name for name in SCHEMA["raw_facts"] if name != "report_id")
_fact_values = operator.attrgetter(*FACT_COLUMNS)  # one C call per fact instead of a getattr per column


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _report_status(mapped: MappedReport, doc: Document, template_version: str | None,
                   ocr: OcrSummary | None = None) -> tuple[str, str | None]:
    registry = load_registry()
    found = [t for t in registry.table_codes if t in mapped.templates]
    if template_version == registry.old_forms.get("version"):
        return "loaded", "pre-2019 report: narrative only, no national tables"
    if not found:
        unread = [w for w in doc.warnings if w.startswith("ocr_unavailable")]
        return "no_tables", "no statistical table found (narrative-only report or tables as images)" + (
            f"; {unread[0]}" if unread else "")
    reasons = []
    failing = evaluate(registry, mapped.facts, mapped.templates, failing="error")
    if failing:
        shown = "; ".join(v.describe() for v in failing[:6]) + (f"; … {len(failing) - 6} more" if len(failing) > 6 else "")
        tried = (f"other readings of {len(mapped.rereadings)} rows were tried and none satisfies them"
                 if mapped.rereadings else "the printed numbers allow no other reading: the source contradicts itself")
        reasons.append(f"identities fail: {shown} ({tried})")
    missing_tables = [t for t in registry.table_codes if t not in found]
    if missing_tables:
        reasons.append("tables not found: " + ", ".join(missing_tables))
    counts = {status: sum(1 for f in mapped.facts if f.value_status == status) for status in ("missing", "text", "inferred")}
    if counts["missing"]:
        reasons.append(f"{counts['missing']} cells missing")
    if counts["text"]:
        reasons.append(f"{counts['text']} cells not readable as numbers")
    if counts["inferred"]:
        notes = sorted({f.note for f in mapped.facts if f.value_status == "inferred" and f.note
                        and not f.note.startswith("OCR confidence")})  # OCR corrections: ocr.describe() counts them
        reasons.append(f"{counts['inferred']} cells inferred ({'; '.join(notes)})")
    if failing:
        return "inconsistent", "; ".join(reasons)
    if ocr is not None:
        if not ocr.accepted:
            return "unverified", "; ".join([ocr.describe(), *reasons])
        return ("partial" if reasons else "loaded"), "; ".join([ocr.describe(), *reasons])
    return ("partial", "; ".join(reasons)) if reasons else ("loaded", None)


def _is_pre2019(doc: Document, mapped: MappedReport) -> bool:
    """From labels and content, never from the year (transforms/pre2019.py says the rule)."""
    return is_pre2019(doc, mapped.templates)


def process_bytes(data: bytes, item: SourceItem) -> ReportRecords:
    """Extract, map and describe one report; failures become records, never exceptions."""
    base = _base(item, data)
    rid = base["report_id"]
    try:
        source_format, doc = read_bytes(data, item.name or item.path, item.http_charset,
                                        str(Path(item.path).parent) if item.path else None)
        stage = "map"
        mapped = map_document(doc)
        ocr = accept_ocr(mapped, doc)
        infer_missing(mapped)
    except ExtractionError as exc:
        return _failed(base, "extract", exc.code, exc.message)
    except Exception as exc:  # a bug or an input nobody foresaw: record it, keep the batch going
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return _failed(base, locals().get("stage", "extract"), "internal_error", detail)

    meta = extract_meta(doc.text, doc.title or doc.meta.get("ArticleTitle"), None)
    template_version = mapped.template_version
    if _is_pre2019(doc, mapped):
        template_version = load_registry().old_forms["version"]
        for row in mapped.unmapped:
            row.reason = "pre-2019 statistics table: its categories do not map to the national templates"
    year, year_method = meta.report_year, meta.year_method
    if is_not_report(doc, mapped.templates):
        # a README, a notice, an index page: never credited to a publisher, never a report of a year
        status, reason = "not_report", NOT_REPORT_REASON
        publisher, method, confidence = None, "none", 0.0
        year, year_method = None, "none"
        match = dict.fromkeys(resolve_publisher_fields(None, "", None))
    else:
        publisher = meta.publisher_name
        method, confidence = meta.publisher_method, meta.publisher_confidence
        if publisher is None and item.publisher_hint:
            publisher, method, confidence = item.publisher_hint, "source_registry", 0.9
        match = resolve_publisher_fields(publisher, doc.text, year)
        status, reason = _report_status(mapped, doc, template_version, ocr)
    report = base | {
        "source_format": source_format,
        "layout": doc.layout,
        "publisher_name": publisher,
        "publisher_method": method,
        "publisher_confidence": confidence,
        "report_year": year,
        "year_method": year_method,
        "title": meta.title or doc.title,
        "template_version": template_version,
        "proactive_template": mapped.templates.get("proactive"),
        "applications_template": mapped.templates.get("applications"),
        "n_tables": len(doc.tables),
        "n_facts": len(mapped.facts),
        "n_missing": sum(1 for f in mapped.facts if f.value_status == "missing"),
        "warnings": json.dumps(doc.warnings + mapped.warnings, ensure_ascii=False),
        "status": status,
        "status_reason": reason,
        "facts_fingerprint": facts_fingerprint(mapped.facts),
        **match,
    }
    records = ReportRecords(report=report)
    for claim in find_claims(doc.text):
        records.claims.append({"report_id": rid, "claim_code": claim.claim_code, "value": claim.value,
                               "snippet": claim.snippet})
    for fact in mapped.facts:
        row = {"report_id": rid, **dict(zip(FACT_COLUMNS, _fact_values(fact), strict=True))}
        row["amount_yuan"] = str(fact.amount_yuan) if fact.amount_yuan is not None else None
        records.facts.append(row)
    for t_index, table in enumerate(doc.tables):
        for cell in table.cells:
            records.cells.append({
                "report_id": rid, "table_index": t_index, "row_index": cell.row, "col_index": cell.col,
                "row_span": cell.row_span, "col_span": cell.col_span, "text": cell.text,
                "locator": cell.locator,
            })
    for order, section in enumerate(split_sections(doc.text)):
        records.sections.append({"report_id": rid, "section_order": order, "section_code": section.section_code,
                                 "heading": section.heading, "text": section.text})
    for row in mapped.unmapped:
        records.unmapped.append({"report_id": rid, **asdict(row)})
    return records


def warm_up() -> None:
    """Load once what every file needs (the template registry, the divisions and their name index, the text
    converters) by reading a small report heading: a pool worker does it before its first batch."""
    heading = "福建省平潭综合实验区管理委员会2021年政府信息公开工作年度报告"
    process_bytes(f"{heading}\n一、总体情况\n".encode(), SourceItem("warm-up:report.txt", "", name="report.txt"))
    page = f"<html><body><h1>{heading}</h1><table><tr><td>规章</td><td>1</td></tr></table></body></html>"
    process_bytes(page.encode(), SourceItem("warm-up:report.html", "", name="report.html"))


def facts_fingerprint(facts) -> str | None:
    """A digest of a report's facts in canonical order (cell, value, status, unit): two renderings of one
    report (a .txt and a .docx, a page and its PDF) have the same; None for a document without facts."""
    if not facts:
        return None
    rows = sorted(f"{f.table_code}|{f.row_code}|{f.col_code}|{f.value!r}|{f.value_status}|{f.unit or ''}"
                  for f in facts)
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()


def publisher_key(match) -> str | None:
    """Who a report belongs to across years: a government by its division, others by division and name."""
    if match.status == "resolved" and match.division_code:
        if match.kind in ("people_government", "government_office"):
            return f"{match.division_code}:{match.kind}"
        return f"{match.division_code}:{match.kind}:{match.normalized_name}"
    return f"name:{match.normalized_name}" if match.normalized_name else None


def resolve_publisher_fields(name: str | None, text: str, year: int | None) -> dict:
    """Publisher resolution columns of dim_reports (divisions from a maintained dataset)."""
    from transforms.publishers import resolve_publisher

    match = resolve_publisher(name, context_text=text[:6000], report_year=year)
    return {
        "publisher_key": publisher_key(match),
        "publisher_normalized": match.normalized_name,
        "publisher_kind": match.kind,
        "province_name": match.province_name, "province_code": match.province_code,
        "city_name": match.city_name, "city_code": match.city_code,
        "county_name": match.county_name, "county_code": match.county_code,
        "division_code": match.division_code,
        "publisher_status": match.status, "publisher_reason": match.reason,
        "publisher_resolution_confidence": match.confidence,
    }


def _base(item: SourceItem, data: bytes | None) -> dict:
    """The columns every report row has, whatever happened to it."""
    return {
        "report_id": report_id_for(item.source_uri),
        "source_uri": item.source_uri,
        "sha256": hashlib.sha256(data).hexdigest() if data is not None else None,
        "byte_size": len(data) if data is not None else None,
        "fetched_at": item.fetched_at,
        "ingested_at": _now(),
        "extractor_version": EXTRACTOR_VERSION,
        "publisher_hint": item.publisher_hint,
    }


def failed_item(item: SourceItem, stage: str, code: str, message: str, data: bytes | None = None) -> ReportRecords:
    """The records of a file that could not be processed: a failed report and its ingest error."""
    return _failed(_base(item, data), stage, code, message)


def _failed(base: dict, stage: str, code: str, message: str) -> ReportRecords:
    # a message may name a path that is not valid UTF-8 (undecodable bytes as surrogates): escape them
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    report = FAILED_REPORT | base | {"status": "failed", "status_reason": f"{code}: {message}"}
    error = {"report_id": base["report_id"], "source_uri": base["source_uri"], "sha256": base["sha256"],
             "stage": stage, "error_code": code, "message": message, "occurred_at": _now()}
    return ReportRecords(report=report, errors=[error])


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; a FIFO, device or socket is never read (a FIFO
    would block, /dev/zero never end), nor is a file that grows past the cap while it is read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ExtractionError("not_regular_file", f"{_kind(info.st_mode)}, not a regular file: not read")
        if info.st_size > max_bytes:
            raise too_large("any file", info.st_size, max_bytes)
        with os.fdopen(os.dup(fd), "rb", buffering=0) as fh:
            data = fh.read(info.st_size + 1)  # one buffer of the file's size, as Path.read_bytes
            if len(data) > info.st_size:  # it grows while it is read: read on, up to the cap
                data += fh.read(max_bytes + 1 - len(data))
        if len(data) > max_bytes:
            raise too_large("any file", len(data), max_bytes)
        return data
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "a special file"


def process_item(item: SourceItem, max_bytes: int = 256 * 1024 * 1024) -> ReportRecords | None:
    """Read one file and process it (None when its bytes equal the loaded version); never raises."""
    path = Path(item.path)
    try:
        data = read_regular_file(path, max_bytes)
        if item.known_sha256 and hashlib.sha256(data).hexdigest() == item.known_sha256:
            return None
    except (OSError, ExtractionError) as exc:
        code = exc.code if isinstance(exc, ExtractionError) else "unreadable_file"
        return failed_item(item, "read", code, str(getattr(exc, "message", exc)))
    budget = file_seconds()
    try:
        with hard_limit(hard_seconds(budget)), time_limit(budget):
            return process_bytes(data, item)
    except FileTimeout:
        return failed_item(item, "extract", "timeout",
                           f"reading the file took longer than {budget:g} s (pathological layout?)", data)
    except Exception as exc:  # a bug after mapping (metadata, publisher, sections): this file fails, not the batch
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return failed_item(item, "describe", "internal_error", detail, data)


class FileTimeout(BaseException):
    """Raised by ``time_limit`` (a BaseException, so ``process_bytes`` cannot record it as its own error)."""


@contextmanager
def time_limit(seconds: float):
    """Interrupt the block after ``seconds`` (SIGALRM: only in a process's main thread, where pool
    workers run their tasks; in a thread, as on Dask workers or with ``workers=1``, the block runs
    unbounded). An enclosing limit is kept."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise FileTimeout()

    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer_left) if outer_left else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:  # an enclosing limit keeps what is left of its time
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - started), 1e-3))


def process_batch(items: list[SourceItem]) -> tuple[list[ReportRecords], int]:
    """The unit of work of one extraction task: (records of changed files, number unchanged)."""
    results = [process_item(item) for item in items]
    changed = [r for r in results if r is not None]
    return changed, len(results) - len(changed)
