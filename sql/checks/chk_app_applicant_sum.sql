-- One row per report × outcome row: total = the sum of the six applicant columns (reference §6).
-- Many reports leave 总计 blank on detail rows: that is not assessable, not a failure.
with rows_ as (
    select
        report_id,
        outcome_code,
        sum(value) filter (where applicant_code = 'total') as total,
        sum(value) filter (where applicant_code <> 'total') as parts,
        count(*) filter (where value_status <> 'reported') as n_unusable
    from fct_applications
    group by report_id, outcome_code
)
select
    report_id,
    'app_applicant_sum' as check_code,
    'row:' || outcome_code as scope,
    total as expected,
    parts as actual,
    case
        when n_unusable > 0 or total is null then 'not_assessable'
        when abs(total - parts) <= 0 then 'pass'
        else 'fail'
    end as status,
    'error' as severity,
    0.0 as tolerance
from rows_
