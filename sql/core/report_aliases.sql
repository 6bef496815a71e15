-- One row per source URI that is not a report of its own but another URI's: the same bytes (a copy, a moved file, a
-- second portal) or the same facts in another rendering (a .txt and a .docx of one report). alias_uri → report_id.
-- The report is the URI read first (ingested_at, then source_uri) among those with its bytes; renderings of one
-- publisher and year whose facts fingerprints are equal are one report. Equal bytes that could not be read (an empty
-- file twice) are one failed report too.
with read_ as (
    select
        report_id,
        source_uri,
        sha256,
        fetched_at,
        ingested_at,
        status,
        case when sha256 is null then 'uri:' || report_id else 'sha:' || sha256 end as bytes_key,
        case when facts_fingerprint is not null and publisher_key is not null and report_year is not null
             and status <> 'not_report'
            then publisher_key || '|' || report_year || '|' || facts_fingerprint
            else 'uri:' || report_id end as facts_key
    from staging.stg_reports
),
by_bytes as (
    select *, first_value(report_id) over (partition by bytes_key order by ingested_at, source_uri) as bytes_id
    from read_
),
holders as (  -- the first URI of each distinct bytes, and the report its facts make it
    select
        report_id as bytes_id,
        sha256,
        first_value(report_id) over (partition by facts_key order by ingested_at, source_uri) as canonical_id
    from by_bytes
    where report_id = bytes_id
),
aliases as (
    select b.source_uri as alias_uri, h.canonical_id as report_id, b.sha256, b.fetched_at, b.ingested_at as recorded_at
    from by_bytes b
    join holders h using (bytes_id)
    where b.report_id <> h.canonical_id
    union all
    select a.source_uri, h.canonical_id, a.sha256, a.fetched_at, a.recorded_at
    from staging.stg_aliases a
    join holders h on h.sha256 = a.sha256
    where a.source_uri not in (select source_uri from staging.stg_reports)
)
select
    a.alias_uri,
    a.report_id,
    case when a.sha256 = r.sha256 then 'same_bytes' else 'same_facts' end as reason,
    a.sha256,
    a.fetched_at,
    a.recorded_at
from aliases a
join read_ r using (report_id)
