-- One row per headline number stated in a report's narrative, compared with the table cell it summarises (info).
-- reason: for not_assessable, the table has no such cell or its cell is not a number (its status); for fail, both numbers.
-- incremental: report_id
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
    select report_id, 'litigation', cast(sum(value) as bigint), min(value_status) from fct_litigation
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
    cast(0 as bigint) as tolerance,
    case
        when t.value_status is null then 'the table has no ' || c.claim_code || ' cell'
        when t.value is null or t.value_status not in ('reported', 'inferred') then c.claim_code || ' is ' || t.value_status
        when c.value <> t.value then 'the narrative says ' || c.value || ', the table ' || t.value
    end as reason
from report_claims c
left join table_values t on t.report_id = c.report_id and t.claim_code = c.claim_code
where c.report_id in (select report_id from dim_reports)
