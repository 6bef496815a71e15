-- One row per result of the administrative-review block of table 4 of a report.
select
    f.report_id,
    r.report_year,
    f.col_code as result_code,
    f.value,
    f.value_status,
    f.raw_text,
    f.locator,
    f.note
from stg_facts f
join dim_reports r using (report_id)  -- reports only: an alias's copy of the facts is not repeated
where f.table_code = 'reviews_litigation' and f.row_code = 'admin_review'
