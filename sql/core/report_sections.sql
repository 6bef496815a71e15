-- One row per section (一 … 六, or the preamble before them) of a report's narrative.
-- incremental: report_id
select report_id, section_code, section_order, heading, text
from staging.stg_sections
where report_id in (select report_id from dim_reports)
