-- One row per section of a report's narrative.
-- incremental: report_id
select report_id, section_order, section_code, heading, text
from raw.raw_sections
