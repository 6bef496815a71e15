-- One row per cell of table 2 (proactive disclosure) of a report: article × item × metric.
select
    f.report_id,
    r.report_year,
    f.article_code,
    f.row_code as item_code,
    f.col_code as metric_code,
    f.value,
    f.unit,
    f.amount_yuan,
    f.value_status,
    f.raw_text,
    f.template_version,
    f.locator,
    f.note
from stg_facts f
join dim_reports r using (report_id)  -- reports only: an alias's copy of the facts is not repeated
where f.table_code = 'proactive'
