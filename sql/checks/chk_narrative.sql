-- One row per headline number stated in a report's narrative, compared with the table cell it summarises (info).
with table_values as (
    select report_id, 'new_received' as claim_code, value, value_status from fct_applications
    where outcome_code = 'new_received' and applicant_code = 'total'
    union all
    select report_id, 'total_handled', value, value_status from fct_applications
    where outcome_code = 'total_handled' and applicant_code = 'total'
    union all
    select report_id, 'carried_forward', value, value_status from fct_applications
    where outcome_code = 'carried_forward' and applicant_code = 'total'
    union all
    select report_id, 'admin_review', value, value_status from fct_admin_reviews where result_code = 'total'
    union all
    select report_id, 'litigation', sum(value), min(value_status) from fct_litigation
    where result_code = 'total' group by report_id
)
select
    c.report_id,
    'narrative' as check_code,
    'claim:' || c.claim_code as scope,
    c.value as expected,
    t.value as actual,
    case
        when t.value is null or t.value_status not in ('reported', 'inferred') then 'not_assessable'
        when c.value = t.value then 'pass'
        else 'fail'
    end as status,
    'info' as severity,
    0.0 as tolerance
from report_claims c
left join table_values t on t.report_id = c.report_id and t.claim_code = c.claim_code
where c.report_id in (select report_id from dim_reports)
