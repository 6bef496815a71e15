-- One row per file (version) that could not be read, with the stage and the reason.
select source_uri, sha256, stage, error_code, message, report_id, occurred_at
from staging.stg_errors
where report_id in (select report_id from dim_reports)  -- an alias fails as its report does
