-- One row per error met while reading a file.
select report_id, source_uri, sha256, stage, error_code, message, cast(occurred_at as timestamptz) as occurred_at
from raw.raw_errors
