-- One row per report × applicant column: total_handled = the sum of all result rows (reference §6).
with cols as (
    select
        report_id,
        applicant_code,
        sum(value) filter (where outcome_code = 'total_handled') as total,
        sum(value) filter (where outcome_group in ('result', 'withheld', 'unavailable', 'not_processed', 'other'))
            as parts,
        count(*) filter (where outcome_group is not null and value_status <> 'reported')
            + count(*) filter (where outcome_code = 'total_handled' and value_status <> 'reported') as n_unusable
    from fct_applications
    group by report_id, applicant_code
)
select
    report_id,
    'app_results_sum' as check_code,
    'column:' || applicant_code as scope,
    total as expected,
    parts as actual,
    case
        when n_unusable > 0 or total is null then 'not_assessable'
        when abs(total - parts) <= 0 then 'pass'
        else 'fail'
    end as status,
    'error' as severity,
    0.0 as tolerance
from cols
