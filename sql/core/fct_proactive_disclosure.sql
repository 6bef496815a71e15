-- One row per cell of table 2 (proactive disclosure) of a report: article × item × metric.
-- Counts in value (an integer); the money metrics in amount (an exact decimal in unit) and amount_yuan, value null.
-- incremental: report_id
select
    report_id,
    report_year,
    article_code,
    row_code as item_code,
    col_code as metric_code,
    value,
    amount,
    unit,
    amount_yuan,
    value_status,
    raw_text,
    template_version,
    locator,
    note
from checks.facts
where table_code = 'proactive'
