-- One row per publisher (a body that publishes reports), resolved to its administrative divisions where unambiguous.
-- Names that could not be resolved stay unresolved, with the reason; nothing is guessed.
with ranked as (
    select
        *,
        row_number() over (
            partition by publisher_key
            order by publisher_status = 'resolved' desc, report_year desc nulls last, publisher_name
        ) as rn,
        count(*) over (partition by publisher_key) as n_reports,
        min(report_year) over (partition by publisher_key) as first_year,
        max(report_year) over (partition by publisher_key) as last_year
    from staging.stg_reports
    where publisher_key is not null and report_id in (select report_id from dim_reports)  -- aliases are not reports
)
select
    publisher_key,
    publisher_normalized as publisher_name,
    publisher_kind as kind,
    province_name,
    province_code,
    city_name as prefecture_name,
    city_code as prefecture_code,
    county_name,
    county_code,
    division_code,
    publisher_status as resolution_status,
    publisher_reason as resolution_reason,
    publisher_resolution_confidence as resolution_confidence,
    n_reports,
    first_year,
    last_year
from ranked
where rn = 1
