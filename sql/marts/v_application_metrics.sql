-- One row per counted report with table 3 (dim_reports.is_counted: one per publisher and year): the headline
-- application numbers and rates of reference §9.
-- disclosure_rate = (granted + partially_granted) / total_handled; *_share = group sum / total_handled;
-- carry_forward_rate = carried_forward / (new_received + carried_over). Only reported or inferred cells count;
-- a rate is NULL when its denominator is zero or unknown. Counts are integers; the publisher's divisions (GB/T 2260) from dim_publishers.
with totals as (
    select
        report_id,
        cast(sum(value) filter (where outcome_code = 'new_received') as bigint) as new_received,
        cast(sum(value) filter (where outcome_code = 'carried_over') as bigint) as carried_over,
        cast(sum(value) filter (where outcome_code = 'total_handled') as bigint) as total_handled,
        cast(sum(value) filter (where outcome_code = 'carried_forward') as bigint) as carried_forward,
        cast(sum(value) filter (where outcome_code in ('granted', 'partially_granted')) as bigint) as disclosed,
        cast(sum(value) filter (where outcome_group = 'withheld') as bigint) as withheld,
        cast(sum(value) filter (where outcome_group = 'unavailable') as bigint) as unavailable,
        cast(sum(value) filter (where outcome_group = 'not_processed') as bigint) as not_processed,
        cast(sum(value) filter (where outcome_group = 'other') as bigint) as other
    from fct_applications
    where applicant_code = 'total' and value_status in ('reported', 'inferred')
    group by report_id
)
select
    d.report_id,
    d.publisher_key,
    d.publisher_name,
    d.report_year,
    p.province_code,
    p.province_name,
    p.prefecture_code,
    p.prefecture_name,
    p.county_code,
    p.county_name,
    t.new_received,
    t.carried_over,
    t.total_handled,
    t.carried_forward,
    t.disclosed / nullif(t.total_handled, 0) as disclosure_rate,
    t.withheld / nullif(t.total_handled, 0) as withheld_share,
    t.unavailable / nullif(t.total_handled, 0) as unavailable_share,
    t.not_processed / nullif(t.total_handled, 0) as not_processed_share,
    t.other / nullif(t.total_handled, 0) as other_share,
    t.carried_forward / nullif(t.new_received + t.carried_over, 0) as carry_forward_rate
from totals t
join dim_reports d using (report_id)
left join dim_publishers p on p.publisher_key = d.publisher_key
where d.is_counted
