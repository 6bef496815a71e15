-- One row per counted report with table 3 (dim_reports.is_counted: one per publisher and year): the headline
-- application numbers and rates of reference §9.
-- disclosure_rate = (granted + partially_granted) / total_handled; *_share = group sum / total_handled;
-- carry_forward_rate = carried_forward / (new_received + carried_over). Only reported or inferred cells count;
-- a rate is NULL when its denominator is zero or unknown.
with totals as (
    select
        report_id,
        sum(value) filter (where outcome_code = 'new_received') as new_received,
        sum(value) filter (where outcome_code = 'carried_over') as carried_over,
        sum(value) filter (where outcome_code = 'total_handled') as total_handled,
        sum(value) filter (where outcome_code = 'carried_forward') as carried_forward,
        sum(value) filter (where outcome_code in ('granted', 'partially_granted')) as disclosed,
        sum(value) filter (where outcome_group = 'withheld') as withheld,
        sum(value) filter (where outcome_group = 'unavailable') as unavailable,
        sum(value) filter (where outcome_group = 'not_processed') as not_processed,
        sum(value) filter (where outcome_group = 'other') as other
    from fct_applications
    where applicant_code = 'total' and value_status in ('reported', 'inferred')
    group by report_id
)
select
    d.report_id,
    d.publisher_key,
    d.publisher_name,
    d.report_year,
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
where d.is_counted
