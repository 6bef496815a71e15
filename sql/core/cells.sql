-- One row per origin cell of every extracted table, with where it sits in the source: the provenance of every number.
-- incremental: report_id
select
    c.report_id,
    c.table_index,
    c.row_index,
    c.col_index,
    c.row_span,
    c.col_span,
    c.text,
    c.locator,
    f.table_code,
    f.row_code,
    f.col_code
from staging.stg_cells c
left join staging.stg_facts f on f.report_id = c.report_id and f.locator = c.locator
where c.report_id in (select report_id from dim_reports)
