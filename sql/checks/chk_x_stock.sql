-- One row per publisher × consecutive year pair × item (2021 template): in_force(t) = in_force(t−1) + issued(t) − repealed(t) (warning).
with items as (
    select
        d.publisher_key,
        d.report_year,
        p.report_id,
        p.item_code,
        max(p.value) filter (where p.metric_code = 'in_force') as in_force,
        max(p.value) filter (where p.metric_code = 'issued') as issued,
        max(p.value) filter (where p.metric_code = 'repealed') as repealed,
        count(*) filter (where p.value_status = 'reported') as n_reported
    from fct_proactive_disclosure p
    join dim_reports d using (report_id)
    where p.template_version = '2021' and p.item_code in ('rules', 'normative_docs') and d.publisher_key is not null
        and d.is_counted  -- one report per publisher and year: the join stays linear however many copies
    group by all
)
select
    cur.report_id,
    'x_stock' as check_code,
    'item:' || cur.item_code || ' vs ' || prev.report_year as scope,
    prev.in_force + cur.issued - cur.repealed as expected,
    cur.in_force as actual,
    case
        when cur.n_reported < 3 or prev.in_force is null then 'not_assessable'
        when prev.in_force + cur.issued - cur.repealed = cur.in_force then 'pass'
        else 'fail'
    end as status,
    'warning' as severity,
    0.0 as tolerance
from items cur
join items prev on prev.publisher_key = cur.publisher_key and prev.report_year = cur.report_year - 1
    and prev.item_code = cur.item_code
