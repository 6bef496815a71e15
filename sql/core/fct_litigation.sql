-- One row per path (direct | after_review) and result of the litigation blocks of table 4 of a report.
-- incremental: report_id
select
    report_id,
    report_year,
    case row_code when 'litigation_direct' then 'direct' else 'after_review' end as path_code,
    col_code as result_code,
    value,
    value_status,
    raw_text,
    locator,
    note
from checks.facts
where table_code = 'reviews_litigation' and row_code in ('litigation_direct', 'litigation_after_review')
