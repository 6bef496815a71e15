-- One row per version of a report that newer bytes at the same source URI replaced, or that `xxgk forget` removed.
select report_id, sha256, fetched_at, superseded_at, source_uri, ingested_at, status, event
from staging.stg_report_history
