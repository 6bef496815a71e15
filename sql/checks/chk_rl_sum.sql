-- One row per report × block of table 4: upheld + corrected + other + pending = total (reference §6).
with blocks as (
    select
        report_id,
        row_code as block_code,
        sum(value) filter (where col_code = 'total') as total,
        sum(value) filter (where col_code <> 'total') as parts,
        count(*) filter (where value_status <> 'reported') as n_unusable
    from stg_facts
    where table_code = 'reviews_litigation' and report_id in (select report_id from dim_reports)
    group by report_id, row_code
)
select
    report_id,
    'rl_sum' as check_code,
    'block:' || block_code as scope,
    total as expected,
    parts as actual,
    case
        when n_unusable > 0 or total is null then 'not_assessable'
        when abs(total - parts) <= 0 then 'pass'
        else 'fail'
    end as status,
    'error' as severity,
    0.0 as tolerance
from blocks
