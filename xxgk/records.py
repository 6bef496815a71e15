"""The staging contract, declared once: what a worker sends for each file, column by column.

Workers build these records (xxgk/process.py), the batch turns them into Arrow tables with exactly
these columns and types (xxgk/batch.py), the spool writes them, the one writer creates the staging
tables from ``SCHEMA`` (xxgk/staging.py) and the SQL staging models read them (sql/staging/).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

SCHEMA = {
    "raw_reports": {
        "report_id": pl.Utf8, "source_uri": pl.Utf8, "sha256": pl.Utf8, "byte_size": pl.Int64,
        "fetched_at": pl.Utf8, "ingested_at": pl.Utf8, "extractor_version": pl.Utf8, "publisher_hint": pl.Utf8,
        "source_format": pl.Utf8, "layout": pl.Utf8, "publisher_name": pl.Utf8, "publisher_method": pl.Utf8,
        "publisher_confidence": pl.Float64, "report_year": pl.Int32, "year_method": pl.Utf8, "title": pl.Utf8,
        "template_version": pl.Utf8, "proactive_template": pl.Utf8, "applications_template": pl.Utf8,
        "n_tables": pl.Int32, "n_facts": pl.Int32, "n_missing": pl.Int32, "warnings": pl.Utf8,
        "status": pl.Utf8, "status_reason": pl.Utf8,
        "publisher_key": pl.Utf8, "publisher_normalized": pl.Utf8, "publisher_kind": pl.Utf8,
        "province_name": pl.Utf8, "province_code": pl.Utf8, "city_name": pl.Utf8, "city_code": pl.Utf8,
        "county_name": pl.Utf8, "county_code": pl.Utf8, "division_code": pl.Utf8, "publisher_status": pl.Utf8,
        "publisher_reason": pl.Utf8, "publisher_resolution_confidence": pl.Float64,
        "facts_fingerprint": pl.Utf8,
    },
    "raw_facts": {
        "report_id": pl.Utf8, "table_code": pl.Utf8, "row_code": pl.Utf8, "col_code": pl.Utf8,
        "template_version": pl.Utf8, "value": pl.Float64, "value_status": pl.Utf8, "raw_text": pl.Utf8,
        "unit": pl.Utf8, "amount_yuan": pl.Utf8, "article_code": pl.Utf8, "outcome_group": pl.Utf8,
        "locator": pl.Utf8, "label_text": pl.Utf8, "note": pl.Utf8,
    },
    "raw_cells": {
        "report_id": pl.Utf8, "table_index": pl.Int32, "row_index": pl.Int32, "col_index": pl.Int32,
        "row_span": pl.Int32, "col_span": pl.Int32, "text": pl.Utf8, "locator": pl.Utf8,
    },
    "raw_sections": {
        "report_id": pl.Utf8, "section_order": pl.Int32, "section_code": pl.Utf8, "heading": pl.Utf8,
        "text": pl.Utf8,
    },
    "raw_unmapped": {
        "report_id": pl.Utf8, "table_code": pl.Utf8, "label_text": pl.Utf8, "values": pl.Utf8,
        "locator": pl.Utf8, "reason": pl.Utf8,
    },
    "raw_claims": {
        "report_id": pl.Utf8, "claim_code": pl.Utf8, "value": pl.Float64, "snippet": pl.Utf8,
    },
    "raw_errors": {
        "report_id": pl.Utf8, "source_uri": pl.Utf8, "sha256": pl.Utf8, "stage": pl.Utf8,
        "error_code": pl.Utf8, "message": pl.Utf8, "occurred_at": pl.Utf8,
    },
}
PER_REPORT = ("raw_facts", "raw_cells", "raw_sections", "raw_unmapped", "raw_claims", "raw_errors")

# the columns of a report that could not be read, besides its identity and provenance
FAILED_REPORT = {name: None for name in SCHEMA["raw_reports"]} | dict(
    publisher_method="none", publisher_confidence=0.0, year_method="none", n_tables=0, n_facts=0, n_missing=0,
    warnings="[]")


@dataclass(slots=True)
class SourceItem:
    """A file to ingest: where it came from and where its bytes are."""

    source_uri: str
    path: str
    publisher_hint: str | None = None
    fetched_at: str | None = None
    http_charset: str | None = None
    known_sha256: str | None = None  # what staging holds for this URI: equal bytes are not re-extracted
    name: str | None = None  # a file name or suffix for format sniffing when the path has none (raw store)
    sha256: str | None = None  # the bytes' digest when the source already knows it (the crawler's raw store)


@dataclass
class ReportRecords:
    """Everything one report contributes to staging."""

    report: dict
    facts: list[dict] = field(default_factory=list)
    cells: list[dict] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    unmapped: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def report_id_for(source_uri: str) -> str:
    """The identity of what was read at a source URI (a report, or a copy the build files as an alias)."""
    return hashlib.sha256(source_uri.encode("utf-8")).hexdigest()[:16]


def source_uri_for(path: Path) -> str:
    return path.resolve().as_uri()
