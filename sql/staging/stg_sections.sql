-- One row per section of a report's narrative.
select report_id, section_order, section_code, heading, text
from raw.raw_sections
