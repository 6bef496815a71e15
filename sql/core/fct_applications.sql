-- One row per cell of table 3 (applications) of a report: outcome row × applicant column.
select
    f.report_id,
    r.report_year,
    f.row_code as outcome_code,
    f.outcome_group,
    f.col_code as applicant_code,
    f.value,
    f.value_status,
    f.raw_text,
    f.template_version,
    f.locator,
    f.note
from stg_facts f
join dim_reports r using (report_id)  -- reports only: an alias's copy of the facts is not repeated
where f.table_code = 'applications'
