-- One row per result of the administrative-review block of table 4 of a report.
-- incremental: report_id
select
    report_id,
    report_year,
    col_code as result_code,
    value,
    value_status,
    raw_text,
    locator,
    note
from checks.facts
where table_code = 'reviews_litigation' and row_code = 'admin_review'
