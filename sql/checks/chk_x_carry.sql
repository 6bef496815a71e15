-- One row per publisher × consecutive year pair × applicant column: carried_forward(t−1) = carried_over(t) (warning).
-- Re-organisations break it legitimately (seed 000 says so in a note): a warning, never a correction.
with cells as (
    select d.publisher_key, d.report_year, a.report_id, a.outcome_code, a.applicant_code, a.value, a.value_status
    from fct_applications a
    join dim_reports d using (report_id)
    where a.outcome_code in ('carried_forward', 'carried_over') and d.publisher_key is not null
        and d.is_counted  -- one report per publisher and year: the join stays linear however many copies
)
select
    cur.report_id,
    'x_carry' as check_code,
    'column:' || cur.applicant_code || ' vs ' || prev.report_year as scope,
    prev.value as expected,
    cur.value as actual,
    case
        when prev.value_status <> 'reported' or cur.value_status <> 'reported' then 'not_assessable'
        when prev.value = cur.value then 'pass'
        else 'fail'
    end as status,
    'warning' as severity,
    0.0 as tolerance
from cells cur
join cells prev
    on prev.publisher_key = cur.publisher_key
    and prev.report_year = cur.report_year - 1
    and prev.applicant_code = cur.applicant_code
    and prev.outcome_code = 'carried_forward'
where cur.outcome_code = 'carried_over'
