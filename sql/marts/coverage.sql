-- One row per publisher × report year (from the first to the last year seen): is there a usable report?
-- coverage_status: loaded (a fully read report) · partial (read with missing tables or cells, or OCR tables unverified)
-- · failed (only unreadable files) · missing (no report ingested). counted_report_id: the report the views count
-- (dim_reports.is_counted). Documents that are not reports stay out. "Who has no usable report for 2020" is one query
-- on this table.
with years as (
    select unnest(range(min(report_year), max(report_year) + 1)) as report_year
    from dim_reports where report_year is not null and status <> 'not_report'
),
best as (
    select
        publisher_key,
        report_year,
        min(case status when 'loaded' then 1 when 'partial' then 2 when 'no_tables' then 3
            when 'inconsistent' then 2 when 'unverified' then 2 else 4 end) as rank,
        count(*) as n_reports,
        min(report_id) filter (where is_counted) as counted_report_id
    from dim_reports
    where publisher_key is not null and report_year is not null and status <> 'not_report'
    group by all
)
select
    p.publisher_key,
    p.publisher_name,
    p.province_code,
    p.province_name,
    p.prefecture_code,
    p.prefecture_name,
    p.county_code,
    p.county_name,
    y.report_year,
    case b.rank when 1 then 'loaded' when 2 then 'partial' when 3 then 'partial' when 4 then 'failed' else 'missing' end
        as coverage_status,
    coalesce(b.n_reports, 0) as n_reports,
    b.counted_report_id
from dim_publishers p
cross join years y
left join best b on b.publisher_key = p.publisher_key and b.report_year = y.report_year
