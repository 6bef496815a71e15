-- One row per canonical cell of a report (all three tables), typed; amounts in yuan as exact decimals (value still the parsed double: the core types it).
-- incremental: report_id
select
    report_id,
    table_code,
    row_code,
    col_code,
    template_version,
    value,
    value_status,
    raw_text,
    unit,
    cast(amount_yuan as decimal(38, 6)) as amount_yuan,
    article_code,
    outcome_group,
    locator,
    label_text,
    note
from raw.raw_facts
