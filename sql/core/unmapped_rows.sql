-- One row per table row kept but not mapped (extra non-template rows, duplicates, rows of another template).
-- incremental: report_id
select report_id, table_code, label_text, values_text, locator, reason
from staging.stg_unmapped
where report_id in (select report_id from dim_reports)
