-- One row per table row that carried values or labels outside the template (kept, not mapped).
-- incremental: report_id
select report_id, table_code, label_text, "values" as values_text, locator, reason
from raw.raw_unmapped
