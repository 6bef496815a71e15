-- One row per report × applicant column: new_received + carried_over = total_handled + carried_forward (reference §6).
-- Only reported cells are assessed: a blank, placeholder, missing or inferred term makes the column not assessable.
with cols as (
    select
        report_id,
        applicant_code,
        sum(value) filter (where outcome_code in ('new_received', 'carried_over')) as lhs,
        sum(value) filter (where outcome_code in ('total_handled', 'carried_forward')) as rhs,
        count(*) filter (where outcome_code in ('new_received', 'carried_over', 'total_handled', 'carried_forward')
                         and value_status = 'reported') as n_reported
    from fct_applications
    group by report_id, applicant_code
)
select
    report_id,
    'app_balance' as check_code,
    'column:' || applicant_code as scope,
    lhs as expected,
    rhs as actual,
    case
        when n_reported < 4 then 'not_assessable'
        when abs(lhs - rhs) <= 0 then 'pass'
        else 'fail'
    end as status,
    'error' as severity,
    0.0 as tolerance
from cols
