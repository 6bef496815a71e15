"""The crawler's own state file (``warehouse/xxgk.crawl.duckdb``): fetch_log and http_cache.

Only the crawler writes it; the build attaches it read-only to publish ``fetch_log``. Parameterized
SQL only: URLs and headers come from the web.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from xxgk.crawl.http import CacheEntry, FetchResult
from xxgk.crawl.sources import redact_url

CRAWL_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS fetch_log (
        crawl_id VARCHAR, uri VARCHAR, fetched_at TIMESTAMP, kind VARCHAR, publisher VARCHAR,
        referrer VARCHAR, listing_uri VARCHAR, attempt INTEGER, conditional BOOLEAN,
        http_status INTEGER, etag VARCHAR, last_modified VARCHAR, charset VARCHAR, sha256 VARCHAR,
        bytes BIGINT, media_type VARCHAR, error_code VARCHAR, error_message VARCHAR,
        redirect_to VARCHAR, duration_ms INTEGER)""",
    """CREATE TABLE IF NOT EXISTS http_cache (
        uri VARCHAR PRIMARY KEY, etag VARCHAR, last_modified VARCHAR, sha256 VARCHAR,
        last_fetched_at TIMESTAMP, final_uri VARCHAR, media_type VARCHAR, charset VARCHAR)""",
)


def crawl_state_path(db: Path) -> Path:
    """The crawl state that belongs to a warehouse file: warehouse/xxgk.duckdb → warehouse/xxgk.crawl.duckdb."""
    return Path(db).with_name(Path(db).stem + ".crawl.duckdb")


def create_tables(con: duckdb.DuckDBPyConnection, schema: str | None = None) -> None:
    """The crawl state's tables, in ``schema`` (an attached database) or the connection's default one."""
    for statement in CRAWL_SCHEMA:
        if schema:
            statement = statement.replace("CREATE TABLE IF NOT EXISTS ", f"CREATE TABLE IF NOT EXISTS {schema}.")
        con.execute(statement)


class CrawlState:
    """The crawler's DuckDB state file: fetch_log and http_cache (parameterized SQL only)."""

    def __init__(self, path: Path | str):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))
        create_tables(self.con)

    def close(self) -> None:
        self.con.close()

    def cache_get(self, uri: str) -> tuple[CacheEntry, str | None, str | None] | None:
        """(cache entry, final_uri, charset) for a URL fetched before, or None."""
        row = self.con.execute(
            "SELECT etag, last_modified, sha256, final_uri, charset FROM http_cache WHERE uri = ?", [uri]
        ).fetchone()
        if row is None:
            return None
        return CacheEntry(etag=row[0], last_modified=row[1], sha256=row[2]), row[3], row[4]

    def cache_put(self, uri: str, res: FetchResult, media_type: str | None, charset: str | None) -> None:
        self.con.execute(
            """INSERT INTO http_cache VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (uri) DO UPDATE SET etag = excluded.etag,
                 last_modified = excluded.last_modified, sha256 = excluded.sha256,
                 last_fetched_at = excluded.last_fetched_at, final_uri = excluded.final_uri,
                 media_type = excluded.media_type, charset = excluded.charset""",
            [uri, res.etag, res.last_modified, res.sha256, _naive_utc(datetime.now(UTC)), res.final_uri,
             media_type, charset],
        )

    def log(self, crawl_id: str, res: FetchResult, *, kind: str, publisher: str, referrer: str | None,
            listing_uri: str | None, charset: str | None, media_type: str | None) -> None:
        """One fetch_log row per attempt of ``res``; detected charset/media type go on the final one."""
        rows = []
        for i, a in enumerate(res.attempts):
            last = i == len(res.attempts) - 1
            rows.append([crawl_id, redact_url(a.uri), _naive_utc(a.fetched_at), kind, publisher,
                         redact_url(referrer) if referrer else None, redact_url(listing_uri) if listing_uri else None,
                         a.attempt, a.conditional, a.http_status, a.etag, a.last_modified,
                         charset if last else a.http_charset, a.sha256, a.size,
                         (media_type or a.media_type) if last else a.media_type,
                         a.error_code, a.error_message, redact_url(a.redirect_to) if a.redirect_to else None,
                         a.duration_ms])
        if rows:
            self.con.executemany(
                f"INSERT INTO fetch_log VALUES ({', '.join(['?'] * len(rows[0]))})", rows
            )


    def log_failure(self, crawl_id: str, failure) -> None:
        """A fetch_log row for a failure that is no request outcome (a page that cannot be parsed, a source
        that stopped): no attempt number, no HTTP fields, the code and message."""
        self.con.execute(
            "INSERT INTO fetch_log (crawl_id, uri, fetched_at, kind, publisher, referrer, http_status, error_code,"
            " error_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [crawl_id, redact_url(failure.uri), _naive_utc(datetime.now(UTC)), failure.kind, failure.publisher,
             failure.referrer, failure.http_status, failure.error_code, failure.message],
        )


def _naive_utc(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None)
