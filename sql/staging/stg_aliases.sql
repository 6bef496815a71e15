-- One row per source URI recorded without being read: its bytes were those of a report already loaded (a moved file, a copy).
select
    source_uri,
    sha256,
    byte_size,
    try_cast(fetched_at as timestamptz) as fetched_at,
    cast(recorded_at as timestamptz) as recorded_at,
    publisher_hint
from raw.raw_aliases
