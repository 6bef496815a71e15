-- One row per publisher × consecutive year pair × item (2019 template): prior_items(t) = prior_items(t−1) + items_change(t−1) (warning).
with items as (
    select
        d.publisher_key,
        d.report_year,
        p.report_id,
        p.item_code,
        max(p.value) filter (where p.metric_code = 'prior_items') as prior_items,
        max(p.value) filter (where p.metric_code = 'items_change') as items_change,
        count(*) filter (where p.value_status = 'reported' and p.metric_code in ('prior_items', 'items_change'))
            as n_reported
    from fct_proactive_disclosure p
    join dim_reports d using (report_id)
    where p.template_version = '2019' and p.metric_code in ('prior_items', 'items_change')
        and d.publisher_key is not null
        and d.is_counted  -- one report per publisher and year: the join stays linear however many copies
    group by all
)
select
    cur.report_id,
    'x_items' as check_code,
    'item:' || cur.item_code || ' vs ' || prev.report_year as scope,
    prev.prior_items + prev.items_change as expected,
    cur.prior_items as actual,
    case
        when prev.n_reported < 2 or cur.prior_items is null then 'not_assessable'
        when prev.prior_items + prev.items_change = cur.prior_items then 'pass'
        else 'fail'
    end as status,
    'warning' as severity,
    0.0 as tolerance
from items cur
join items prev on prev.publisher_key = cur.publisher_key and prev.report_year = cur.report_year - 1
    and prev.item_code = cur.item_code
