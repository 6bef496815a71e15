-- One row per cell of table 3 (applications) of a report: outcome row × applicant column.
-- incremental: report_id
select
    report_id,
    report_year,
    row_code as outcome_code,
    outcome_group,
    col_code as applicant_code,
    value,
    value_status,
    raw_text,
    template_version,
    locator,
    note
from checks.facts
where table_code = 'applications'
