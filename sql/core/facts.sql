-- One row per canonical cell of a report, the three tables in one long form (table_code, row_code, col_code): what the identity checks read.
-- materialized: view
select report_id, table_code, row_code, col_code, template_version, value, value_status
from stg_facts
