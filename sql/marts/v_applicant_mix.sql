-- One row per counted report (dim_reports.is_counted) × applicant column: the share of new applications from that kind of applicant.
-- applicant_share = new_received[applicant] / new_received[total] (NULL when the total is zero or unknown).
select
    a.report_id,
    d.publisher_key,
    d.publisher_name,
    d.report_year,
    p.province_code,
    p.province_name,
    p.prefecture_code,
    p.prefecture_name,
    p.county_code,
    p.county_name,
    a.applicant_code,
    a.value as new_received,
    a.value / nullif(t.value, 0) as applicant_share
from fct_applications a
join fct_applications t
    on t.report_id = a.report_id and t.outcome_code = 'new_received' and t.applicant_code = 'total'
join dim_reports d on d.report_id = a.report_id
left join dim_publishers p on p.publisher_key = d.publisher_key
where a.outcome_code = 'new_received' and a.applicant_code <> 'total'
    and a.value_status in ('reported', 'inferred') and d.is_counted
