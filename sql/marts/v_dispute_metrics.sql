-- One row per counted report (dim_reports.is_counted) with table 4: review and litigation totals and the rates of reference §9.
-- review_correction_rate = admin_review.corrected / admin_review.total;
-- review_correction_rate_decided = corrected / (total − pending);
-- litigation_correction_rate = corrected / total over both litigation blocks;
-- dispute_rate = (admin_review.total + litigation totals) / new_received (total column).
with rl as (
    select
        report_id,
        cast(sum(value) filter (where row_code = 'admin_review' and col_code = 'total') as bigint) as review_total,
        cast(sum(value) filter (where row_code = 'admin_review' and col_code = 'corrected') as bigint) as review_corrected,
        cast(sum(value) filter (where row_code = 'admin_review' and col_code = 'pending') as bigint) as review_pending,
        cast(sum(value) filter (where row_code <> 'admin_review' and col_code = 'total') as bigint) as litigation_total,
        cast(sum(value) filter (where row_code <> 'admin_review' and col_code = 'corrected') as bigint) as litigation_corrected
    from checks.facts
    where table_code = 'reviews_litigation' and value_status in ('reported', 'inferred')
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
    rl.review_total,
    rl.review_corrected,
    rl.litigation_total,
    rl.litigation_corrected,
    rl.review_corrected / nullif(rl.review_total, 0) as review_correction_rate,
    rl.review_corrected / nullif(rl.review_total - rl.review_pending, 0) as review_correction_rate_decided,
    rl.litigation_corrected / nullif(rl.litigation_total, 0) as litigation_correction_rate,
    (rl.review_total + rl.litigation_total) / nullif(m.new_received, 0) as dispute_rate
from rl
join dim_reports d using (report_id)
left join dim_publishers p on p.publisher_key = d.publisher_key
left join v_application_metrics m using (report_id)
where d.is_counted
