-- One row per canonical cell of a report, the three tables in one long form (table_code, row_code, col_code), typed: what the checks and the fact tables read.
-- Counts are integers (value); money cells (the registry's money metrics of table 2) are an exact decimal in their unit (amount, value null).
-- A count whose text reads as a fraction is no count: its value is null and its status text, the raw text kept.
-- materialized: view
-- schema: checks
-- incremental: report_id
with metrics as (
    select code, bool_or(is_money) as is_money from labels where code_kind = 'metric' group by code
),
typed as (
    select
        f.*,
        r.report_year,
        coalesce(m.is_money, false) as is_money,
        not coalesce(m.is_money, false) and f.value is not null and f.value <> trunc(f.value) as is_fraction
    from staging.stg_facts f
    join dim_reports r using (report_id)  -- reports only: an alias's copy of the facts is not repeated
    left join metrics m on f.table_code = 'proactive' and m.code = f.col_code
)
select
    report_id,
    report_year,
    table_code,
    row_code,
    col_code,
    template_version,
    case when not is_money and not is_fraction then cast(value as bigint) end as value,
    case when is_money then cast(value as decimal(38, 6)) end as amount,
    unit,
    amount_yuan,
    case when is_fraction then 'text' else value_status end as value_status,
    raw_text,
    article_code,
    outcome_group,
    locator,
    label_text,
    case when is_fraction then concat_ws('; ', note, 'not a whole number: a count is never fractional') else note end
        as note,
    is_money
from typed
