-- One row per superseded version of a report (new bytes at the same source URI replaced it, or it was forgotten).
select
    report_id,
    source_uri,
    sha256,
    try_cast(fetched_at as timestamptz) as fetched_at,
    cast(ingested_at as timestamptz) as ingested_at,
    cast(superseded_at as timestamptz) as superseded_at,
    status,
    coalesce(event, 'replaced') as event
from raw.raw_report_history
