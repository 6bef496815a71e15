-- One row per canonical cell of a report, the three tables in one long form (table_code, row_code, col_code): what the identity checks read.
-- materialized: view
select f.report_id, f.table_code, f.row_code, f.col_code, f.template_version, f.value, f.value_status
from stg_facts f
join dim_reports r using (report_id)  -- reports only: an alias's copy of the facts is not repeated
